"""flag_overdue_visits and flag_stale_cases: flags come on when a date passes and off again."""

from datetime import timedelta

from caseworks.core import clock
from caseworks.core.choices import CaseKind, Line, Stage
from caseworks.core.policy import PolicyProfile
from caseworks.extensions import db
from caseworks.visits import operations
from tests.scheduler.conftest import open_planned, run


def log(case, user, planned=None):
    data = {"visit_date": clock.today(), "method": "phone", "outcome": "not_at_home", "visitors": ["teacher"]}
    return operations.log_visit(case, data, user, planned=planned)


def test_overdue_flag_appears_after_the_due_date_and_clears_when_logged(day0, make_case, users):
    case = make_case(teacher=users.teacher)  # weekly: due day0 + 7
    run()
    visit = open_planned(case, line=Line.TEACHER)[0]
    for _ in range(7):
        clock.advance(days=1)
        run()
        assert visit.is_overdue is False  # due today is not overdue yet
    clock.advance(days=1)
    summary = run()
    assert summary["flag_overdue_visits"]["flagged"] == 2  # the teacher's and the (unassigned) cadre's
    assert visit.is_overdue is True and visit.is_overdue_on(clock.today())
    log(case, users.teacher, planned=visit)
    run()
    assert visit.is_overdue is False and visit.done_dt is not None
    assert [v.is_overdue for v in open_planned(case, line=Line.TEACHER)] == [False]
    assert [v.is_overdue for v in open_planned(case, line=Line.CADRE)] == [True]


def test_overdue_flag_clears_when_the_due_date_moves_on(day0, make_case, users):
    case = make_case(teacher=users.teacher)
    run()
    clock.advance(days=9)
    run()
    visit = open_planned(case, line=Line.TEACHER)[0]
    assert visit.is_overdue is True
    # a contact logged directly (not the planned visit): the plan moves into the future
    log(case, users.teacher)
    run()
    assert visit.due_date > clock.today() and visit.is_overdue is False


def test_overdue_flag_clears_on_a_cancelled_visit(day0, make_case, users):
    case = make_case(teacher=users.teacher)
    run()
    clock.advance(days=9)
    run()
    visit = open_planned(case)[0]
    case.stage = Stage.PENDING_REVIEW
    db.session.flush()
    summary = run()
    assert summary["flag_overdue_visits"]["cleared"] == 2  # both lines' visits
    assert visit.cancelled_dt is not None and visit.is_overdue is False


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
