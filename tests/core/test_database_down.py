"""With the database gone, users get the app's own 503 page in Chinese with every security
header (never Werkzeug's bare English 500), and the app recovers by itself; HSTS over HTTPS."""

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time

import pytest
from sqlalchemy.exc import OperationalError

from caseworks import create_app
from caseworks.extensions import db, login_manager
from config import TestConfig
from tests.core.test_security import assert_security_headers
from tests.fixtures.users import PASSWORD

DOWN_TEXT = "系统暂时无法连接数据库，请稍后重试"


def _lost(*args, **kwargs):
    raise OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))


def test_a_lost_connection_while_loading_the_user_is_the_503_page(client, login, users, monkeypatch):
    login(users.teacher)
    client.post("/lang/zh_CN", data={"next": "/"})
    monkeypatch.setattr(login_manager, "_user_callback", _lost)
    response = client.get("/visits/mine")
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert DOWN_TEXT in page
    assert "没有丢失" not in page  # nothing says what was typed is kept: it is not
    assert "Internal Server Error" not in page
    assert_security_headers(response)
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Retry-After"]


def test_a_lost_connection_on_a_submission_says_it_was_not_saved(client, login, users, make_case, monkeypatch):
    case = make_case(teacher=users.teacher)
    login(users.teacher)
    client.post("/lang/zh_CN", data={"next": "/"})
    from caseworks.visits import operations

    monkeypatch.setattr(operations, "log_visit", _lost)
    response = client.post(
        f"/cases/{case.id}/visits/new",
        data={"visit_date": "2026-01-05", "method": "phone", "visitors": ["teacher"], "outcome": "refused"},
    )
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert DOWN_TEXT in page and "没有保存" in page


def test_the_api_answers_503_in_json(client, monkeypatch):
    from caseworks.api import auth

    monkeypatch.setattr(auth, "user_from_token", _lost)
    response = client.get("/api/v1/cases", headers={"Authorization": "Bearer x"})
    assert response.status_code == 503 and response.get_json()["status"] == 503


def test_hsts_only_over_https(client):
    assert "Strict-Transport-Security" not in client.get("/login").headers
    secure = client.get("/login", base_url="https://caseworks.example")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")


# --- a real PostgreSQL restart --------------------------------------------------------------

PG_BIN = sorted(glob.glob("/usr/lib/postgresql/*/bin"))


def _as_postgres(args, **kwargs):
    if os.geteuid() == 0:
        args = ["runuser", "-u", "postgres", "--", *args]
    return subprocess.run(args, check=True, capture_output=True, text=True, timeout=60, **kwargs)


@pytest.fixture
def own_postgres():
    """A throwaway PostgreSQL cluster of this test's own, on a port of its own."""
    if not PG_BIN:
        pytest.skip("no PostgreSQL server binaries")
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root without a postgres user")
    bin_dir = PG_BIN[-1]
    root = tempfile.mkdtemp(prefix="caseworks-pg-")
    if os.geteuid() == 0:
        os.chown(root, owner.pw_uid, owner.pw_gid)
    data = os.path.join(root, "data")
    with socket.socket() as probe:  # a free port
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    _as_postgres([f"{bin_dir}/initdb", "-D", data, "-A", "trust", "-U", "postgres"])

    def ctl(action):
        options = ["-o", f"-p {port} -k {root} -c listen_addresses=127.0.0.1"] if action == "start" else []
        mode = ["-m", "fast"] if action == "stop" else []
        _as_postgres([f"{bin_dir}/pg_ctl", "-D", data, "-l", os.path.join(root, "log"), "-w", *mode, *options, action])

    ctl("start")
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres", ctl
    finally:
        try:
            ctl("stop")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(root, ignore_errors=True)


@pytest.mark.real_commits  # its own app and database: the test transaction's session must not stand in
def test_a_database_restart_shows_the_503_page_and_recovers(own_postgres):
    url, ctl = own_postgres
    config = type("OwnDatabase", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url, "BABEL_DEFAULT_LOCALE": "zh_CN"})
    app = create_app(config)
    from caseworks.accounts.models import User
    from caseworks.core.choices import AreaLevel, Role
    from tests.fixtures.places import _area
    from tests.fixtures.users import PASSWORD_HASH

    with app.app_context():
        db.create_all()
        province = _area("贵州省", "520000000000", AreaLevel.PROVINCE)
        db.session.add(
            User(
                username="admin_x",
                full_name="管理员",
                role=Role.ADMIN,
                area_id=province.id,
                password_hash=PASSWORD_HASH,
            )
        )
        db.session.commit()
    http = app.test_client()
    assert http.post("/login", data={"username": "admin_x", "password": PASSWORD}).status_code == 302
    assert http.get("/admin/users").status_code == 200
    ctl("stop")
    down = http.get("/admin/users")
    assert down.status_code == 503
    assert DOWN_TEXT in down.get_data(as_text=True)
    assert_security_headers(down)
    ctl("start")
    deadline = time.monotonic() + 20
    while (back := http.get("/admin/users")).status_code != 200 and time.monotonic() < deadline:
        time.sleep(0.5)
    assert back.status_code == 200
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
