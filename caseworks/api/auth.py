"""Token authentication for the API: ``Authorization: Bearer <token>`` (tokens are issued with
``flask --app wsgi users token USERNAME``; only their sha256 is stored). A session cookie alone
never authorises an API call: the API is exempt from CSRF tokens, so it must not trust cookies."""

from functools import wraps

from flask import abort, request
from flask_login import current_user
from sqlalchemy import select

from caseworks.accounts.models import User
from caseworks.extensions import db, login_manager


def user_from_token(req):
    scheme, _, token = req.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    user = db.session.scalar(select(User).where(User.api_token_hash == User.hash_token(token.strip())))
    return user if user is not None and user.is_active else None


@login_manager.request_loader
def load_user_from_token(req):
    return user_from_token(req) if req.path.startswith("/api/") else None


def token_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        token_user = user_from_token(request)
        if token_user is None or not current_user.is_authenticated or current_user.id != token_user.id:
            abort(401)
        return view(*args, **kwargs)

    return wrapper
