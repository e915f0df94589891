"""The visit rules each live in one place: who a visit may be planned for, a submission's
client_uuid, which visits are open and overdue, and who gets the county's monthly look — and
the pages, the API and the jobs that use them agree."""

import secrets
import uuid
from datetime import timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from caseworks.accounts.models import User
from caseworks.cases.models import Case
from caseworks.core import clock
from caseworks.core.choices import Stage
from caseworks.extensions import db
from caseworks.reports.jobs import compute_figures
from caseworks.visits import cadence, operations, queries
from caseworks.visits.models import Visit
from tests.visits.conftest import TODAY

pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture
def token_for():
    def issue(user):
        token = secrets.token_urlsafe(32)
        user.api_token_hash = User.hash_token(token)
        db.session.flush()
        return {"Authorization": f"Bearer {token}"}

    return issue


def _plan(case, user, by):
    return operations.plan_visit(case, {"due_date": TODAY + timedelta(days=3), "assignee_id": user.id}, by)


def test_a_visit_is_planned_only_for_the_cases_people_or_oneself(app, case, users):
    assert [u.id for u in operations.people_to_plan_for(case, users.school_admin)] == [
        users.teacher.id,
        users.village_cadre.id,
        users.school_admin.id,
    ]
    assert _plan(case, users.village_cadre, users.teacher).assignee_id == users.village_cadre.id
    assert _plan(case, users.school_admin, users.school_admin).assignee_id == users.school_admin.id
    with pytest.raises(operations.VisitError) as refused:
        _plan(case, users.teacher2, users.school_admin)  # a teacher of the school, but not of this case
    assert refused.value.field == "assignee_id"
    with force_locale("zh"):
        assert str(refused.value.message) == "家访只能安排给本案的包保教师、包村干部或您本人。"
    with pytest.raises(operations.VisitError):
        _plan(case, users.school_admin, users.teacher)  # the teacher plans for themselves or the cadre only
    manual = select(func.count()).select_from(Visit).where(Visit.purpose == "manual")
    assert db.session.scalar(manual) == 2


def _visit_data(client_uuid, **overrides):
    return {
        "client_uuid": client_uuid,
        "visit_date": TODAY.isoformat(),
        "method": "phone",
        "visitors": ["teacher"],
        "outcome": "not_at_home",
        **overrides,
    }


def test_a_client_uuid_is_one_visit_on_the_page_and_in_the_api(client, login, users, case, make_case, token_for):
    other = make_case(teacher=users.teacher, opened_date=TODAY - timedelta(days=40))
    sent = str(uuid.uuid4())
    login(users.teacher)
    first = client.post(f"/cases/{case.id}/visits/new", data=_visit_data(sent), follow_redirects=True)
    assert "The contact is recorded." in first.get_data(as_text=True)  # a phone call, not a home visit
    again = client.post(f"/cases/{case.id}/visits/new", data=_visit_data(sent), follow_redirects=True)
    assert "This visit was already recorded." in again.get_data(as_text=True)
    elsewhere = client.post(f"/cases/{other.id}/visits/new", data=_visit_data(sent))
    assert elsewhere.status_code == 422
    assert "already recorded on another case" in elsewhere.get_data(as_text=True)

    headers = token_for(users.teacher)
    [visit] = db.session.scalars(select(Visit).where(Visit.client_uuid == sent)).all()
    from_api = client.post(f"/api/v1/cases/{case.id}/visits", json=_visit_data(sent), headers=headers)
    assert from_api.status_code == 200 and from_api.get_json()["id"] == visit.id
    assert client.post(f"/api/v1/cases/{other.id}/visits", json=_visit_data(sent), headers=headers).status_code == 409
    assert db.session.scalar(select(func.count()).select_from(Visit).where(Visit.done_dt.is_not(None))) == 1


def test_log_visit_says_whether_it_recorded_the_visit(case, users):
    sent = str(uuid.uuid4())
    data = {"visit_date": TODAY, "method": "phone", "outcome": "not_at_home"}
    visit, created = operations.log_visit(case, data, users.teacher, client_uuid=sent)
    assert created and queries.visit_by_client_uuid(sent) == visit
    assert operations.log_visit(case, data, users.teacher, client_uuid=sent) == (visit, False)


def test_overdue_is_one_rule_for_the_overview_the_panel_and_the_statistics(
    client, login, users, case, make_case, places
):
    def planned(c, days, **extra):
        visit = Visit(case_id=c.id, due_date=TODAY + timedelta(days=days), purpose="monthly", **extra)
        db.session.add(visit)
        return visit

    late = planned(case, -2, assignee_id=users.teacher.id)
    planned(case, 0)  # due today: not overdue yet
    planned(case, -9, cancelled_dt=clock.now())
    planned(case, -9, done_dt=clock.now(), visit_date=TODAY)
    planned(make_case(village=places.vil_a2a, school=places.school_a2), -1)
    db.session.flush()

    overdue = set(db.session.scalars(select(Visit.id).where(queries.overdue_visit(TODAY))))
    assert overdue == {v.id for v in db.session.scalars(select(Visit)) if v.is_overdue_on(TODAY)}
    assert late.id in overdue and len(overdue) == 2
    open_planned = select(func.count()).select_from(Visit).where(queries.open_planned_visit())
    assert db.session.scalar(open_planned) == 3

    # the statistics count what the overdue overview lists
    listed = queries.overdue_page(users.county_reviewer, 1, 25).total
    assert compute_figures(TODAY)[0][places.county_a.id][1]["overdue_visits"] == listed == len(overdue)
    login(users.teacher)
    panel = client.get(f"/cases/{case.id}").get_data(as_text=True).split('id="visits"', 1)[1]
    assert panel.count("Overdue") == 1


def test_the_county_look_is_one_rule_in_python_and_sql(make_case, make_child, users):
    cases = [
        make_case(child=make_child(groups=("orphan",))),
        make_case(child=make_child(groups=("unsupported", "left_behind"))),
        make_case(child=make_child(groups=("left_behind",))),
        make_case(child=make_child(groups=("orphan",)), stage=Stage.PENDING_REVIEW),
        make_case(child=make_child(groups=())),
    ]
    in_sql = set(db.session.scalars(select(Case.id).where(cadence.county_look_case())))
    assert in_sql == {c.id for c in cases if cadence.needs_county_look(c)} == {cases[0].id, cases[1].id}
