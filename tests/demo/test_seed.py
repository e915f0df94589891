"""``flask seed-demo``: sizes, coverage of kinds and stages, valid IDs, demo users, visits and
their cadence, stage history, audit chain."""

from collections import Counter, defaultdict
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from caseworks.accounts.models import User
from caseworks.cases.models import Case, Child
from caseworks.core import audit, clock, idnumber
from caseworks.core.choices import (
    LADDER_STAGES,
    VISITED_STAGES,
    AreaLevel,
    CaseKind,
    ClosedOutcome,
    Line,
    NoticeKind,
    Role,
    Stage,
    VisitOutcome,
    VisitPurpose,
)
from caseworks.core.policy import defaults
from caseworks.demo import generator
from caseworks.extensions import db
from caseworks.ladder import jobs, operations, transitions
from caseworks.ladder.forms import OUTCOME_NEEDS
from caseworks.ladder.models import ClosureRequest, LegalStep, Notice, NoticeCounter, StageChange
from caseworks.ladder.operations import fill_notice_text
from caseworks.ladder.transitions import persuasion_counts
from caseworks.places.models import Area, School
from caseworks.review import queries
from caseworks.visits import cadence
from caseworks.visits import queries as visit_queries
from caseworks.visits.jobs import plan_visits
from caseworks.visits.models import SupportMeasure, Visit

DEMO_USERS = ("teacher1", "principal1", "cadre1", "township1", "reviewer1", "admin")


# ``seeded``: the county demo data, loaded once for the module (tests/demo/conftest.py); each
# test runs in a savepoint rolled back at its end.


def _count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_county_scale_has_the_designed_sizes(seeded):
    assert _count(Area, Area.level == AreaLevel.PROVINCE) == 1
    assert _count(Area, Area.level == AreaLevel.COUNTY) == 1
    assert _count(Area, Area.level == AreaLevel.TOWNSHIP) == 15
    assert _count(Area, Area.level == AreaLevel.VILLAGE) == 150
    assert _count(School) == 40
    assert _count(Case) == 2000
    assert len(set(db.session.scalars(select(Area.code)))) == _count(Area)
    assert all(len(code) == 12 for code in db.session.scalars(select(Area.code)))


def test_every_kind_and_stage_appears_and_places_agree(seeded):
    pairs = set(db.session.execute(select(Case.kind, Case.stage).distinct()).all())
    assert {kind for kind, _ in pairs} == {k.value for k in CaseKind}
    assert {stage for _, stage in pairs} == {s.value for s in Stage}
    assert ("suspected", "closed") in pairs
    village = db.session.get(Area, db.session.scalar(select(Case.village_id).limit(1)))
    case = db.session.scalar(select(Case).where(Case.village_id == village.id).limit(1))
    assert (case.township_id, case.county_id) == (village.township_id, village.county_id)
    assert village.path.endswith(f".{village.township_id}.{village.id}.")
    assert _count(Case, Case.kind == CaseKind.NEVER_ENROLLED, Case.school_id.isnot(None)) == 0
    assert _count(Case, Case.stage == Stage.CLOSED, Case.closed_outcome.is_(None)) == 0


def test_id_numbers_are_valid_unique_and_match_birth_dates(seeded):
    rows = db.session.execute(select(Child.id_number, Child.birth_date, Child.gender)).all()
    # the case children and the other pupils of the enrolment register
    assert len({r.id_number for r in rows}) == len(rows) > 2000
    for number, birth, gender in rows:
        assert idnumber.validate(number) == number
        assert idnumber.birth_date_of(number) == birth
        assert idnumber.gender_of(number) == gender


def test_demo_users_hold_cases_and_can_log_in(seeded, client):
    users = {u.username: u for u in db.session.scalars(select(User).where(User.username.in_(DEMO_USERS)))}
    assert set(users) == set(DEMO_USERS)
    teacher, cadre, principal = users["teacher1"], users["cadre1"], users["principal1"]
    assert teacher.school_id == principal.school_id
    assert 20 <= _count(Case, Case.teacher_id == teacher.id) <= 60
    assert 20 <= _count(Case, Case.cadre_id == cadre.id) <= 60
    school_stages = set(db.session.scalars(select(Case.stage).where(Case.school_id == principal.school_id).distinct()))
    assert school_stages == {s.value for s in Stage}
    for username in DEMO_USERS:
        response = client.post("/login", data={"username": username, "password": generator.DEMO_PASSWORD})
        assert response.status_code == 302, username
        client.post("/logout")


