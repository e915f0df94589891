"""Logging in and out, with throttling; every attempt is audited."""

from flask import current_app
from sqlalchemy import func, select

from caseworks.accounts.models import User
from caseworks.core import audit, clock
from caseworks.extensions import db


class LoginThrottled(Exception):
    pass


def recent_failures(username):
    window_start = clock.now() - current_app.config["LOGIN_THROTTLE_WINDOW"]
    return db.session.scalar(
        select(func.count())
        .select_from(audit.AuditEntry)
        .where(
            audit.AuditEntry.kind == "login_failed",
            audit.AuditEntry.actor_name == username,
            audit.AuditEntry.logged_dt >= window_start,
        )
    )


def authenticate(username, password):
    """Return the user if the credentials are right, else None; refuse while throttled.

    After LOGIN_THROTTLE_LIMIT failures for one username inside the window, even the right
    password is refused until the window has passed. Each attempt writes an audit entry.
    """
    username = username.strip()
    if recent_failures(username) >= current_app.config["LOGIN_THROTTLE_LIMIT"]:
        audit.record("login_failed", "login refused: too many failed attempts", module="accounts",
                     actor=None, actor_name=username, data={"reason": "throttled"})
        raise LoginThrottled()
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None or not user.is_active or not user.check_password(password):
        reason = "unknown user" if user is None else ("inactive" if not user.is_active else "wrong password")
        audit.record("login_failed", "failed login", module="accounts", actor=None, actor_name=username,
                     target=user, data={"reason": reason})
        return None
    user.last_login_dt = clock.now()
    audit.record("login", "logged in", module="accounts", actor=user, target=user)
    return user


def record_logout(user):
    audit.record("logout", "logged out", module="accounts", actor=user, target=user)
