"""Logging in and out (throttled, every attempt audited) and the administration of users.

Every change checks its rule, changes the objects, flushes and writes one audit entry; none
commits (the request or command does).
"""

import re
import secrets
from datetime import UTC, timedelta
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
    """Too many failed logins lately: ``seconds`` until the next attempt is taken."""

    def __init__(self, seconds):
        super().__init__(seconds)
        self.seconds = seconds


def _failures(since, *, username=None, ip=None):
    """(count, latest time) of failed logins since ``since`` for a username, an address, or both.
    Attempts refused while throttled are not failures: waiting out a delay never extends it."""
    conditions = [audit.AuditEntry.kind == "login_failed", audit.AuditEntry.logged_dt >= since]
    if username is not None:
        conditions.append(audit.AuditEntry.actor_name == username)
    if ip is not None:
        conditions.append(audit.AuditEntry.ip == ip)
    count, latest = db.session.execute(
        select(func.count(), func.max(audit.AuditEntry.logged_dt)).where(*conditions)
    ).one()
    return count, latest


def _delay(failures, limit, window):
    """No delay below ``limit`` failures; then one minute, doubling with each further failure,
    never longer than the window."""
    if failures < limit:
        return timedelta(0)
    return min(timedelta(minutes=2 ** (failures - limit)), window)


def throttle_wait(username):
    """Seconds until ``username`` may try again from this address (0: now).

    Failures are counted per username *and* address, so that guessing teacher1's password from
    one place never locks teacher1 out from another; and per address, with a higher limit, for
    guesses spread over many usernames. Past either limit each attempt waits a delay that
    doubles with every further failure (at most the window); a right password after the delay
    logs in, so no one is locked out for good."""
    config = current_app.config
    now = clock.now()
    window = config["LOGIN_THROTTLE_WINDOW"]
    since = now - window
    ip = request.remote_addr if has_request_context() else None
    waits = [0]
    for failures, limit in (
        (_failures(since, username=username, ip=ip), config["LOGIN_THROTTLE_LIMIT"]),
        (_failures(since, ip=ip), config["LOGIN_THROTTLE_ADDRESS_LIMIT"]),
    ):
        count, latest = failures
        if count >= limit:
            latest = latest if latest.tzinfo else latest.replace(tzinfo=UTC)  # SQLite keeps no zone
            waits.append((latest + _delay(count, limit, window) - now).total_seconds())
    return max(waits)


def _warn_of_attack(username, user):
    """An account (or an address) that keeps failing is reported once per window: an audit entry
    and a message to the administrators."""
    config = current_app.config
    since = clock.now() - config["LOGIN_THROTTLE_WINDOW"]
    ip = request.remote_addr if has_request_context() else None
    subjects = []
    if user is not None and _failures(since, username=username)[0] == config["LOGIN_ATTACK_LIMIT"]:
        subjects.append(("username", username, _l("Many failed logins for the account %(name)s", name=username)))
    if ip is not None and _failures(since, ip=ip)[0] == config["LOGIN_THROTTLE_ADDRESS_LIMIT"]:
        subjects.append(("ip", ip, _l("Many failed logins from the address %(ip)s", ip=ip)))
    for kind, value, subject in subjects:
        audit.record(
            "login_attack",
            f"many failed logins ({kind} {value})",
            module="accounts",
            actor=None,
            actor_name=username,
            target=user,
            data={kind: value},
        )
        from caseworks.inbox.operations import notify

        stamp = clock.now().strftime("%Y%m%d%H%M")
        for admin_id in db.session.scalars(select(User.id).where(User.role == Role.ADMIN, User.is_active.is_(True))):
            notify(admin_id, "login_attack", subject, dedupe_key=f"login_attack:{kind}:{value}:{stamp}:{admin_id}")