def test_audit_chain_verifies(seeded):
    result = audit.verify(db.session)
    assert result.ok, result.problem
    # one entry per case, one per bulk kind (stage history, ladder records, visits, support measures,
    # enrolment register), one for the load
    assert result.checked == 2000 + 5 + 1


def test_a_second_load_is_refused(seeded, app):
    with pytest.raises(generator.DemoDataExists, match="demo data loads only into an empty database"):
        generator.seed(db.session, "county")
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["seed-demo", "--scale", "county"])
    assert refused.exit_code != 0
    assert "already holds data" in refused.output
    skipped = runner.invoke(args=["seed-demo", "--scale", "county", "--if-empty"])
    assert skipped.exit_code == 0
    assert "nothing loaded" in skipped.output
    assert _count(Case) == 2000


# --- visits, support measures, stage history ---------------------------------------------------


def _open_planned(*where):
    return select(Visit).where(
        Visit.done_dt.is_(None), Visit.cancelled_dt.is_(None), Visit.due_date.isnot(None), *where
    )


def test_county_scale_has_20000_visits(seeded):
    assert _count(Visit) == 20000
    assert seeded.counts["visit"] == 20000
    done = _count(Visit, Visit.done_dt.isnot(None))
    assert done > 15000
    assert _count(SupportMeasure) > 100
    assert _count(StageChange) > 1000


def test_done_visits_are_complete_and_dated_within_their_case(seeded):
    today = clock.today()
    rows = db.session.execute(
        select(
            Visit.visit_date,
            Visit.done_dt,
            Visit.method,
            Visit.outcome,
            Visit.logged_by_id,
            Visit.visitors,
            Visit.findings,
            Visit.next_step,
            Visit.stage_at_visit,
            Visit.agreed_return_date,
            Case.opened_date,
            Case.teacher_id,
            Case.cadre_id,
        )
        .join(Case, Case.id == Visit.case_id)
        .where(Visit.done_dt.isnot(None))
    ).all()
    outcomes = {o.value for o in VisitOutcome}
    for r in rows:
        assert r.opened_date <= r.visit_date <= today
        assert r.done_dt is not None and r.method and r.outcome in outcomes
        assert r.visitors and r.findings and r.next_step and r.stage_at_visit
        if "county_staff" in r.visitors:  # the county's monthly look, logged by the county
            assert r.logged_by_id not in (r.teacher_id, r.cadre_id)
        elif r.teacher_id or r.cadre_id:
            assert r.logged_by_id in (r.teacher_id, r.cadre_id)
        if r.outcome == "agreed_to_return":
            assert r.agreed_return_date > r.visit_date
    methods = Counter(r.method for r in rows)
    assert methods.most_common(1)[0][0] == "home_visit"
    assert {"phone", "video", "meeting_school"} <= set(methods)


def test_last_contact_is_the_latest_done_visit(seeded):
    latest = dict(
        db.session.execute(
            select(Visit.case_id, func.max(Visit.visit_date)).where(Visit.done_dt.isnot(None)).group_by(Visit.case_id)
        ).all()
    )
    today = clock.today()
    for case_id, last, opened, stage, stale in db.session.execute(
        select(Case.id, Case.last_contact_date, Case.opened_date, Case.stage, Case.is_stale)
    ):
        assert latest.get(case_id) == last, case_id
        expected = stage in VISITED_STAGES and (today - (last or opened)).days > 30
        assert stale == expected, case_id


