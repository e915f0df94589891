"""Logging in and out (throttled, every attempt audited) and the administration of users.

Every change checks its rule, changes the objects, flushes and writes one audit entry; none
commits (the request or command does).
"""

import re
import secrets
from functools import cache

from flask import current_app, has_request_context, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from caseworks.accounts.models import User
from caseworks.core import audit, clock
from caseworks.core.choices import AreaLevel, Role
from caseworks.core.errors import Refused
from caseworks.extensions import db
from caseworks.places import queries as place_queries
from caseworks.places.models import Area, School


@cache
def _dummy_hash():
    return generate_password_hash("not-a-password")


class LoginThrottled(Exception):
    pass


def recent_failures(*, username=None, ip=None):
    """Failed logins inside the throttle window, for one username or from one address."""
    window_start = clock.now() - current_app.config["LOGIN_THROTTLE_WINDOW"]
    who = audit.AuditEntry.actor_name == username if username is not None else audit.AuditEntry.ip == ip
    return db.session.scalar(
        select(func.count())
        .select_from(audit.AuditEntry)
        .where(audit.AuditEntry.kind == "login_failed", who, audit.AuditEntry.logged_dt >= window_start)
    )


def is_throttled(username):
    """Too many failed logins lately for this username, or from this address."""
    config = current_app.config
    if recent_failures(username=username) >= config["LOGIN_THROTTLE_LIMIT"]:
        return True
    ip = request.remote_addr if has_request_context() else None
    return ip is not None and recent_failures(ip=ip) >= config["LOGIN_THROTTLE_ADDRESS_LIMIT"]


def authenticate(username, password):
    """Return the user if the credentials are right, else None; refuse while throttled.

    After LOGIN_THROTTLE_LIMIT failures for one username inside the window, even the right
    password is refused until the window has passed. Each attempt writes an audit entry.
    """
    username = username.strip()
    if is_throttled(username):
        audit.record(
            "login_failed",
            "login refused: too many failed attempts",
            module="accounts",
            actor=None,
            actor_name=username,
            data={"reason": "throttled"},
        )
        raise LoginThrottled()
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None or not user.is_active:
        # spend the time of a real check, so that the answer does not tell which usernames exist
        check_password_hash(_dummy_hash(), password)
    if user is None or not user.is_active or not user.check_password(password):
        reason = "unknown user" if user is None else ("inactive" if not user.is_active else "wrong password")
        audit.record(
            "login_failed",
            "failed login",
            module="accounts",
            actor=None,
            actor_name=username,
            target=user,
            data={"reason": reason},
        )
        return None
    user.last_login_dt = clock.now()
    audit.record("login", "logged in", module="accounts", actor=user, target=user)
    return user


def record_logout(user):
    """Write the logout to the audit trail."""
    audit.record("logout", "logged out", module="accounts", actor=user, target=user)


# --- user administration -------------------------------------------------------------------

MODULE = "accounts"
USERNAME = re.compile(r"^[a-z0-9_.-]{3,64}$")
MIN_PASSWORD_LENGTH = 10

#: the area levels at which each area-based role works; school-based roles work at a school
ROLE_LEVELS = {
    Role.VILLAGE_CADRE: (AreaLevel.VILLAGE,),
    Role.TOWNSHIP_OFFICIAL: (AreaLevel.TOWNSHIP,),
    Role.COUNTY_REVIEWER: (AreaLevel.COUNTY, AreaLevel.CITY, AreaLevel.PROVINCE),
    Role.ADMIN: tuple(AreaLevel),
}


class AccountError(Refused):
    """A rule of user accounts refused the change."""


def _snapshot(user):
    """What the audit trail keeps of a user (never the password or token hash)."""
    return {
        "username": user.username,
        "full_name": user.full_name,
        "phone": user.phone,
        "email": user.email,
        "role": user.role,
        "area_id": user.area_id,
        "school_id": user.school_id,
        "is_active": user.is_active,
    }


def check_place(role, place, admin=None):
    """Refuse a place that does not suit the role, is deactivated, or (when ``admin`` is given)
    lies outside the administrator's area."""
    role = Role(role)
    if place is None:
        raise AccountError(_l("No area or school has this code."), "place")
    if role.at_school:
        if not isinstance(place, School):
            raise AccountError(
                _l("%(role)s works at a school: enter the 10-digit school identification code.", role=role.label),
                "place",
            )
    else:
        if not isinstance(place, Area):
            raise AccountError(
                _l("%(role)s works in an area, not at a school: enter a 12-digit division code.", role=role.label),
                "place",
            )
        levels = ROLE_LEVELS[role]
        if place.level_enum not in levels:
            raise AccountError(
                _l(
                    "%(role)s works at the level of: %(levels)s.",
                    role=role.label,
                    levels=" / ".join(str(level.label) for level in levels),
                ),
                "place",
            )
    if admin is not None and not place_queries.is_within(place, place_queries.root_area(admin)):
        raise AccountError(_l("This place lies outside your area of work."), "place")
    if not place.is_active:
        raise AccountError(_l("%(name)s is deactivated.", name=place.name), "place")


