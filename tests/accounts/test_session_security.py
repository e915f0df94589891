"""Sessions end server-side, secrets are real, passwords are not guessable, tokens do not outlive
a password."""

import pytest
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy import select

from caseworks import create_app
from caseworks.accounts import operations
from caseworks.accounts.models import User
from caseworks.core.audit import AuditEntry
from caseworks.extensions import db
from config import Config, TestConfig
from tests.fixtures.users import PASSWORD


def _session_cookie(client, app):
    cookie = client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session"))
    return cookie.value if cookie is not None else None


@pytest.mark.parametrize("key", [None, "", "dev-only-change-me", "x" * 31])
def test_the_app_does_not_start_without_a_real_secret_key(key):
    class Production(Config):
        SECRET_KEY = key
        SQLALCHEMY_DATABASE_URI = "sqlite://"

    with pytest.raises(RuntimeError, match="secret key of at least 32 characters"):
        create_app(Production)


def test_a_real_key_starts_and_a_session_forged_with_the_old_default_opens_nothing(users):
    class Production(TestConfig):
        TESTING = False
        SECRET_KEY = "k" * 40

    app = create_app(Production)
    signer = SecureCookieSessionInterface().get_signing_serializer(
        type("App", (), {"secret_key": "dev-only-change-me", "config": {"SECRET_KEY_FALLBACKS": None}})()
    )
    forged = signer.dumps({"_user_id": f"{users.admin.id}:{users.admin.session_version}", "_fresh": True})
    client = app.test_client()
    client.set_cookie("session", forged)
    response = client.get("/admin/users")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_an_old_session_cookie_opens_nothing_after_logout(app, client, login, users):
    login(users.teacher)
    copied = _session_cookie(client, app)
    assert client.get("/visits/mine").status_code == 200
    client.post("/logout")
    replay = app.test_client()
    replay.set_cookie("session", copied)
    response = replay.get("/visits/mine")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_logging_out_ends_the_sessions_on_other_devices_too(app, login, users):
    phone, desk = app.test_client(), app.test_client()
    for c in (phone, desk):
        c.post("/login", data={"username": users.teacher.username, "password": PASSWORD})
    assert desk.get("/visits/mine").status_code == 200
    phone.post("/logout")
    assert desk.get("/visits/mine").status_code == 302


def test_a_password_reset_revokes_the_api_token(client, login, users):
    token = operations.issue_token(users.teacher)
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/visits/due", headers=headers).status_code == 200
    login(users.admin)
    response = client.post(
        f"/admin/users/{users.teacher.id}/password", data={"password": "Tongzhou-2026x", "confirm": "Tongzhou-2026x"}
    )
    assert response.status_code == 302
    client.post("/logout")
    assert client.get("/api/v1/visits/due", headers=headers).status_code == 401


@pytest.mark.parametrize(
    "password, message",
    [
        ("1234567890", "too easy to guess"),
        ("0987654321", "too easy to guess"),
        ("aaaaaaaaaa", "too easy to guess"),
        ("1212121212", "too easy to guess"),
        ("abcdefghij", "too easy to guess"),
        ("password12", "too easy to guess"),
        ("Qwertyuiop!", "too easy to guess"),
        ("woaini1314520", "too easy to guess"),
        ("xteacher_a2026", "must not contain the username"),
        ("short", "at least 10 characters"),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(users, password, message):
    with pytest.raises(operations.AccountError, match=message):
        operations.check_password_strength(password, "teacher_a")


def test_a_weak_password_is_refused_in_chinese(app, client, login, users):
    app.config["BABEL_DEFAULT_LOCALE"] = "zh_CN"
    try:
        login(users.admin)
        response = client.post(
            f"/admin/users/{users.teacher.id}/password", data={"password": "1234567890", "confirm": "1234567890"}
        )
        assert response.status_code == 422
        assert "该密码太容易被猜到" in response.get_data(as_text=True)
    finally:
        app.config["BABEL_DEFAULT_LOCALE"] = "en"


def test_changing_ones_own_password_keeps_this_session_and_ends_the_others(app, client, login, users):
    other = app.test_client()
    other.post("/login", data={"username": users.teacher.username, "password": PASSWORD})
    token = operations.issue_token(users.teacher)
    login(users.teacher)
    assert "My account" in client.get("/account").get_data(as_text=True)
    wrong = client.post(
        "/account", data={"current_password": "nope", "password": "Tongzhou-2026x", "confirm": "Tongzhou-2026x"}
    )
    assert wrong.status_code == 422 and "The current password is wrong." in wrong.get_data(as_text=True)
    response = client.post(
        "/account", data={"current_password": PASSWORD, "password": "Tongzhou-2026x", "confirm": "Tongzhou-2026x"}
    )
    assert response.status_code == 302
    assert client.get("/visits/mine").status_code == 200
    assert other.get("/visits/mine").status_code == 302
    assert app.test_client().get("/api/v1/visits/due", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    db.session.expire_all()
    user = db.session.get(User, users.teacher.id)
    assert user.check_password("Tongzhou-2026x")
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.kind == "password_change")).one()
    assert "Tongzhou" not in str(entry.data)