def test_every_open_visited_case_has_a_planned_visit_for_each_line_by_the_cadence(seeded):
    profile = defaults()
    today = clock.today()
    cases = db.session.scalars(select(Case).options(selectinload(Case.child).selectinload(Child.group_rows))).all()
    planned = defaultdict(list)
    for visit in db.session.scalars(_open_planned()):
        planned[visit.case_id].append(visit)
    last_look = dict(
        db.session.execute(
            select(Visit.case_id, func.max(Visit.visit_date))
            .where(Visit.purpose == VisitPurpose.COUNTY_LOOK, Visit.done_dt.isnot(None))
            .group_by(Visit.case_id)
        ).all()
    )
    contacts = visit_queries.line_contact_dates(None)
    reviewer = db.session.scalar(select(User).where(User.username == "reviewer1"))
    overdue = 0
    visited = 0
    for case in cases:
        regular = [v for v in planned[case.id] if v.purpose != VisitPurpose.COUNTY_LOOK]
        looks = [v for v in planned[case.id] if v.purpose == VisitPurpose.COUNTY_LOOK]
        if cadence.rule_for(case.stage, profile) is None:
            # a health deferral is visited a month before it ends; nothing else is planned
            wanted = cadence.deferral_check_due(case)
            assert [(v.purpose, v.due_date) for v in planned[case.id]] == (
                [("deferral_check", wanted)] if wanted else []
            ), case
            continue
        visited += 1
        assert sorted(v.line for v in regular) == ["cadre", "teacher"], case
        for visit in regular:
            line = Line(visit.line)
            wanted = cadence.next_due(case, profile, line, contacts.get((case.id, line)))
            assert (visit.due_date, visit.purpose) == wanted, case
            assert visit.assignee_id == getattr(case, line.case_attr)
            assert visit.is_overdue == (visit.due_date < today)
            assert visit.planned_dt is not None
            overdue += visit.is_overdue
        assert len(looks) == (1 if cadence.needs_county_look(case) else 0), case
        if looks:  # due a month after the last look done (or after the case opened), as the scheduler has it
            base = max(d for d in (last_look.get(case.id), case.opened_date) if d)
            assert looks[0].due_date == base + timedelta(days=profile.county_look_interval_days), case
            assert looks[0].assignee_id == (reviewer.id if case.id in last_look else None)
    assert visited > 1000
    assert 0.08 <= overdue / (2 * visited) <= 0.25
    # the scheduler finds the plan as it would make it
    summary = plan_visits(today)
    assert {k: v for k, v in summary.items() if k not in ("open_cases", "county_look_cases")} == dict.fromkeys(
        ("planned", "moved", "assigned", "cancelled", "looks_planned", "looks_moved", "looks_cancelled"), 0
    )


def test_demo_users_see_every_section_of_my_visits(seeded, client):
    today = clock.today()
    for username in ("teacher1", "cadre1"):
        user = db.session.scalar(select(User).where(User.username == username))
        dues = [v.due_date for v in db.session.scalars(_open_planned(Visit.assignee_id == user.id))]
        assert any(d < today for d in dues), username
        assert any(d == today for d in dues), username
        assert any(today < d <= today + timedelta(days=7) for d in dues), username
        assert any(today + timedelta(days=7) < d <= today + timedelta(days=30) for d in dues), username
    client.post("/login", data={"username": "teacher1", "password": generator.DEMO_PASSWORD})
    response = client.get("/visits/mine")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for section in ("overdue", "today", "week", "later"):
        start = page.index(f'id="{section}"')
        end = page.find("</section>", start)
        assert "Log the visit" in page[start:end], section


