from datetime import datetime

import pytest
from sqlalchemy import select

from caseworks.core import clock
from caseworks.core.choices import VISITED_STAGES, Line, VisitPurpose
from caseworks.core.policy import profile_for
from caseworks.extensions import db
from caseworks.scheduler import runner
from caseworks.visits import cadence, queries
from caseworks.visits.models import Visit

#: a Monday morning, after the 07:30 digest time
DAY0 = datetime(2026, 3, 2, 9, 0, tzinfo=clock.LOCAL_TZ)


@pytest.fixture
def day0():
    clock.set_now(DAY0)
    return clock.today()


#: the jobs these tests are about (other features register jobs of their own, tested with them)
OWN_JOBS = ("plan_visits", "flag_overdue_visits", "flag_stale_cases", "send_reminders", "build_statistics_snapshot")


def run(*names):
    """Run the named jobs (every registered job if none) as ``scheduler --once`` does; their
    summaries."""
    results = runner.run_once(names or None)
    own = [(r.job, r.status, r.error) for r in results if r.job in OWN_JOBS]
    assert [status for _, status, _ in own] == ["done"] * len(own), own
    return {r.job: r.summary for r in results}


def open_planned(case, *, looks=False, line=None):
    """The case's open planned visits: regular ones (of one ``line``, if given) or county looks."""
    purpose = Visit.purpose == VisitPurpose.COUNTY_LOOK if looks else Visit.purpose != VisitPurpose.COUNTY_LOOK
    stmt = select(Visit).where(
        Visit.case_id == case.id,
        Visit.done_dt.is_(None),
        Visit.cancelled_dt.is_(None),
        Visit.due_date.is_not(None),
        purpose,
    )
    if line is not None:
        stmt = stmt.where(Visit.line == line)
    return db.session.scalars(stmt.order_by(Visit.due_date, Visit.id)).all()


def assert_planned_by_cadence(case):
    """Exactly one regular planned visit per line, due as the cadence says from that line's last
    contact, for the person holding the line (none if the case is no longer visited). Returns
    ``{line: visit}``."""
    db.session.refresh(case)
    planned = [v for v in open_planned(case) if v.purpose != VisitPurpose.MANUAL]
    if case.stage not in VISITED_STAGES:
        assert planned == [], (case, planned)
        return {}
    contacts = queries.line_contact_dates([case.id])
    found = {}
    for line in Line:
        mine = [v for v in planned if v.line == line]
        assert len(mine) == 1, (case, line, planned)
        due, purpose = cadence.next_due(case, profile_for(case.county_id), line, contacts.get((case.id, line)))
        visit = mine[0]
        assert (visit.due_date, visit.purpose) == (due, purpose), (case, line)
        assert visit.assignee_id == getattr(case, line.case_attr)
        found[line] = visit
    assert len(planned) == 2, planned
    return found