def authenticate(username, password):
    """Return the user if the credentials are right, else None; refuse while throttled.

    After LOGIN_THROTTLE_LIMIT failures for one username inside the window, even the right
    password is refused until the window has passed. Each attempt writes an audit entry.
    """
    username = username.strip()
    wait = throttle_wait(username)
    if wait > 0:
        audit.record(
            "login_throttled",
            "login refused: too many failed attempts",
            module="accounts",
            actor=None,
            actor_name=username,
        )
        raise LoginThrottled(wait)
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
        _warn_of_attack(username, user)
        return None
    user.last_login_dt = clock.now()
    audit.record("login", "logged in", module="accounts", actor=user, target=user)
    return user


def log_out(user):
    """End every session of the user, on every device (the session version moves on), and write
    the logout to the audit trail."""
    user.session_version += 1
    db.session.flush()
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


#: passwords (and, with digits or signs after them, their stems) that guessing tries first
COMMON_PASSWORDS = frozenset(
    """password passw0rd p@ssw0rd qwerty qwertyuiop qwerty123 asdfghjkl zxcvbnm 1qaz2wsx qazwsx
    abc123 abcd1234 a123456 a12345678 aa123456 iloveyou woaini woaini1314 5201314 admin
    administrator root welcome letmein monkey dragon sunshine princess football baseball master
    superman trustno1 changeme default caseworks kongchuo teacher student school china beijing
    """.split()
)


def _is_trivial(password):
    """Too few different characters (aaaaaaaaaa, 1212121212), or a run up or down the keyboard's
    digits or the alphabet (1234567890, abcdefghij, 0987654321)."""
    if len(set(password)) < 4:
        return True
    steps = {ord(b) - ord(a) for a, b in zip(password, password[1:], strict=False)}
    return steps <= {1, -9} or steps <= {-1, 9} or steps == {1} or steps == {-1}


def check_password_strength(password, username, field="password"):
    """Refuse a password shorter than 10 characters, a common or trivial one, and one that
    contains the username."""
    password = password or ""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(_l("The password needs at least %(n)s characters.", n=MIN_PASSWORD_LENGTH), field)
    lowered = password.lower()
    if username and username.lower() in lowered:
        raise AccountError(_l("The password must not contain the username."), field)
    stem = lowered.rstrip("0123456789!@#$%^&*.-_ ")
    if _is_trivial(password) or lowered in COMMON_PASSWORDS or stem in COMMON_PASSWORDS:
        raise AccountError(
            _l("This password is too easy to guess: mix letters and digits into something that is not a word."),
            field,
        )


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
    check_password_strength(password, username)
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
    and their API token stops working. An administrator cannot deactivate themselves. A teacher
    or village cadre leaves their line on their open cases, and whoever assigns the next one is
    told (:func:`caseworks.cases.operations.release_person`)."""
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
    from caseworks.cases.operations import release_person

    release_person(user, admin)
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
    """Give a user a new password (strong enough: :func:`check_password_strength`); every session
    of theirs ends and their API token is revoked. The audit entry records that it happened,
    never the password."""
    check_password_strength(password, user.username)
    _set_password(user, password)
    audit.record(
        "password_reset",
        f"reset the password of {user.username}",
        module=MODULE,
        actor=admin,
        target=user,
        data={"sessions_ended": True, "token_revoked": True},
    )
    return user


def change_own_password(user, current, new):
    """A user changes their own password, knowing the current one; every session of theirs ends
    (the caller logs the current one in again) and their API token is revoked."""
    if not user.check_password(current or ""):
        raise AccountError(_l("The current password is wrong."), "current_password")
    check_password_strength(new, user.username)
    if user.check_password(new):
        raise AccountError(_l("Choose a password different from the current one."), "password")
    _set_password(user, new)
    audit.record(
        "password_change",
        "changed their own password",
        module=MODULE,
        actor=user,
        target=user,
        data={"sessions_ended": True, "token_revoked": True},
    )
    return user


def _set_password(user, password):
    user.set_password(password)
    user.session_version += 1
    user.api_token_hash = None
    db.session.flush()


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
