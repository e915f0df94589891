"""``flask users token`` and ``flask users create-admin``."""

import hashlib

import pytest
from sqlalchemy import select

from caseworks.accounts.models import User
from caseworks.extensions import db
from tests.accounts.helpers import audit_since, last_audit_id

pytestmark = pytest.mark.usefixtures("fast_password_hashing")


def _user(username):
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.username == username))


def test_token_is_issued_once_and_stored_as_its_hash(app, users):
    before = last_audit_id()
    result = app.test_cli_runner().invoke(args=["users", "token", "teacher_a"])
    assert result.exit_code == 0, result.output
    token = result.stdout.strip().splitlines()[0]
    assert len(token) >= 40
    user = _user("teacher_a")
    assert user.api_token_hash == hashlib.sha256(token.encode()).hexdigest() == User.hash_token(token)
    entries = audit_since(before)
    assert [(e.kind, e.module, e.target_id, e.actor_name) for e in entries] == [
        ("token_issued", "accounts", user.id, "system")
    ]
    assert token not in str(entries[0].data) and token not in entries[0].summary


def test_a_new_token_replaces_the_old_one(app, users):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["users", "token", "teacher_a"]).stdout.split()[0]
    second = runner.invoke(args=["users", "token", "teacher_a"]).stdout.split()[0]
    assert first != second
    assert _user("teacher_a").api_token_hash == User.hash_token(second)


def test_token_for_an_unknown_user(app, users):
    before = last_audit_id()
    result = app.test_cli_runner().invoke(args=["users", "token", "nobody"])
    assert result.exit_code == 1
    assert "no user named 'nobody'" in result.stderr
    assert result.stdout == ""
    assert audit_since(before) == []


def test_token_for_a_deactivated_user(app, users):
    users.teacher.is_active = False
    db.session.flush()
    result = app.test_cli_runner().invoke(args=["users", "token", "teacher_a"])
    assert result.exit_code == 1
    assert "is deactivated" in result.stderr
    assert _user("teacher_a").api_token_hash is None


def test_create_admin(app, places):
    before = last_audit_id()
    result = app.test_cli_runner().invoke(
        args=["users", "create-admin", "root", "--area-code", "520000000000", "--full-name", "系统管理员"],
        input="first-admin-pass\nfirst-admin-pass\n",
    )
    assert result.exit_code == 0, result.output
    assert "created administrator root" in result.stdout
    assert "first-admin-pass" not in result.output
    user = _user("root")
    assert (user.role, user.area_id, user.full_name, user.is_active) == (
        "admin",
        places.province.id,
        "系统管理员",
        True,
    )
    assert user.check_password("first-admin-pass")
    entries = audit_since(before)
    assert [(e.kind, e.target_id) for e in entries] == [("create", user.id)]
    assert "first-admin-pass" not in str(entries[0].data)


@pytest.mark.parametrize(
    "args, typed, message",
    [
        (["root", "--area-code", "999999999999"], "", "no area with the code '999999999999'"),
        (["root", "--area-code", "520000000000"], "short\nshort\n", "at least 10 characters"),
        (["Bad Name", "--area-code", "520000000000"], "first-admin-pass\nfirst-admin-pass\n", "lower-case letters"),
    ],
)
def test_create_admin_refusals(app, places, args, typed, message):
    before = last_audit_id()
    result = app.test_cli_runner().invoke(args=["users", "create-admin", *args], input=typed)
    assert result.exit_code == 1
    assert message in result.stderr
    assert _user("root") is None
    assert audit_since(before) == []


def test_create_admin_asks_again_when_the_passwords_differ(app, places):
    result = app.test_cli_runner().invoke(
        args=["users", "create-admin", "root", "--area-code", "520000000000"],
        input="first-admin-pass\nsecond-admin-pass\nfirst-admin-pass\nfirst-admin-pass\n",
    )
    assert result.exit_code == 0, result.output
    assert _user("root").check_password("first-admin-pass")
