"""``flask seed-demo``: sizes, coverage of kinds and stages, valid IDs, demo users, audit chain."""

import pytest
from sqlalchemy import func, select

from caseworks.accounts.models import User
from caseworks.cases.models import Case, Child
from caseworks.core import audit, idnumber
from caseworks.core.choices import AreaLevel, CaseKind, Stage
from caseworks.demo import generator
from caseworks.extensions import db
from caseworks.places.models import Area, School

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
    assert result.checked == 2001


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
