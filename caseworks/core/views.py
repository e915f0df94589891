"""Health check, home page and language switch."""

from urllib.parse import urlsplit

from flask import current_app, jsonify, redirect, request, session, url_for
from flask_login import current_user, login_required
from sqlalchemy import text

from caseworks.core.blueprint import bp
from caseworks.core.choices import Role
from caseworks.extensions import db


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


#: where each role lands after logging in
HOME_ENDPOINTS = {
    Role.TEACHER: "visits.my_visits",
    Role.VILLAGE_CADRE: "visits.my_visits",
    Role.SCHOOL_ADMIN: "cases.list_cases",
    Role.TOWNSHIP_OFFICIAL: "cases.list_cases",
    Role.COUNTY_REVIEWER: "cases.list_cases",
    Role.ADMIN: "accounts.list_users",
}


def home_url(user):
    from flask import current_app

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
    from flask import current_app

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
