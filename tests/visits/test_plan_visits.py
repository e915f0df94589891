"""plan_visits: every open case keeps one regular planned visit ahead for each line (teacher and
village cadre), and orphans and de-facto unsupported children the county's monthly look."""

from datetime import timedelta

from sqlalchemy import func, select

from caseworks.core import clock
from caseworks.core.audit import AuditEntry
from caseworks.core.choices import CaseKind, Line, Stage, VisitPurpose
from caseworks.core.policy import PolicyProfile
from caseworks.extensions import db
from caseworks.visits import operations
from caseworks.visits.models import Visit
from tests.fixtures.jobs import assert_planned_by_cadence, open_planned, run


def log(case, user, **extra):
    planned = extra.pop("planned", None)
    data = {"visit_date": clock.today(), "method": "home_visit", "outcome": "refused", **extra}
    return operations.log_visit(case, data, user, planned=planned)


def test_every_open_case_keeps_one_planned_visit_over_simulated_days(day0, make_case, users, places):
    cases = [
        make_case(teacher=users.teacher, cadre=users.village_cadre),  # school persuasion: weekly
        make_case(kind=CaseKind.AT_RISK, cadre=users.village_cadre),  # support: monthly, cadre goes
        make_case(kind=CaseKind.SUSPECTED),  # verification, no one assigned yet
        make_case(stage=Stage.RETURNED, teacher=users.teacher),  # monitoring: weekly checks
        make_case(
            stage=Stage.TOWNSHIP_PERSUASION, teacher=users.teacher2, village=places.vil_b1a, school=places.school_b1
        ),
    ]
    # county B visits its ladder cases every 3 days
    db.session.add(PolicyProfile(county_id=places.county_b.id, ladder_visit_interval_days=3))
    db.session.flush()
    for day in range(45):
        clock.advance(days=1)
        if day % 6 == 0:
            log(cases[0], users.teacher)
        if day == 10:
            log(cases[1], users.village_cadre, planned=open_planned(cases[1], line=Line.CADRE)[0])
        if day == 20:
            cases[2].teacher_id = users.teacher2.id  # assigned later: the plan gets an assignee
        run()
        for case in cases:
            assert_planned_by_cadence(case)
    # a contact moved the plan along: counted from the last contact, not from when the case opened
    assert open_planned(cases[0], line=Line.TEACHER)[0].due_date > day0 + timedelta(days=40)
    # the teacher went alone: the cadre's own visit was not moved by it
    assert open_planned(cases[0], line=Line.CADRE)[0].due_date == day0 + timedelta(days=7)
    assert open_planned(cases[4], line=Line.TEACHER)[0].due_date == cases[4].stage_entered_date + timedelta(days=3)
    assert open_planned(cases[2], line=Line.TEACHER)[0].assignee_id == users.teacher2.id
    assert open_planned(cases[2], line=Line.CADRE)[0].assignee_id is None


def test_logging_a_visit_moves_the_planned_visit(day0, make_case, users):
    case = make_case(teacher=users.teacher)
    run("plan_visits")
    first = assert_planned_by_cadence(case)[Line.TEACHER]
    assert first.due_date == day0 + timedelta(days=7)
    clock.advance(days=3)
    log(case, users.teacher, visitors=["teacher"])
    run("plan_visits")
    moved = assert_planned_by_cadence(case)[Line.TEACHER]
    assert moved.id == first.id and moved.due_date == clock.today() + timedelta(days=7)
    # logging the planned visit itself: a new one is planned after it
    clock.advance(days=2)
    log(case, users.teacher, planned=moved, visitors=["teacher"])
    run("plan_visits")
    after = assert_planned_by_cadence(case)[Line.TEACHER]
    assert after.id != moved.id and after.due_date == clock.today() + timedelta(days=7)


def test_each_line_has_its_own_visits_and_a_joint_visit_counts_for_both(day0, make_case, users, places):
    case = make_case(teacher=users.teacher, cadre=users.village_cadre)
    # the county lets the village cadre visit ladder cases every two weeks
    db.session.add(PolicyProfile(county_id=places.county_a.id, cadre_ladder_visit_interval_days=14))
    db.session.flush()
    run("plan_visits")
    planned = assert_planned_by_cadence(case)
    assert planned[Line.TEACHER].assignee_id == users.teacher.id
    assert planned[Line.TEACHER].due_date == day0 + timedelta(days=7)
    assert planned[Line.CADRE].assignee_id == users.village_cadre.id
    assert planned[Line.CADRE].due_date == day0 + timedelta(days=14)
    # the cadre goes alone: only the cadre's visit moves
    clock.advance(days=5)
    log(case, users.village_cadre, planned=planned[Line.CADRE], visitors=["cadre"])
    after = assert_planned_by_cadence(case)
    assert after[Line.TEACHER].id == planned[Line.TEACHER].id
    assert after[Line.TEACHER].due_date == day0 + timedelta(days=7)
    assert after[Line.CADRE].due_date == clock.today() + timedelta(days=14)
    # a joint visit, logged by the teacher: it counts for both lines
    clock.advance(days=1)
    log(case, users.teacher, planned=after[Line.TEACHER], visitors=["teacher", "cadre"])
    joint = assert_planned_by_cadence(case)
    assert joint[Line.TEACHER].due_date == clock.today() + timedelta(days=7)
    assert joint[Line.CADRE].due_date == clock.today() + timedelta(days=14)
    assert joint[Line.CADRE].id == after[Line.CADRE].id  # moved along, not logged twice
    run("plan_visits")
    assert assert_planned_by_cadence(case) == joint