def test_ladder_cases_have_persuasion_contacts_and_a_stage_history(seeded):
    ladder_rank = {s.value: i for i, s in enumerate(LADDER_STAGES)}
    changes = defaultdict(list)
    for change in db.session.scalars(
        select(StageChange).order_by(StageChange.case_id, StageChange.changed_dt, StageChange.id)
    ):
        changes[change.case_id].append(change)
    names = Counter(c.transition for rows in changes.values() for c in rows)
    assert {
        "escalate_township",
        "escalate_administrative",
        "escalate_judicial",
        "record_return",
        "end_monitoring",
        "request_closure",
        "approve_closure",
        "dismiss_suspicion",
        "confirm_dropout",
        "stopped_attending",
    } <= set(names)
    checked = 0
    for case in db.session.scalars(select(Case).where(Case.stage.notin_(("verification", "support")))):
        rows = changes[case.id]
        if case.stage in ladder_rank and ladder_rank[case.stage] == 0 and not rows:
            continue  # opened at school persuasion
        assert rows, case
        assert rows[-1].to_stage == case.stage
        assert all(a.to_stage == b.from_stage for a, b in zip(rows, rows[1:], strict=False)), case
        assert all(r.reason and (r.actor_id or r.transition == "end_monitoring") for r in rows)
        assert clock.local_date_start(case.stage_entered_date) <= rows[-1].changed_dt
        if case.kind != CaseKind.SUSPECTED:
            contacts, home = persuasion_counts(case)
            assert contacts >= 2 and home >= 1, case
            checked += 1
    assert checked > 500


# --- the ladder's records ------------------------------------------------------------------------


def _cases(stage):
    return db.session.scalars(select(Case).where(Case.stage == stage).order_by(Case.id)).all()


def _by_case(model, *where):
    rows = defaultdict(list)
    for row in db.session.scalars(select(model).where(*where).order_by(model.id)):
        rows[row.case_id].append(row)
    return rows


def _changes():
    rows = defaultdict(list)
    for change in db.session.scalars(
        select(StageChange).order_by(StageChange.case_id, StageChange.changed_dt, StageChange.id)
    ):
        rows[change.case_id].append(change)
    return rows


def test_notices_are_numbered_per_county_and_year_like_issued_ones(seeded):
    profile = defaults()
    notices = db.session.scalars(select(Notice).order_by(Notice.id)).all()
    assert len(notices) > 300
    numbers = Counter((n.county_id, n.year, n.number) for n in notices)
    assert max(numbers.values()) == 1
    counters = {(c.county_id, c.year): c.last_number for c in db.session.scalars(select(NoticeCounter))}
    highest = defaultdict(int)
    for n in notices:
        highest[(n.county_id, n.year)] = max(highest[(n.county_id, n.year)], n.number)
    assert counters == dict(highest)
    cases = {c.id: c for c in db.session.scalars(select(Case).where(Case.id.in_({n.case_id for n in notices})))}
    changes = _changes()
    for n in notices:
        case = cases[n.case_id]
        assert n.document_no == f"{profile.notice_number_prefix}〔{n.year}〕第{n.number}号"
        urge = n.kind == NoticeKind.URGE
        assert n.title == (profile.urge_notice_title if urge else profile.order_notice_title)
        # the case as it was when the notice was issued: a child never enrolled had no school yet
        returned = any(c.transition == "record_return" and c.changed_dt <= n.issued_dt for c in changes[case.id])
        as_issued = SimpleNamespace(
            child=case.child, school=case.school, return_school=case.return_school if returned else None
        )
        assert n.body == fill_notice_text(
            profile.urge_notice_text if urge else profile.order_notice_text,
            as_issued,
            recipient=n.recipient,
            deadline_days=n.deadline_days,
        )
        assert n.issuer == case.township.name + "人民政府"
        assert n.recipient in {g.name for g in case.child.guardians}
        assert n.deadline_days == profile.notice_deadline_days == 15
        assert clock.to_local(n.issued_dt).year == n.year
        if n.served_date is not None:
            assert n.served_to in {g.name for g in case.child.guardians} and n.served_by
            assert clock.to_local(n.issued_dt).date() <= n.served_date <= clock.today()
            assert n.deadline_date == n.served_date + timedelta(days=15)
        else:
            assert n.deadline_date is None and case.stage == Stage.TOWNSHIP_PERSUASION


def test_a_notice_issued_now_continues_the_series(seeded):
    case = _cases(Stage.ADMINISTRATIVE)[0]
    official = db.session.scalar(
        select(User).where(User.role == Role.TOWNSHIP_OFFICIAL, User.area_id == case.township_id)
    )
    year = clock.today().year
    last = (
        db.session.scalar(
            select(func.max(Notice.number)).where(Notice.county_id == case.county_id, Notice.year == year)
        )
        or 0
    )
    notice = operations.issue_notice(case, {"kind": "order", "recipient": "监护人", "deadline_days": 15}, official)
    assert notice.number == last + 1
    assert notice.document_no == f"义劝通字〔{year}〕第{last + 1}号"


