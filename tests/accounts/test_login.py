"""Logging in and out: audit entries, throttling, session end and expiry, safe redirects."""

import re
import time
from datetime import UTC, datetime, timedelta

import pytest
from itsdangerous.timed import TimestampSigner
from sqlalchemy import select

from caseworks.core import clock
from caseworks.core.audit import AuditEntry
from caseworks.core.choices import Role
from caseworks.extensions import db
from tests.fixtures.users import PASSWORD

WRONG = "Wrong username or password."
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def audit_entries(kind=None):
    query = select(AuditEntry).order_by(AuditEntry.id)
    if kind:
        query = query.where(AuditEntry.kind == kind)
    return db.session.scalars(query).all()


def post_login(client, username, password, url="/login"):
    return client.post(url, data={"username": username, "password": password})


def is_logged_in(client):
    """The home page needs a login: logged out, it redirects to /login."""
    response = client.get("/")
    assert response.status_code == 302
    return not response.headers["Location"].startswith("/login")


# --- logging in -----------------------------------------------------------------------------


def test_login_page(client):
    response = client.get("/login")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'name="username"' in html
    assert 'name="password"' in html
    assert 'type="password"' in html


def test_login_redirects_home_and_is_audited(client, users):
    clock.set_now(T0)
    response = post_login(client, "principal_a", PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"] == client.get("/").headers["Location"]
    assert not response.headers["Location"].startswith("/login")
    assert is_logged_in(client)
    (entry,) = audit_entries()
    assert (entry.kind, entry.module, entry.user_id) == ("login", "accounts", users.school_admin.id)
    db.session.refresh(users.school_admin)
    assert users.school_admin.last_login_dt == T0


def test_username_is_trimmed(client, users):
    assert post_login(client, "  principal_a ", PASSWORD).status_code == 302


def test_logged_in_user_on_the_login_page_goes_home(client, users, login):
    login(users.school_admin)
    response = client.get("/login")
    assert response.status_code == 302
    assert not response.headers["Location"].startswith("/login")


def test_wrong_password(client, users):
    response = post_login(client, "principal_a", "not-the-password")
    assert response.status_code == 200
    assert WRONG in response.get_data(as_text=True)
    assert not is_logged_in(client)
    (entry,) = audit_entries()
    assert entry.kind == "login_failed"
    assert entry.actor_name == "principal_a"
    assert entry.user_id is None
    assert entry.data == {"reason": "wrong password"}


def test_unknown_user_gets_the_same_answer(client, users):
    """No user enumeration: an unknown username reads exactly like a wrong password."""
    known = post_login(client, "principal_a", "not-the-password")
    unknown = post_login(client, "nobody_here", "not-the-password")
    assert unknown.status_code == known.status_code == 200
    assert WRONG in unknown.get_data(as_text=True)

    def page(response):  # the CSRF token carries a timestamp: it may differ by a second
        return re.sub(r"<input[^>]*csrf_token[^>]*>", "", response.get_data(as_text=True))

    assert page(unknown).replace("nobody_here", "principal_a") == page(known)
    entries = audit_entries("login_failed")
    assert [e.actor_name for e in entries] == ["principal_a", "nobody_here"]
    assert entries[1].data == {"reason": "unknown user"}


def test_empty_form_is_not_an_attempt(client, users):
    response = client.post("/login", data={"username": "", "password": ""})
    assert response.status_code == 200
    assert audit_entries() == []


def test_inactive_user_cannot_log_in(client, make_user, places):
    make_user(Role.TEACHER, places.school_a1, "left_school", is_active=False)
    response = post_login(client, "left_school", PASSWORD)
    assert response.status_code == 200
    assert WRONG in response.get_data(as_text=True)
    assert not is_logged_in(client)
    (entry,) = audit_entries()
    assert entry.kind == "login_failed"
    assert entry.data == {"reason": "inactive"}


# --- throttling -----------------------------------------------------------------------------


def _throttled_for(response, minutes):
    assert response.status_code == 429
    assert f"Too many failed attempts. Try again in {minutes} minutes." in response.get_data(as_text=True)


def test_five_failures_make_that_user_wait_at_that_address_and_the_wait_grows(client, users, app):
    assert app.config["LOGIN_THROTTLE_LIMIT"] == 5
    assert app.config["LOGIN_THROTTLE_WINDOW"] == timedelta(minutes=15)
    clock.set_now(T0)
    for _ in range(5):
        assert post_login(client, "teacher_a", "guess").status_code == 200
        clock.advance(seconds=10)

    _throttled_for(post_login(client, "teacher_a", PASSWORD), 1)
    assert not is_logged_in(client)
    # the refusal is kept in the trail although the response is an error, and does not count
    assert audit_entries()[-1].kind == "login_throttled"
    _throttled_for(post_login(client, "teacher_a", PASSWORD), 1)

    # another username from the same address is not affected
    assert post_login(app.test_client(), "teacher_a2", PASSWORD).status_code == 302

    # after the minute, one more wrong guess doubles the wait
    clock.advance(seconds=61)
    assert post_login(client, "teacher_a", "guess").status_code == 200
    _throttled_for(post_login(client, "teacher_a", PASSWORD), 2)
    clock.advance(seconds=121)
    assert post_login(client, "teacher_a", PASSWORD).status_code == 302
    assert is_logged_in(client)


def test_guesses_from_one_address_never_lock_the_user_out_from_another(app, client, users):
    clock.set_now(T0)
    attacker = app.test_client()
    for _ in range(8):
        attacker.post(
            "/login", data={"username": "teacher_a", "password": "guess"}, environ_base={"REMOTE_ADDR": "203.0.113.9"}
        )
    response = attacker.post(
        "/login", data={"username": "teacher_a", "password": PASSWORD}, environ_base={"REMOTE_ADDR": "203.0.113.9"}
    )
    assert response.status_code == 429
    assert post_login(client, "teacher_a", PASSWORD).status_code == 302


def test_an_account_under_attack_is_reported_to_the_administrators(app, users):
    from caseworks.inbox.models import Message

    clock.set_now(T0)
    limit = app.config["LOGIN_ATTACK_LIMIT"]
    for n in range(limit + 3):
        app.test_client().post(
            "/login",
            data={"username": "teacher_a", "password": "guess"},
            environ_base={"REMOTE_ADDR": f"198.51.100.{n}"},
        )
    (entry,) = audit_entries("login_attack")
    assert entry.data == {"username": "teacher_a"} and entry.target_id == users.teacher.id
    messages = db.session.scalars(select(Message).where(Message.kind == "login_attack")).all()
    assert [m.user_id for m in messages] == [users.admin.id]
    assert "teacher_a" in messages[0].subject


def test_trusted_proxies_give_each_user_their_own_address(users):
    from caseworks import create_app
    from config import TestConfig

    class BehindProxy(TestConfig):
        TRUSTED_PROXIES = 1

    proxied = create_app(BehindProxy)
    seen = {}

    @proxied.route("/_addr")
    def _addr():
        from flask import request

        seen["addr"] = request.remote_addr
        return "ok"

    proxied.test_client().get(
        "/_addr", environ_base={"REMOTE_ADDR": "10.0.0.1"}, headers={"X-Forwarded-For": "198.51.100.7"}
    )
    assert seen["addr"] == "198.51.100.7"


def test_failures_outside_the_window_do_not_count(client, users):
    clock.set_now(T0)
    for _ in range(4):
        post_login(client, "teacher_a", "guess")
    clock.advance(minutes=16)
    for _ in range(4):
        post_login(client, "teacher_a", "guess")
    assert post_login(client, "teacher_a", PASSWORD).status_code == 302


def test_throttled_unknown_username_reads_like_a_known_one(client, users):
    clock.set_now(T0)
    for _ in range(5):
        post_login(client, "nobody_here", "guess")
    assert post_login(client, "nobody_here", "guess").status_code == 429


def test_many_failures_from_one_address_throttle_that_address(client, users, app):
    """Trying many usernames from one address locks the address, not only each username."""
    limit = app.config["LOGIN_THROTTLE_ADDRESS_LIMIT"]
    clock.set_now(T0)
    for n in range(limit):
        assert post_login(client, f"guess{n}", "guess").status_code == 200
    _throttled_for(post_login(client, "teacher_a", PASSWORD), 1)
    clock.advance(seconds=61)
    assert post_login(client, "teacher_a", PASSWORD).status_code == 302


def test_an_address_shared_by_a_school_is_not_locked_by_a_few_failures(client, users, app):
    """Many teachers log in from one school address: a handful of typos there locks no one else."""
    assert app.config["LOGIN_THROTTLE_ADDRESS_LIMIT"] > app.config["LOGIN_THROTTLE_LIMIT"]
    clock.set_now(T0)
    for n in range(app.config["LOGIN_THROTTLE_ADDRESS_LIMIT"] - 1):
        post_login(client, f"typo{n}", "guess")
    assert post_login(client, "teacher_a", PASSWORD).status_code == 302


# --- sessions -------------------------------------------------------------------------------


def test_bumping_session_version_ends_existing_sessions(client, users, login):
    login(users.teacher)
    assert is_logged_in(client)
    users.teacher.session_version += 1
    db.session.flush()
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_deactivating_a_user_ends_their_session(client, users, login):
    login(users.teacher)
    users.teacher.is_active = False
    db.session.flush()
    assert not is_logged_in(client)


def test_session_is_permanent_with_a_30_minute_lifetime(client, users, app):
    assert app.config["PERMANENT_SESSION_LIFETIME"] == timedelta(minutes=30)
    before = datetime.now(UTC)
    response = post_login(client, "teacher_a", PASSWORD)
    header = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "Expires=" in header
    cookie = client.get_cookie("session")
    assert cookie is not None and cookie.expires is not None
    expires = cookie.expires if cookie.expires.tzinfo else cookie.expires.replace(tzinfo=UTC)
    assert timedelta(minutes=29) < expires - before <= timedelta(minutes=31)


@pytest.fixture
def session_clock(monkeypatch):
    """Moves the time that signs and checks session cookies: ``session_clock(minutes=…)``."""
    start = int(time.time())
    offset = {"seconds": 0}
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: start + offset["seconds"])

    def move(**kwargs):
        offset["seconds"] += int(timedelta(**kwargs).total_seconds())

    return move


