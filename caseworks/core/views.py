"""What the views of every feature share, and the health check, home page and language switch.

Loading a case through the scope (404 outside it) and checking a permission (403), the role
decorators, rendering the case page, and turning an operation's refusal into what the user sees
live here, so that no feature imports another feature's views.
"""

from contextlib import contextmanager
from dataclasses import dataclass
from functools import wraps
from urllib.parse import urlsplit

from flask import abort, current_app, flash, g, jsonify, redirect, render_template, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from caseworks.core import permissions, scope
from caseworks.core.blueprint import bp
from caseworks.core.choices import Role
from caseworks.core.errors import Refused, VersionConflict
from caseworks.core.forms import show_error
from caseworks.core.nav import CASE_PANELS
from caseworks.core.timeline import timeline_for
from caseworks.extensions import db, login_manager

CONFLICT_MESSAGE = _l(
    "Someone else changed this case while you were working on it. Your changes were not saved: "
    "reload the case to see theirs, then try again."
)


# -- who may open a page ---------------------------------------------------------------------


def case_roles_only(view):
    """Log in first, then hold a role that works on cases (403 for the administrator)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not permissions.works_on_cases(current_user):
            abort(403)
        return view(*args, **kwargs)

    return login_required(wrapper)


def reviewers_only(view):
    """Log in first, then be a county reviewer (403 otherwise)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not permissions.may_review(current_user):
            abort(403)
        return view(*args, **kwargs)

    return login_required(wrapper)


def admin_required(view):
    """Log in first (anonymous → the login page), then be an administrator (else 403: these
    are not case pages, so refusing says nothing about any case)."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if current_user.role != Role.ADMIN:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def load_case(case_id, permission=None, *, for_update=False):
    """The case through the user's scope (404 outside it), then the permission (403).
    ``for_update`` locks the row while a change is made (a double submit waits, then is refused)."""
    case = scope.get_case_or_404(case_id, current_user, for_update=for_update)
    if permission is not None and not permission(current_user, case):
        abort(403)
    return case


# -- the case page -------------------------------------------------------------------------


def render_case(case, *, revealed=False, status=200, **posted_forms):
    """The case page: facts, people, plan, the steps the user may take, and the timeline.
    A form posted from the page and refused comes back filled in (``posted_forms``, by the name
    its panel gives it), with its messages by the fields."""
    from caseworks.cases.forms import PlanItemForm
    from caseworks.cases.queries import load_case_details
    from caseworks.core.nav import posted_form

    g.case_forms = posted_forms
    case = load_case_details(case)
    user = current_user
    may_edit = permissions.may_edit_case(user, case)
    return render_template(
        "cases/detail.html",
        case=case,
        revealed=revealed,
        timeline=timeline_for(case),
        may_edit=may_edit,
        may_assign_teacher=permissions.may_assign_teacher(user, case),
        may_assign_cadre=permissions.may_assign_cadre(user, case),
        may_see_sensitive=permissions.may_see_sensitive(user, case),
        plan_form=posted_form("plan_form", PlanItemForm) if may_edit else None,
        panels=[(p.template, ctx, p.order) for p in CASE_PANELS if (ctx := p.context(case, user)) is not None],
    ), status


# -- refusals --------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What became of an operation run under :func:`refusals`: true when it went through."""

    #: 422 for a refusal, 409 for a conflict or a duplicate; None when it went through
    status: int | None = None
    #: the refusal (a :class:`Refused`), for callers that answer in JSON
    refusal: Refused | None = None
    #: the same record was being written by another request at the same moment
    duplicate: bool = False

    def __bool__(self):
        return self.status is None


@contextmanager
def refusals(form=None, *, duplicate=None, show=True):
    """Run one operation and turn its refusal into what the user sees::

        with refusals(form) as done:
            operations.assign_teacher(case, person, current_user, version=form.version.data)
        if done:
            return redirect(...)
        status = done.status

    - a :class:`Refused` (every feature's error subclasses it) puts its message by its field of
      ``form``, or flashes it, and the outcome's status is 422;
    - a :class:`VersionConflict` flashes the conflict message: 409;
    - an ``IntegrityError`` is a duplicate when ``duplicate`` is given (a unique record written
      twice at once, the first one stands): 409, with ``duplicate`` (a :class:`Refused`) shown
      like a refusal, or only flagged on the outcome when it is ``True``. Other integrity errors
      are bugs and propagate.
    ``show=False`` shows nothing (the JSON API reads ``outcome.refusal``).

    The operation runs inside a savepoint although the request teardown rolls back every 4xx and
    5xx anyway: a refused view does not end there, it renders the page again (the form, the case,
    the header's counts), and those queries autoflush the session. Rolling back to the savepoint
    undoes whatever the operation changed before it refused, and clears the session after a failed
    flush, so the page shows what is stored and no half-made change can be flushed by accident.
    """
    outcome = Outcome()
    try:
        with db.session.begin_nested():
            yield outcome
    except VersionConflict:
        outcome.status = 409
        if show:
            flash(CONFLICT_MESSAGE, "error")
    except Refused as refused:
        outcome.status, outcome.refusal = 422, refused
        if show:
            _show_refusal(form, refused)
    except IntegrityError:
        if duplicate is None:
            raise
        outcome.status, outcome.duplicate = 409, True
        if show and isinstance(duplicate, Refused):
            _show_refusal(form, duplicate)


def _show_refusal(form, refused):
    if form is None:
        flash(refused.message, "error")
    else:
        show_error(form, refused)


def page_status(outcome=None):
    """The status of a form page shown again: the outcome's when an operation was refused, 422
    for a POST whose form did not validate, 200 for a GET."""
    if outcome is not None and outcome.status is not None:
        return outcome.status
    return 422 if request.method == "POST" else 200


# -- health, home, language ------------------------------------------------------------------


@bp.route("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
        database = "ok"
    except Exception:  # noqa: BLE001 - any failure means the database is not usable
        current_app.logger.exception("health check: database unavailable")
        database = "unavailable"
    status = "ok" if database == "ok" else "degraded"
    return jsonify(status=status, database=database), 200 if database == "ok" else 503


#: where each role lands after logging in: on its work (teachers and cadres on their visits,
#: those who oversee a school or a township on its dashboard, county reviewers on the review
#: queue, with the dashboard one tap away)
HOME_ENDPOINTS = {
    Role.TEACHER: "visits.my_visits",
    Role.VILLAGE_CADRE: "visits.my_visits",
    Role.SCHOOL_ADMIN: "reports.dashboard",
    Role.TOWNSHIP_OFFICIAL: "reports.dashboard",
    Role.COUNTY_REVIEWER: "review.queue",
    Role.ADMIN: "accounts.list_users",
}


def home_url(user):
    endpoint = HOME_ENDPOINTS.get(user.role, "cases.list_cases")
    if endpoint not in current_app.view_functions:
        endpoint = "cases.list_cases"
    return url_for(endpoint)


@bp.route("/")
@login_required
def index():
    return redirect(home_url(current_user))


@bp.route("/lang/<code>", methods=["POST"])
def set_language(code):
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    return redirect(safe_local_path(request.form.get("next")) or url_for("core.index"))


def safe_local_path(target):
    """``target`` if it is a path on this site, else None. Control characters and backslashes
    are refused outright: browsers drop or reinterpret them, turning "/\\t/host" into "//host"."""
    if not target or any(ord(c) < 32 or c in "\\\x7f" for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target