def test_cases_past_township_persuasion_have_served_notices_and_legal_steps(seeded):
    profile = defaults()
    today = clock.today()
    steps = _by_case(LegalStep)
    running = lapsed_unflagged = 0
    for case in _cases(Stage.ADMINISTRATIVE):
        assert transitions._notice_served(case, profile) == [], case
        latest = transitions.served_notices(case)[0]
        running += latest.deadline_date >= today
        lapsed_unflagged += latest.deadline_date < today and latest.lapsed_flagged_dt is None
        assert not steps[case.id] or case.relapse_count, case
    assert running >= 10 and lapsed_unflagged >= 5
    judicial = _cases(Stage.JUDICIAL)
    assert len(judicial) >= 20
    changes = _changes()
    for case in judicial:
        assert transitions._notice_served(case, profile) == [], case
        assert transitions._deadline_lapsed(case, profile) == [], case
        started = clock.to_local(
            next(c.changed_dt for c in changes[case.id] if c.transition == "escalate_judicial")
        ).date()
        assert transitions.served_notices(case)[0].deadline_date < started <= case.stage_entered_date, case
        assert 1 <= len(steps[case.id]) <= 3, case
        assert steps[case.id][0].step_date == started
        assert all(
            started <= s.step_date <= today and s.authority and s.document_no and s.result for s in steps[case.id]
        ), case
    kinds = Counter(s.kind for rows in steps.values() for s in rows)
    assert {"support_prosecution", "lawsuit", "mediation"} <= set(kinds)
    # every case that went past township persuasion had a served notice first
    notices = _by_case(Notice, Notice.served_date.isnot(None))
    for case_id, rows in changes.items():
        for change in rows:
            if change.transition == "escalate_administrative":
                assert any(n.served_date <= clock.to_local(change.changed_dt).date() for n in notices[case_id])
                assert any(n.document_no in change.evidence for n in notices[case_id]), change.evidence
            if change.transition == "escalate_judicial":
                assert steps[case_id], case_id


def test_the_ladder_jobs_find_material(seeded):
    today = clock.today()
    assert jobs.flag_lapsed_deadlines(today)["lapsed"] >= 5
    assert jobs.flag_lapsed_deadlines(today)["lapsed"] == 0
    assert jobs.review_expired_deferrals(today)["to_review"] >= 1
    assert jobs.end_monitoring(today)["to_review"] >= 1


def test_returned_cases_have_their_return_and_monitoring(seeded):
    changes = _changes()
    checks = _by_case(Visit, Visit.stage_at_visit == Stage.RETURNED, Visit.done_dt.isnot(None))
    for case in _cases(Stage.RETURNED):
        assert case.return_date and case.return_class and case.return_confirmed_by, case
        assert case.return_school_id == (case.school_id or case.return_school_id) and case.return_school_id
        assert case.monitoring_until == case.return_date + timedelta(days=30)
        recorded = [c for c in changes[case.id] if c.transition == "record_return"][-1]
        assert case.resume_stage == recorded.from_stage, case
        assert clock.to_local(recorded.changed_dt).date() == case.return_date
        mine = [v for v in checks[case.id] if v.visit_date >= case.return_date]
        assert all(v.method == "meeting_school" and v.outcome == "in_school" for v in mine), case


