"""A visited case on a fixed day, shared by the visit pages' and rules' tests."""

from datetime import date, timedelta

import pytest

from caseworks.core import clock

TODAY = date(2026, 11, 20)


@pytest.fixture
def frozen_clock():
    clock.set_now(clock.local_date_start(TODAY) + timedelta(hours=3))


@pytest.fixture
def case(make_case, users):
    """A dropped-out child's case with both lines assigned, opened 40 days before TODAY."""
    return make_case(
        teacher=users.teacher,
        cadre=users.village_cadre,
        opened_date=TODAY - timedelta(days=40),
        stage_entered_date=TODAY - timedelta(days=40),
    )
