"""Test set-up: one database per test session, each test inside a transaction rolled back at
its end. SQLite in memory by default; CASEWORKS_TEST_DATABASE_URL runs the suite elsewhere
(PostgreSQL in CI)."""

import pytest
from flask.testing import FlaskClient
from flask_sqlalchemy.session import Session

from caseworks import create_app
from caseworks.core import clock
from caseworks.extensions import db
from config import TestConfig

pytest_plugins = [
    "tests.fixtures.places",
    "tests.fixtures.users",
    "tests.fixtures.cases",
    "tests.fixtures.jobs",
]


class Client(FlaskClient):
    """Each request runs in an application context of its own, as in production, so that
    nothing in ``g`` (the logged-in user, say) carries over from one request to the next."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


class _ConnectionSession(Session):
    """Always uses the test's connection (Flask-SQLAlchemy's session would pick the engine)."""

    def get_bind(self, *args, **kwargs):
        return self.bind


@pytest.fixture(scope="session")
def app():
    app = create_app(TestConfig)
    app.test_client_class = Client
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.exec_driver_sql("DROP SCHEMA public CASCADE")
                conn.exec_driver_sql("CREATE SCHEMA public")
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _test_transaction(app, request):
    """Run the test in a transaction that is rolled back afterwards. Code under test may
    commit: its commits release savepoints inside that transaction."""
    if request.node.get_closest_marker("real_commits"):
        with app.app_context():
            yield
            db.session.remove()
            _truncate_all()
        clock.set_now(None)
        return
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        original = db.session
        db.session = db._make_scoped_session(
            {"class_": _ConnectionSession, "bind": connection, "join_transaction_mode": "create_savepoint"}
        )
        try:
            yield
        finally:
            db.session.remove()
            db.session = original
            outer.rollback()
            connection.close()
            clock.set_now(None)


def _truncate_all():
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def csrf_app(app):
    """The app with CSRF protection switched on, as in production."""
    app.config["WTF_CSRF_ENABLED"] = True
    yield app
    app.config["WTF_CSRF_ENABLED"] = False


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "real_commits: the test commits for real (other processes must see its data); tables are emptied afterwards",
    )
    config.addinivalue_line("markers", "browser: drives headless Chromium")
