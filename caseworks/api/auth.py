"""Authentication for the API.

Every endpoint takes a bearer token (``Authorization: Bearer <token>``, issued with
``flask --app wsgi users token USERNAME``; only its sha256 is stored). A session cookie alone
never authorises an API call: the API is exempt from CSRF tokens, so it must not trust cookies.

One endpoint, the visit POST, is also the phone outbox's way in (:func:`token_or_outbox`): the
outbox sends with the browser's session and the ``X-Caseworks-Outbox`` header. A cross-site page
cannot forge that request: a custom header makes the browser ask first (a CORS preflight, which
this server never grants), the session cookie is ``SameSite=Lax``, and the request must come
from this origin. So the resend needs no CSRF token and no session of the moment the visit was
typed, only a session when it is sent.
"""

from functools import wraps

from flask import abort, jsonify, request
from flask_login import current_user
from sqlalchemy import select

from caseworks.accounts.models import User
from caseworks.extensions import db, login_manager

#: the header the phone's outbox sends; its value is the outbox protocol it speaks
OUTBOX_HEADER = "X-Caseworks-Outbox"
#: the user the outbox entry was typed by; a session of someone else is no login for it
OUTBOX_USER_HEADER = "X-Caseworks-User"
#: the outbox protocols this server understands. A shell from an older release that speaks a
#: protocol dropped here gets 426: it keeps its visits and updates itself before sending again
#: (static/js/outbox.js), rather than posting what this server no longer reads.
OUTBOX_PROTOCOLS = frozenset({"1"})


def user_from_token(req):
    scheme, _, token = req.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    user = db.session.scalar(select(User).where(User.api_token_hash == User.hash_token(token.strip())))
    return user if user is not None and user.is_active else None


@login_manager.request_loader
def load_user_from_token(req):
    return user_from_token(req) if req.path.startswith("/api/") else None


def _token_is_the_caller():
    token_user = user_from_token(request)
    return token_user is not None and current_user.is_authenticated and current_user.id == token_user.id


def token_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not _token_is_the_caller():
            abort(401)
        return view(*args, **kwargs)

    return wrapper


def is_same_origin(req):
    """Whether the browser says the request comes from a page of this site (requests without
    the headers, from other clients than browsers, pass: they carry no victim's cookie)."""
    site = req.headers.get("Sec-Fetch-Site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    origin = req.headers.get("Origin")
    return origin is None or origin == req.host_url.rstrip("/")


def token_or_outbox(view):
    """A bearer token, or the phone's outbox with the logged-in session (see the module's
    docstring). Without either: 401, which the outbox shows as "log in again"."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if request.headers.get("Authorization"):
            if not _token_is_the_caller():
                abort(401)
            return view(*args, **kwargs)
        protocol = request.headers.get(OUTBOX_HEADER)
        if protocol is None or not current_user.is_authenticated:
            abort(401)
        typed_by = request.headers.get(OUTBOX_USER_HEADER)
        if typed_by is not None and typed_by != str(current_user.id):
            abort(401)
        if not is_same_origin(request):
            abort(403)
        if protocol not in OUTBOX_PROTOCOLS:
            return jsonify(error="This app is out of date: reload it.", status=426), 426
        return view(*args, **kwargs)

    return wrapper
