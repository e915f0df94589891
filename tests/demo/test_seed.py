"""``flask seed-demo``: sizes, coverage of kinds and stages, valid IDs, demo users, visits and
their cadence, stage history, audit chain."""

from collections import Counter, defaultdict
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from caseworks.accounts.models import User
from caseworks.cases.models import Case, Child
from caseworks.core import audit, clock, idnumber
from caseworks.core.choices import LADDER_STAGES, AreaLevel, CaseKind, Stage
from caseworks.core.policy import defaults
from caseworks.demo import generator
from caseworks.extensions import db
from caseworks.ladder.models import StageChange
from caseworks.ladder.transitions import persuasion_counts
from caseworks.places.models import Area, School
from caseworks.visits import cadence
from caseworks.visits.models import SupportMeasure, Visit, VisitOutcome, VisitPurpose

DEMO_USERS = ("teacher1", "principal1", "cadre1", "township1", "reviewer1", "admin")


@pytest.fixture
def seeded(app):
    return generator.seed(db.session, "county")


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
    assert len({r.id_number for r in rows}) == len(rows) == 2000
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
    # one entry per case, one per bulk kind (stage history, visits, support measures), one for the load
    assert result.checked == 2000 + 3 + 1


def test_a_second_load_is_refused(seeded, app):
    with pytest.raises(generator.DemoDataExists):
        generator.seed(db.session, "county")
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["seed-demo", "--scale", "county"])
    assert refused.exit_code != 0
    assert "already holds data" in refused.output
    skipped = runner.invoke(args=["seed-demo", "--scale", "county", "--if-empty"])
    assert skipped.exit_code == 0
    assert "nothing loaded" in skipped.output
    assert _count(Case) == 2000


def test_the_data_is_the_same_on_every_run(app):
    first = generator.seed(db.session, "county")
    names = list(db.session.scalars(select(Child.name).order_by(Child.id).limit(50)))
    db.session.rollback()
    second = generator.seed(db.session, "county")
    assert list(db.session.scalars(select(Child.name).order_by(Child.id).limit(50))) == names
    assert first.counts == second.counts


# --- visits, support measures, stage history ---------------------------------------------------

def _open_planned(*where):
    return select(Visit).where(Visit.done_dt.is_(None), Visit.cancelled_dt.is_(None), Visit.due_date.isnot(None),
                               *where)


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
        select(Visit.visit_date, Visit.done_dt, Visit.method, Visit.outcome, Visit.logged_by_id, Visit.visitors,
               Visit.findings, Visit.next_step, Visit.stage_at_visit, Visit.agreed_return_date,
               Case.opened_date, Case.teacher_id, Case.cadre_id)
        .join(Case, Case.id == Visit.case_id).where(Visit.done_dt.isnot(None))
    ).all()
    outcomes = {o.value for o in VisitOutcome}
    for r in rows:
        assert r.opened_date <= r.visit_date <= today
        assert r.done_dt is not None and r.method and r.outcome in outcomes
        assert r.visitors and r.findings and r.next_step and r.stage_at_visit
        if r.teacher_id or r.cadre_id:
            assert r.logged_by_id in (r.teacher_id, r.cadre_id)
        if r.outcome == "agreed_to_return":
            assert r.agreed_return_date > r.visit_date
    methods = Counter(r.method for r in rows)
    assert methods.most_common(1)[0][0] == "home_visit"
    assert {"phone", "video", "meeting_school"} <= set(methods)


def test_last_contact_is_the_latest_done_visit(seeded):
    latest = dict(db.session.execute(
        select(Visit.case_id, func.max(Visit.visit_date)).where(Visit.done_dt.isnot(None)).group_by(Visit.case_id)
    ).all())
    today = clock.today()
    for case_id, last, opened, stage, stale in db.session.execute(
            select(Case.id, Case.last_contact_date, Case.opened_date, Case.stage, Case.is_stale)):
        assert latest.get(case_id) == last, case_id
        expected = stage in cadence.VISITED_STAGES and (today - (last or opened)).days > 30
        assert stale == expected, case_id


def test_every_open_visited_case_has_one_regular_planned_visit_by_the_cadence(seeded):
    profile = defaults()
    today = clock.today()
    cases = db.session.scalars(select(Case).options(selectinload(Case.child).selectinload(Child.group_rows))).all()
    planned = defaultdict(list)
    for visit in db.session.scalars(_open_planned()):
        planned[visit.case_id].append(visit)
    last_look = dict(db.session.execute(
        select(Visit.case_id, func.max(Visit.visit_date))
        .where(Visit.purpose == VisitPurpose.COUNTY_LOOK, Visit.done_dt.isnot(None)).group_by(Visit.case_id)
    ).all())
    overdue = 0
    visited = 0
    for case in cases:
        regular = [v for v in planned[case.id] if v.purpose != VisitPurpose.COUNTY_LOOK]
        looks = [v for v in planned[case.id] if v.purpose == VisitPurpose.COUNTY_LOOK]
        wanted = cadence.next_due(case, profile)
        if wanted is None:
            assert not planned[case.id], case
            continue
        visited += 1
        assert len(regular) == 1, case
        visit = regular[0]
        assert (visit.due_date, visit.purpose) == (wanted[0], wanted[1]), case
        assert visit.assignee_id in (case.teacher_id, case.cadre_id)
        assert visit.is_overdue == (visit.due_date < today)
        assert visit.planned_dt is not None
        overdue += visit.is_overdue
        assert len(looks) == (1 if cadence.needs_county_look(case) else 0), case
        if looks:  # due a month after the last look done (or after the case opened), as the scheduler has it
            base = max(d for d in (last_look.get(case.id), case.opened_date) if d)
            assert looks[0].due_date == base + timedelta(days=profile.county_look_interval_days), case
            assert looks[0].assignee_id is None
    assert visited > 1000
    assert 0.08 <= overdue / visited <= 0.2


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
    for change in db.session.scalars(select(StageChange).order_by(StageChange.case_id, StageChange.changed_dt,
                                                                  StageChange.id)):
        changes[change.case_id].append(change)
    names = Counter(c.transition for rows in changes.values() for c in rows)
    assert {"escalate_township", "escalate_administrative", "escalate_judicial", "record_return", "end_monitoring",
            "request_closure", "approve_closure", "dismiss_suspicion", "confirm_dropout",
            "stopped_attending"} <= set(names)
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