def test_session_expires_after_30_idle_minutes(client, users, login, session_clock):
    login(users.teacher)
    # activity keeps the session alive: each request renews it
    for _ in range(3):
        session_clock(minutes=29)
        assert is_logged_in(client)
    session_clock(minutes=31)
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_logout_ends_the_session_and_is_audited(client, users, login):
    login(users.teacher)
    response = client.post("/logout")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert not is_logged_in(client)
    assert [(e.kind, e.user_id) for e in audit_entries()] == [("login", users.teacher.id), ("logout", users.teacher.id)]
    page = client.get("/login").get_data(as_text=True)
    assert "You have logged out." in page


def test_logout_needs_post(client, users, login):
    login(users.teacher)
    assert client.get("/logout").status_code == 405
    assert is_logged_in(client)


def test_logout_when_not_logged_in_goes_to_login(client):
    response = client.post("/logout")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


# --- where to go after logging in -----------------------------------------------------------


def test_next_follows_a_local_path(client, users):
    response = post_login(client, "principal_a", PASSWORD, url="/login?next=/healthz")
    assert response.status_code == 302
    assert response.headers["Location"] == "/healthz"


def test_login_required_page_sends_back_after_login(client, users):
    response = client.get("/")
    assert response.status_code == 302
    login_url = response.headers["Location"]
    assert login_url.startswith("/login")
    response = post_login(client, "principal_a", PASSWORD, url=login_url)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def redirects_off_site(location):
    """What a browser would make of the Location header: it drops tabs and newlines and
    reads backslashes as slashes."""
    cleaned = location.replace("\t", "").replace("\n", "").replace("\r", "").replace("\\", "/")
    return not cleaned.startswith("/") or cleaned.startswith("//")


@pytest.mark.parametrize(
    "next_value",
    [
        "//evil.example",
        "//evil.example/login",
        "https://evil.example",
        "http:evil.example",
        "/%5Cevil.example",
        "/%5C%5Cevil.example",
        "%2F%2Fevil.example",
        "javascript:alert(1)",
        "/%09/evil.example",
        "/%0D%0A/evil.example",
        "/%7F/evil.example",
    ],
)
def test_next_never_leaves_the_site(client, users, next_value):
    response = post_login(client, "principal_a", PASSWORD, url=f"/login?next={next_value}")
    assert response.status_code == 302
    location = response.headers["Location"]
    assert not redirects_off_site(location), location
    assert not location.startswith("javascript")