def test_overdue_visits_are_counted_for_each_person(day0, make_case, users):
    from caseworks.visits.queries import overdue_counts

    case = make_case(teacher=users.teacher, cadre=users.village_cadre)
    run("plan_visits")
    clock.advance(days=8)
    people = {user_id: n for user_id, _name, n in overdue_counts(users.township_official)["person"]}
    assert people == {users.teacher.id: 1, users.village_cadre.id: 1}
    # the teacher logs theirs alone: the cadre's is still overdue
    log(case, users.teacher, planned=open_planned(case, line=Line.TEACHER)[0], visitors=["teacher"])
    people = {user_id: n for user_id, _name, n in overdue_counts(users.township_official)["person"]}
    assert people == {users.village_cadre.id: 1}


def test_cases_no_longer_visited_lose_their_planned_visits(day0, make_case, make_child, users):
    review = make_case(teacher=users.teacher)
    closed = make_case(teacher=users.teacher)
    orphan = make_case(teacher=users.teacher, child=make_child(groups=("orphan",)))
    run("plan_visits")
    assert len(open_planned(orphan, looks=True)) == 1
    review.stage = Stage.PENDING_REVIEW
    closed.stage = Stage.CLOSED
    orphan.stage = Stage.PENDING_REVIEW
    db.session.flush()
    summary = run("plan_visits")["plan_visits"]
    assert summary["cancelled"] == 6 and summary["looks_cancelled"] == 1
    for case in (review, closed, orphan):
        assert open_planned(case) == [] and open_planned(case, looks=True) == []


def test_duplicates_are_cancelled_and_the_result_is_what_ensure_planned_leaves(day0, make_case, users):
    case = make_case(teacher=users.teacher)
    other = make_case(cadre=users.village_cadre, kind=CaseKind.AT_RISK)
    for due in (day0 + timedelta(days=20), day0 + timedelta(days=2)):
        db.session.add(
            Visit(case_id=case.id, due_date=due, purpose=VisitPurpose.MONTHLY, line="teacher", planned_dt=clock.now())
        )
    db.session.add(
        Visit(
            case_id=other.id,
            due_date=day0 - timedelta(days=4),
            purpose=VisitPurpose.LADDER,
            line="cadre",
            planned_dt=clock.now(),
        )
    )
    db.session.flush()
    summary = run("plan_visits")["plan_visits"]
    assert (summary["cancelled"], summary["moved"], summary["planned"]) == (1, 2, 2)
    for c in (case, other):
        kept = assert_planned_by_cadence(c)
        # ensure_planned, applied afterwards, finds nothing to change
        assert sorted(v.id for v in operations.ensure_planned(c)) == sorted(v.id for v in kept.values())
        assert not any(db.session.is_modified(v) for v in kept.values())
        assert len(open_planned(c)) == 2


def test_a_visit_planned_by_hand_keeps_its_date(day0, make_case, users):
    case = make_case(teacher=users.teacher)
    manual = operations.plan_visit(
        case, {"due_date": day0 + timedelta(days=12), "assignee_id": users.school_admin.id}, users.school_admin
    )
    run("plan_visits")
    assert manual in open_planned(case)
    assert manual.due_date == day0 + timedelta(days=12) and manual.purpose == VisitPurpose.MANUAL
    # the regular visit of the cadence is planned beside it, and logging it leaves the manual one
    [regular] = [v for v in open_planned(case, line=Line.TEACHER) if v.purpose != VisitPurpose.MANUAL]
    log(case, users.teacher, planned=regular)
    run("plan_visits")
    assert manual in open_planned(case) and manual.cancelled_dt is None


def test_county_look_for_orphans_and_unsupported_children(day0, make_case, make_child, users):
    orphan = make_case(teacher=users.teacher, child=make_child(groups=("orphan",)))
    unsupported = make_case(teacher=users.teacher, child=make_child(groups=("unsupported", "left_behind")))
    plain = make_case(teacher=users.teacher, child=make_child(groups=("left_behind",)))
    run("plan_visits")
    for case in (orphan, unsupported):
        [look] = open_planned(case, looks=True)
        assert look.assignee_id is None and look.due_date == case.opened_date + timedelta(days=30)
        assert_planned_by_cadence(case)  # the regular visits are there besides
    assert open_planned(plain, looks=True) == []
    # the look is done ten days later by the county: the next one is due a month after it, and
    # goes to the same county person
    clock.advance(days=10)
    [look] = open_planned(orphan, looks=True)
    log(orphan, users.county_reviewer, planned=look, visitors=["county_staff"])
    run("plan_visits")
    [following] = open_planned(orphan, looks=True)
    assert following.id != look.id and following.due_date == clock.today() + timedelta(days=30)
    assert following.assignee_id == users.county_reviewer.id
    # a look counts for neither line: the county staff went
    assert_planned_by_cadence(orphan)


def test_second_run_changes_nothing_and_each_run_writes_one_audit_entry(day0, make_case, users):
    for _ in range(5):
        make_case(teacher=users.teacher)

    def job_entries():
        return db.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.kind == "job"))

    first = run("plan_visits")["plan_visits"]
    assert first["planned"] == 10  # a visit for each line of each case
    assert job_entries() == 1
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.kind == "job")).one()
    assert entry.actor_name == "system" and entry.user_id is None and entry.data["planned"] == 10
    second = run("plan_visits")["plan_visits"]
    assert {k: v for k, v in second.items() if k not in ("open_cases", "county_look_cases")} == dict.fromkeys(
        ("planned", "moved", "assigned", "cancelled", "looks_planned", "looks_moved", "looks_cancelled"), 0
    )
    assert job_entries() == 1