def _check_password(password, field="password"):
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise AccountError(_l("The password needs at least %(n)s characters.", n=MIN_PASSWORD_LENGTH), field)


def _place_ids(place):
    if isinstance(place, School):
        return None, place.id
    return place.id, None


def create_user(admin, *, username, full_name, role, place, password, phone=None, email=None):
    """Create an active user holding ``role`` at ``place``.

    Rules: the username is 3–64 characters of a-z, 0-9, ``_ . -`` and unique; the place suits
    the role (see :func:`check_place`) and lies inside ``admin``'s area (no limit when
    ``admin`` is None: the command line); the password has at least 10 characters.
    """
    username = (username or "").strip()
    if not USERNAME.match(username):
        raise AccountError(_l("Use 3 to 64 characters: lower-case letters, digits, _ . -"), "username")
    duplicate = _l("The username %(username)s is already taken.", username=username)
    if db.session.scalar(select(User.id).where(User.username == username)) is not None:
        raise AccountError(duplicate, "username")
    check_place(role, place, admin)
    _check_password(password)
    area_id, school_id = _place_ids(place)
    user = User(
        username=username,
        full_name=full_name.strip(),
        phone=phone or None,
        email=email or None,
        role=Role(role).value,
        area_id=area_id,
        school_id=school_id,
        is_active=True,
        session_version=1,
    )
    user.set_password(password)
    try:
        # a savepoint, so that a double submit racing this one ends in a message
        with db.session.begin_nested():
            db.session.add(user)
            db.session.flush()
    except IntegrityError:
        raise AccountError(duplicate, "username") from None
    audit.record(
        "create",
        f"created user {username} ({user.role})",
        module=MODULE,
        actor=admin,
        target=user,
        data=audit.changes({}, _snapshot(user)),
    )
    return user


def update_user(admin, user, *, full_name, role, place, phone=None, email=None):
    """Change a user's name, contact details, role and place.

    Rules: as for :func:`create_user`; an administrator cannot change their own role (they
    would lock themselves out)."""
    role = Role(role)
    if user.id == admin.id and role != user.role:
        raise AccountError(_l("You cannot change your own role."), "role")
    check_place(role, place, admin)
    before = _snapshot(user)
    area_id, school_id = _place_ids(place)
    user.full_name = full_name.strip()
    user.phone = phone or None
    user.email = email or None
    user.role = role.value
    user.area_id, user.school_id = area_id, school_id
    user.area = place if area_id else None
    user.school = place if school_id else None
    data = audit.changes(before, _snapshot(user))
    if not data["after"]:
        return user
    db.session.flush()
    audit.record("change", f"changed user {user.username}", module=MODULE, actor=admin, target=user, data=data)
    return user


def deactivate_user(admin, user):
    """Deactivate a user: they cannot log in, their sessions end (``session_version`` moves on)
    and their API token stops working. An administrator cannot deactivate themselves."""
    if user.id == admin.id:
        raise AccountError(_l("You cannot deactivate your own account."))
    if not user.is_active:
        raise AccountError(_l("%(name)s is already deactivated.", name=user.full_name))
    before = _snapshot(user)
    user.is_active = False
    user.session_version += 1
    user.api_token_hash = None
    db.session.flush()
    audit.record(
        "deactivate",
        f"deactivated user {user.username}",
        module=MODULE,
        actor=admin,
        target=user,
        data=audit.changes(before, _snapshot(user)),
    )
    return user


def reactivate_user(admin, user):
    """Let a deactivated user log in again; refused while their place is deactivated."""
    if user.is_active:
        raise AccountError(_l("%(name)s is already active.", name=user.full_name))
    place = user.school or user.area
    if place is not None and not place.is_active:
        raise AccountError(_l("%(name)s is deactivated.", name=place.name))
    before = _snapshot(user)
    user.is_active = True
    db.session.flush()
    audit.record(
        "reactivate",
        f"reactivated user {user.username}",
        module=MODULE,
        actor=admin,
        target=user,
        data=audit.changes(before, _snapshot(user)),
    )
    return user


def reset_password(admin, user, password):
    """Give a user a new password (at least 10 characters); their sessions end. The audit entry
    records that it happened, never the password."""
    _check_password(password)
    user.set_password(password)
    user.session_version += 1
    db.session.flush()
    audit.record("password_reset", f"reset the password of {user.username}", module=MODULE, actor=admin, target=user)
    return user


def issue_token(user, actor=None):
    """Issue a new API token for an active user and return it; only its sha256 is stored, so
    it can be shown once. Any earlier token stops working."""
    if not user.is_active:
        raise AccountError(_l("%(name)s is deactivated.", name=user.full_name))
    token = secrets.token_urlsafe(32)
    user.api_token_hash = User.hash_token(token)
    db.session.flush()
    audit.record("token_issued", f"issued an API token to {user.username}", module=MODULE, actor=actor, target=user)
    return token
