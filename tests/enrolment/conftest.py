from datetime import UTC, datetime

import pytest

from caseworks.core import clock


@pytest.fixture(autouse=True)
def _term_time():
    """A Wednesday in the autumn term of the 2026–2027 school year."""
    clock.set_now(datetime(2026, 10, 14, 2, 0, tzinfo=UTC))
    yield
    clock.set_now(None)


@pytest.fixture
def client(app):
    """The test client; after each request the test's own session forgets what it had loaded,
    so that the objects it holds show what the request stored."""
    from caseworks.extensions import db

    client = app.test_client()
    original = client.open

    def open_and_expire(*args, **kwargs):
        response = original(*args, **kwargs)
        db.session.expire_all()
        return response

    client.open = open_and_expire
    return client
