"""Browser tests: headless Debian Chromium (through Playwright) against a live server.

The live server is a separate application with its own database — a fresh SQLite file, or a
``caseworks_browser`` database next to the PostgreSQL test database — loaded with the demo data,
Chinese by default and with CSRF on. It commits for real, so these tests do not run inside the
per-test rolled-back transaction of tests/conftest.py (``_test_transaction`` is overridden below).

Fixtures: ``live_server`` (base URL), ``live_app`` (the application, for looking at its
database), ``browser``, ``page`` (phone, 390×844), ``desktop_page`` (1280×900), ``shot(name)``
(full-page screenshot into tests/browser/screenshots/), ``login_as(page, username)``.
"""

import os
import re
import shutil
import threading
import traceback
from pathlib import Path

import pytest
from flask import got_request_exception
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server

from caseworks import create_app
from caseworks.core import clock
from caseworks.extensions import db
from config import TestConfig
from tests.browser import helpers

try:
    from playwright.sync_api import sync_playwright
except ImportError as exc:  # pragma: no cover - depends on the machine
    sync_playwright = None
    _PLAYWRIGHT_MISSING = f"playwright does not import ({exc}); run `make install`"
else:
    _PLAYWRIGHT_MISSING = None

HERE = Path(__file__).resolve().parent
SCREENSHOTS = HERE / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--lang=zh-CN",
]
BROWSER_DATABASE = "caseworks_browser"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def chromium_path():
    if Path("/usr/bin/chromium").exists():
        return "/usr/bin/chromium"
    return shutil.which("chromium")


def _why_not_runnable():
    if _PLAYWRIGHT_MISSING:
        return _PLAYWRIGHT_MISSING
    if chromium_path() is None:
        return "Chromium is not installed (/usr/bin/chromium); run `make browser-deps` as root"
    return None


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(autouse=True)
def _test_transaction():
    """Replaces the rolled-back transaction of tests/conftest.py: the live server runs in other
    threads on its own application and must see, and keep, what each request commits."""
    reason = _why_not_runnable()
    if reason:
        pytest.skip(reason)
    yield
    clock.set_now(None)


# --- the live server ------------------------------------------------------------------------


class BrowserConfig(TestConfig):
    """Production-like: Chinese first, CSRF on, errors rendered as the error pages."""

    TESTING = False
    BABEL_DEFAULT_LOCALE = "zh_CN"
    WTF_CSRF_ENABLED = True
    SQLALCHEMY_DATABASE_URI = None  # set by _browser_database


def _postgres_admin_engine(url):
    """An autocommit engine on the server's maintenance database (CREATE DATABASE cannot run
    inside a transaction, nor while connected to the database being dropped)."""
    return create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")


def _recreate_postgres_database(url):
    engine = _postgres_admin_engine(url)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{BROWSER_DATABASE}" WITH (FORCE)')
            conn.exec_driver_sql(f'CREATE DATABASE "{BROWSER_DATABASE}"')
    finally:
        engine.dispose()


def _drop_postgres_database(url):
    engine = _postgres_admin_engine(url)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{BROWSER_DATABASE}" WITH (FORCE)')
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def _browser_database(tmp_path_factory):
    """The URL of the live server's own database; never the suite's test database."""
    test_url = os.environ.get("CASEWORKS_TEST_DATABASE_URL", "")
    if test_url.startswith("postgresql"):
        url = make_url(test_url)
        if url.database == BROWSER_DATABASE:
            raise RuntimeError(f"the test database must not be called {BROWSER_DATABASE}")
        _recreate_postgres_database(url)
        yield url.set(database=BROWSER_DATABASE).render_as_string(hide_password=False)
        _drop_postgres_database(url)
    else:
        path = tmp_path_factory.mktemp("browser") / "caseworks.db"
        yield f"sqlite:///{path}"


def _load_data(app):
    """The demo data at county scale when the seeder exists (or CASEWORKS_BROWSER_DATA=small
    asks for the small set), else a small set with the demo users."""
    wanted = os.environ.get("CASEWORKS_BROWSER_DATA", "demo")
    if wanted != "small" and "seed-demo" in app.cli.commands:
        result = app.test_cli_runner().invoke(args=["seed-demo", "--scale", "county"])
        if result.exit_code != 0:
            detail = "".join(traceback.format_exception(result.exc_info[1])) if result.exc_info else ""
            raise RuntimeError(f"seed-demo failed (exit {result.exit_code}):\n{result.output}\n{detail}")
        return "demo"
    from tests.browser.smalldata import load_small_data

    load_small_data()
    db.session.commit()
    return "small"


