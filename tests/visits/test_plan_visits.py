"""plan_visits: every open case keeps exactly one regular planned visit ahead."""

from datetime import timedelta

from sqlalchemy import func, select

from caseworks.core import clock
from caseworks.core.audit import AuditEntry
from caseworks.core.choices import CaseKind, Stage, VisitPurpose
from caseworks.core.policy import PolicyProfile
from caseworks.extensions import db
from caseworks.visits import operations
from caseworks.visits.models import Visit
from tests.fixtures.jobs import assert_planned_by_cadence, open_planned, run


def log(case, user, **extra):
    data = {"visit_date": clock.today(), "method": "home_visit", "outcome": "refused", **extra}
    return operations.log_visit(case, data, user, planned=extra.pop("planned", None))


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
            log(cases[1], users.village_cadre, planned=open_planned(cases[1])[0])
        if day == 20:
            cases[2].teacher_id = users.teacher2.id  # assigned later: the plan gets an assignee
        run()
        for case in cases:
            assert_planned_by_cadence(case)
    # a contact moved the plan along: counted from the last contact, not from when the case opened
    assert open_planned(cases[0])[0].due_date > day0 + timedelta(days=40)
    assert open_planned(cases[4])[0].due_date == cases[4].stage_entered_date + timedelta(days=3)
    assert open_planned(cases[2])[0].assignee_id == users.teacher2.id


def test_logging_a_visit_moves_the_planned_visit(day0, make_case, users):
    case = make_case(teacher=users.teacher)
    run("plan_visits")
    first = assert_planned_by_cadence(case)
    assert first.due_date == day0 + timedelta(days=7)
    clock.advance(days=3)
    log(case, users.teacher)
    run("plan_visits")
    moved = assert_planned_by_cadence(case)
    assert moved.id == first.id and moved.due_date == clock.today() + timedelta(days=7)
    # logging the planned visit itself: a new one is planned after it
    clock.advance(days=2)
    log(case, users.teacher, planned=moved)
    run("plan_visits")
    after = assert_planned_by_cadence(case)
    assert after.id != moved.id and after.due_date == clock.today() + timedelta(days=7)


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
    assert summary["cancelled"] == 3 and summary["looks_cancelled"] == 1
    for case in (review, closed, orphan):
        assert open_planned(case) == [] and open_planned(case, looks=True) == []


def test_duplicates_are_cancelled_and_the_result_is_what_ensure_planned_leaves(day0, make_case, users):
    case = make_case(teacher=users.teacher)
    other = make_case(cadre=users.village_cadre, kind=CaseKind.AT_RISK)
    for due in (day0 + timedelta(days=20), day0 + timedelta(days=2)):
        db.session.add(Visit(case_id=case.id, due_date=due, purpose=VisitPurpose.MONTHLY, planned_dt=clock.now()))
    db.session.add(
        Visit(case_id=other.id, due_date=day0 - timedelta(days=4), purpose=VisitPurpose.LADDER, planned_dt=clock.now())
    )
    db.session.flush()
    summary = run("plan_visits")["plan_visits"]
    assert (summary["cancelled"], summary["moved"]) == (1, 2)
    for c in (case, other):
        kept = assert_planned_by_cadence(c)
        # ensure_planned, applied afterwards, finds nothing to change
        assert operations.ensure_planned(c) is kept
        assert db.session.is_modified(kept) is False
        assert len(open_planned(c)) == 1


def test_a_visit_planned_by_hand_keeps_its_date(day0, make_case, users):
    case = make_case(teacher=users.teacher)
    manual = operations.plan_visit(
        case, {"due_date": day0 + timedelta(days=12), "assignee_id": users.school_admin.id}, users.school_admin
    )
    run("plan_visits")
    assert manual in open_planned(case)
    assert manual.due_date == day0 + timedelta(days=12) and manual.purpose == VisitPurpose.MANUAL
    # the regular visit of the cadence is planned beside it, and logging it leaves the manual one
    [regular] = [v for v in open_planned(case) if v.purpose != VisitPurpose.MANUAL]
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
        assert_planned_by_cadence(case)  # the regular visit is there besides
    assert open_planned(plain, looks=True) == []
    # the look is done ten days later: the next one is due a month after it
    clock.advance(days=10)
    [look] = open_planned(orphan, looks=True)
    log(orphan, users.county_reviewer, planned=look)
    run("plan_visits")
    [following] = open_planned(orphan, looks=True)
    assert following.id != look.id and following.due_date == clock.today() + timedelta(days=30)
    assert_planned_by_cadence(orphan)


def test_second_run_changes_nothing_and_each_run_writes_one_audit_entry(day0, make_case, users):
    for _ in range(5):
        make_case(teacher=users.teacher)

    def job_entries():
        return db.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.kind == "job"))

    first = run("plan_visits")["plan_visits"]
    assert first["planned"] == 5
    assert job_entries() == 1
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.kind == "job")).one()
    assert entry.actor_name == "system" and entry.user_id is None and entry.data["planned"] == 5
    second = run("plan_visits")["plan_visits"]
    assert {k: v for k, v in second.items() if k not in ("open_cases", "county_look_cases")} == dict.fromkeys(
        ("planned", "moved", "assigned", "cancelled", "looks_planned", "looks_moved", "looks_cancelled"), 0
    )
    assert job_entries() == 1
