"""The county demo data, loaded once per test module and shared.

tests/conftest.py runs each test in a transaction of its own, rolled back afterwards. Here the
data is loaded once into an outer transaction on a connection of the module's own; a test that
asks for ``seeded`` runs inside a savepoint on that connection, rolled back at its end, so that
what it writes (a login's audit entry, a scheduler job's changes) does not reach the next test.
Tests that do not ask for ``seeded`` get the usual empty database and transaction.
"""

import pytest

from caseworks.core import clock
from caseworks.demo import generator
from caseworks.extensions import db
from tests.conftest import _ConnectionSession


def _bound_session(connection):
    return db._make_scoped_session(
        {"class_": _ConnectionSession, "bind": connection, "join_transaction_mode": "create_savepoint"}
    )


@pytest.fixture(scope="module")
def _county_data(app):
    """(connection, seed result): the county demo data inside a transaction never committed."""
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        original = db.session
        db.session = _bound_session(connection)
        try:
            result = generator.seed(db.session, "county")
            db.session.commit()  # releases the session's savepoint: the data stays in ``outer``
        except BaseException:
            outer.rollback()
            connection.close()
            raise
        finally:
            db.session.remove()
            db.session = original
    yield connection, result
    outer.rollback()
    connection.close()


@pytest.fixture(autouse=True)
def _test_transaction(app, request):
    """Overrides tests/conftest.py's: on the shared data for tests that ask for ``seeded``."""
    shared = "seeded" in request.fixturenames
    with app.app_context():
        if shared:
            connection, _result = request.getfixturevalue("_county_data")
            outer = connection.begin_nested()
        else:
            connection = db.engine.connect()
            outer = connection.begin()
        original = db.session
        db.session = _bound_session(connection)
        try:
            yield
        finally:
            db.session.remove()
            db.session = original
            if outer.is_active:
                outer.rollback()
            if not shared:
                connection.close()
            clock.set_now(None)


@pytest.fixture
def seeded(_county_data):
    return _county_data[1]