class LiveServer:
    def __init__(self, app):
        self.app = app
        self.errors = []
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, name="live-server", daemon=True)

    def record_error(self, sender, exception, **extra):
        self.errors.append("".join(traceback.format_exception(exception)))

    def start(self):
        got_request_exception.connect(self.record_error, self.app)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.thread.join(timeout=10)
        self.server.server_close()
        got_request_exception.disconnect(self.record_error, self.app)

    def take_errors(self):
        errors, self.errors = self.errors, []
        return errors


@pytest.fixture(scope="session")
def _live(_browser_database):
    config = type("LiveBrowserConfig", (BrowserConfig,), {"SQLALCHEMY_DATABASE_URI": _browser_database})
    app = create_app(config)
    scoped_session = db.session

    @app.before_request
    def _not_inside_a_test_transaction():
        if db.session is not scoped_session:
            raise RuntimeError(
                "db.session was swapped (tests/conftest.py _test_transaction): a browser test "
                "must not run inside the per-test transaction"
            )

    with app.app_context():
        db.create_all()
        app.config["BROWSER_DATA"] = _load_data(app)
        db.session.remove()
    server = LiveServer(app)
    server.start()
    yield server
    server.stop()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session")
def live_server(_live):
    """The base URL of the running server, e.g. http://127.0.0.1:41235."""
    return _live.url


@pytest.fixture(scope="session")
def live_app(_live):
    """The live server's application: ``with live_app.app_context(): db.session...`` reads
    (and commits to) the database the browser sees."""
    return _live.app


# --- the browser ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def _playwright():
    reason = _why_not_runnable()
    if reason:
        pytest.skip(reason)
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(_playwright):
    browser = _playwright.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


class _PageWatch:
    """Collects what should fail a journey: uncaught script errors, CSP violations and
    server-side exceptions."""

    def __init__(self, page):
        self.problems = []
        page.on("pageerror", lambda error: self.problems.append(f"script error: {error}"))
        page.on("console", self._console)

    def _console(self, message):
        if message.type == "error" and "Content Security Policy" in message.text:
            self.problems.append(f"CSP violation: {message.text}")


@pytest.fixture
def _pages(request, _live):
    """The pages opened in this test (the last one is what ``shot`` photographs)."""
    opened = []
    yield opened
    problems = [p for _, watch in opened for p in watch.problems]
    server_errors = _live.take_errors()
    for context in {id(pg.context): pg.context for pg, _ in opened}.values():
        context.close()
    if server_errors or problems:
        pytest.fail("\n".join(problems + [f"server error:\n{e}" for e in server_errors]), pytrace=False)


def _new_page(browser, live_server, pages, viewport, mobile):
    context = browser.new_context(
        base_url=live_server,
        viewport=viewport,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        is_mobile=mobile,
        has_touch=mobile,
        device_scale_factor=2 if mobile else 1,
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    pages.append((page, _PageWatch(page)))
    return page


@pytest.fixture
def page(browser, live_server, _pages):
    """A phone-sized page (390×844, zh-CN) whose relative URLs go to the live server."""
    return _new_page(browser, live_server, _pages, PHONE, mobile=True)


@pytest.fixture
def desktop_page(browser, live_server, _pages):
    """A desktop-sized page (1280×900, zh-CN)."""
    return _new_page(browser, live_server, _pages, DESKTOP, mobile=False)


@pytest.fixture
def shot(request, _pages):
    """``shot(name)`` saves a full-page screenshot of the latest page (or of ``page=``) as
    tests/browser/screenshots/<test>_<name>.png and returns its path."""
    test_name = re.sub(r"[^\w.-]+", "_", request.node.name).strip("_")

    def take(name, page=None):
        if page is None:
            if not _pages:
                raise RuntimeError("shot() needs a page: request the page or desktop_page fixture first")
            page = _pages[-1][0]
        SCREENSHOTS.mkdir(exist_ok=True)
        path = SCREENSHOTS / f"{test_name}_{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def login_as():
    """``login_as(page, username, password=demo-pass-2026)``: log in through the form."""
    return helpers.login_as
