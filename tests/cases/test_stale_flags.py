"""flag_stale_cases: a case nobody has contacted for the county's number of days is flagged,
and a contact clears the flag."""

from datetime import timedelta

from caseworks.core import clock
from caseworks.core.choices import CaseKind, Stage
from caseworks.core.policy import PolicyProfile
from caseworks.extensions import db
from caseworks.visits import operations
from tests.fixtures.jobs import run


def log(case, user, planned=None):
    data = {"visit_date": clock.today(), "method": "phone", "outcome": "not_at_home", "visitors": ["teacher"]}
    return operations.log_visit(case, data, user, planned=planned)


def test_stale_flag_by_the_county_profile_and_cleared_by_a_contact(day0, make_case, users, places):
    a = make_case(teacher=users.teacher)
    b = make_case(kind=CaseKind.AT_RISK, teacher=users.other_teacher, village=places.vil_b1a, school=places.school_b1)
    db.session.add(PolicyProfile(county_id=places.county_b.id, stale_after_days=10))
    db.session.flush()
    clock.advance(days=10)
    run()
    assert (a.is_stale, b.is_stale) == (False, False)
    clock.advance(days=1)
    run()
    assert (a.is_stale, b.is_stale) == (False, True)
    clock.advance(days=20)
    run()
    assert (a.is_stale, b.is_stale) == (True, True)
    log(b, users.other_teacher)
    run()
    assert (a.is_stale, b.is_stale) == (True, False)


def test_stale_flag_counts_from_the_last_contact_and_skips_cases_not_visited(day0, make_case, users):
    contacted = make_case(
        teacher=users.teacher, opened_date=day0 - timedelta(days=90), last_contact_date=day0 - timedelta(days=5)
    )
    review = make_case(teacher=users.teacher, stage=Stage.PENDING_REVIEW, opened_date=day0 - timedelta(days=90))
    silent = make_case(teacher=users.teacher, opened_date=day0 - timedelta(days=90), is_stale=False)
    run("flag_stale_cases")
    assert (contacted.is_stale, review.is_stale, silent.is_stale) == (False, False, True)
    silent.stage = Stage.CLOSED
    db.session.flush()
    assert run("flag_stale_cases")["flag_stale_cases"] == {"flagged": 0, "cleared": 1}
    assert silent.is_stale is False