def test_cases_waiting_for_review_have_one_open_request(seeded):
    users = {u.username: u.id for u in db.session.scalars(select(User).where(User.username.in_(DEMO_USERS)))}
    requests = _by_case(ClosureRequest, ClosureRequest.decided_dt.is_(None))
    assert set(requests) == {c.id for c in _cases(Stage.PENDING_REVIEW)}
    outcomes = Counter()
    for case in _cases(Stage.PENDING_REVIEW):
        assert len(requests[case.id]) == 1, case
        request = requests[case.id][0]
        outcomes[request.outcome] += 1
        assert request.requested_by_id != users["reviewer1"]
        if request.outcome == ClosedOutcome.RETURNED_TO_SCHOOL:
            assert request.requested_by_id is None
            assert request.from_stage == case.resume_stage
            assert case.monitoring_until <= case.stage_entered_date
            assert request.details == {
                "return_date": case.return_date.isoformat(),
                "monitoring_until": case.monitoring_until.isoformat(),
            }
        else:
            assert request.requested_by_id is not None
            assert set(request.details) == set(OUTCOME_NEEDS[ClosedOutcome(request.outcome)])
            assert all(request.details.values())
    assert outcomes.most_common(1)[0][0] == ClosedOutcome.RETURNED_TO_SCHOOL and len(outcomes) >= 3
    by_principal = [r for rows in requests.values() for r in rows if r.requested_by_id == users["principal1"]]
    assert len(by_principal) >= 2


def test_closed_cases_have_an_approved_request(seeded):
    today = clock.today()
    decided = _by_case(ClosureRequest, ClosureRequest.decided_dt.isnot(None))
    reviewer = db.session.scalar(select(User).where(User.username == "reviewer1"))
    expired = future = recent = 0
    for case in _cases(Stage.CLOSED):
        if case.closed_outcome == ClosedOutcome.DISMISSED:
            assert not decided[case.id]
            continue
        (request,) = decided[case.id]
        assert request.decision == "approved" and request.outcome == case.closed_outcome
        assert request.decided_by_id == reviewer.id != request.requested_by_id
        assert clock.to_local(request.decided_dt).date() == case.closed_date
        assert request.requested_dt < request.decided_dt
        if case.closed_outcome == ClosedOutcome.RETURNED_TO_SCHOOL:
            assert case.return_date and case.return_school_id and case.monitoring_until
            recent += (today - case.closed_date).days <= 30
        if case.closed_outcome == ClosedOutcome.HEALTH_DEFERRAL:
            assert case.closed_until == date.fromisoformat(request.details["until"])
            expired += case.closed_until < today
            future += case.closed_until >= today
        else:
            assert case.closed_until is None
    assert 1 <= expired <= 2 and future >= 3
    assert recent >= 10
    assert len(queries.approved_returns(reviewer, today - timedelta(days=30), today)) == recent


def test_relapses_have_a_return_and_a_relapse_in_their_history(seeded):
    changes = _changes()
    relapsed = db.session.scalars(select(Case).where(Case.relapse_count > 0)).all()
    assert relapsed
    for case in relapsed:
        assert case.relapse_count == 1
        names = [c.transition for c in changes[case.id]]
        assert names.count("relapse") == 1, case
        at = names.index("relapse")
        assert names[at - 1] == "record_return"
        assert changes[case.id][at].to_stage == changes[case.id][at - 1].from_stage
    assert not [
        cid
        for cid, rows in changes.items()
        if any(c.transition == "relapse" for c in rows) and cid not in {c.id for c in relapsed}
    ]


def test_the_enrolment_register_holds_every_school_and_the_case_children_at_school(seeded):
    from caseworks.enrolment.models import Enrolment
    from caseworks.places.models import School

    schools = db.session.scalar(select(func.count(func.distinct(Enrolment.school_id))))
    assert schools == db.session.scalar(select(func.count()).select_from(School))
    at_school = select(Case.child_id).where(Case.school_id.isnot(None), Case.kind != CaseKind.NEVER_ENROLLED)
    enrolled = select(Enrolment.child_id)
    assert db.session.scalar(select(func.count()).select_from(at_school.except_(enrolled).subquery())) == 0


def test_township1s_matching_finds_children_to_verify(seeded):
    from caseworks.enrolment import matching
    from caseworks.enrolment.queries import current_school_year

    township1 = db.session.scalar(select(User).where(User.username == "township1"))
    result = matching.match(township1, current_school_year())
    reasons = {r for item in result.suspected for r in item.reasons}
    assert len(result.suspected) >= 8 and reasons == {"household_not_enrolled", "roster_left"}
    assert result.recognised, "children with an open case are recognised"
