"""flag_overdue_visits: a planned visit is flagged once its due date has passed, and the flag
goes off again when the visit is logged, moved or cancelled."""

from caseworks.core import clock
from caseworks.core.choices import Line, Stage
from caseworks.extensions import db
from caseworks.visits import operations
from tests.fixtures.jobs import open_planned, run


def log(case, user, planned=None):
    data = {"visit_date": clock.today(), "method": "phone", "outcome": "not_at_home"}
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
