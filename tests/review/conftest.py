"""Cases waiting for the county review, made directly (the pages that ask for a closure are
the ladder's and tested there)."""

from datetime import date, timedelta

import pytest

from caseworks.core import clock
from caseworks.core.choices import ClosedOutcome, Stage
from caseworks.extensions import db
from caseworks.ladder.models import ClosureRequest

DAY0 = date(2026, 10, 12)


@pytest.fixture(autouse=True)
def frozen_clock():
    clock.set_now(clock.local_date_start(DAY0) + timedelta(hours=3))


@pytest.fixture
def make_pending(make_case, users, places):
    """``make_pending(requested_by=users.school_admin, outcome=..., from_stage=..., **case)``:
    a returned child whose monitoring is over, waiting for the county decision."""

    def make(
        requested_by="default",
        outcome=ClosedOutcome.RETURNED_TO_SCHOOL,
        from_stage=Stage.TOWNSHIP_PERSUASION,
        requested_days_ago=5,
        details=None,
        **overrides,
    ):
        overrides.setdefault("teacher", users.teacher)
        overrides.setdefault("cadre", users.village_cadre)
        return_date = DAY0 - timedelta(days=40)
        case = make_case(
            stage=Stage.PENDING_REVIEW,
            resume_stage=from_stage,
            return_date=return_date,
            return_school_id=places.school_a1.id,
            return_class="七年级（2）班",
            return_confirmed_by="李校长",
            monitoring_until=return_date + timedelta(days=30),
            opened_date=DAY0 - timedelta(days=120),
            **overrides,
        )
        requester = users.school_admin if requested_by == "default" else requested_by
        request = ClosureRequest(
            case_id=case.id,
            outcome=outcome,
            details=details or {"return_date": return_date.isoformat()},
            from_stage=from_stage,
            requested_by_id=requester.id if requester else None,
            requested_dt=clock.now() - timedelta(days=requested_days_ago),
        )
        db.session.add(request)
        db.session.flush()
        return case

    return make
