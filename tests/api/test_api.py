"""The JSON API: token auth, the pages' scope rules, idempotent visit logging, the OpenAPI document."""

import secrets
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from caseworks.accounts.models import User
from caseworks.core import clock
from caseworks.extensions import db
from caseworks.visits import operations
from caseworks.visits.models import Visit


@pytest.fixture
def token_for():
    def issue(user):
        token = secrets.token_urlsafe(32)
        user.api_token_hash = User.hash_token(token)
        db.session.flush()
        return {"Authorization": f"Bearer {token}"}

    return issue


@pytest.fixture
def case(make_case, users):
    return make_case(teacher=users.teacher, cadre=users.village_cadre, opened_date=clock.today() - timedelta(days=20))


def _visit(**overrides):
    data = {
        "client_uuid": str(uuid.uuid4()),
        "visit_date": clock.today().isoformat(),
        "method": "phone",
        "visitors": ["teacher"],
        "findings": "电话联系，母亲说下周回来。",
        "outcome": "agreed_to_return",
        "agreed_return_date": (clock.today() + timedelta(days=5)).isoformat(),
    }
    data.update(overrides)
    return data


def test_without_a_valid_token_nothing_is_served(client, case, users, login):
    assert client.get("/api/v1/cases").status_code == 401
    assert client.get("/api/v1/cases", headers={"Authorization": "Bearer nonsense"}).status_code == 401
    response = client.get(f"/api/v1/cases/{case.id}")
    assert response.status_code == 401 and response.headers["WWW-Authenticate"].startswith("Bearer")
    login(users.teacher)  # a browser session alone does not open the API (it has no CSRF token)
    assert client.get("/api/v1/cases").status_code == 401


def test_a_deactivated_users_token_stops_working(client, users, token_for):
    headers = token_for(users.teacher)
    assert client.get("/api/v1/cases", headers=headers).status_code == 200
    users.teacher.is_active = False
    db.session.flush()
    assert client.get("/api/v1/cases", headers=headers).status_code == 401


def test_cases_follow_the_scope(client, users, token_for, case, foreign_case):
    headers = token_for(users.township_official)
    listed = client.get("/api/v1/cases", headers=headers).get_json()
    assert [c["id"] for c in listed["items"]] == [case.id]
    assert listed["items"][0]["id_number"] == case.child.masked_id_number
    detail = client.get(f"/api/v1/cases/{case.id}", headers=headers).get_json()
    assert detail["guardians"][0]["phone"] == "138****8000"
    assert case.child.id_number not in str(detail)
    assert client.get(f"/api/v1/cases/{foreign_case.id}", headers=headers).status_code == 404
    assert client.get(f"/api/v1/cases/{foreign_case.id}/timeline", headers=headers).status_code == 404
    assert client.get("/api/v1/cases", headers=token_for(users.admin)).status_code == 403


def test_logging_a_visit_is_idempotent_on_the_client_uuid(client, users, token_for, case):
    headers = token_for(users.teacher)
    body = _visit()
    first = client.post(f"/api/v1/cases/{case.id}/visits", json=body, headers=headers)
    assert first.status_code == 201 and first.get_json()["outcome"] == "agreed_to_return"
    again = client.post(f"/api/v1/cases/{case.id}/visits", json=body, headers=headers)
    assert again.status_code == 200 and again.get_json()["id"] == first.get_json()["id"]
    assert db.session.scalar(select(func.count()).select_from(Visit).where(Visit.done_dt.is_not(None))) == 1
    timeline = client.get(f"/api/v1/cases/{case.id}/timeline", headers=headers).get_json()["items"]
    assert timeline[0]["kind"] == "visit" and "电话联系" in timeline[0]["detail"]


@pytest.mark.parametrize(
    "overrides,field",
    [
        ({"visit_date": (clock.today() + timedelta(days=2)).isoformat()}, "visit_date"),
        ({"outcome": ""}, "outcome"),
        ({"method": "carrier pigeon"}, "method"),
        ({"client_uuid": "not-a-uuid"}, "client_uuid"),
    ],
)
def test_bad_visits_are_refused_by_field(client, users, token_for, case, overrides, field):
    response = client.post(
        f"/api/v1/cases/{case.id}/visits", json=_visit(**overrides), headers=token_for(users.teacher)
    )
    assert response.status_code == 422
    assert field in response.get_json()["fields"]
    assert db.session.scalar(select(func.count()).select_from(Visit).where(Visit.done_dt.is_not(None))) == 0


def test_visits_only_where_the_caller_may_log_them(client, users, token_for, case):
    assert (
        client.post(
            f"/api/v1/cases/{case.id}/visits", json=_visit(), headers=token_for(users.county_reviewer)
        ).status_code
        == 403
    )
    assert (
        client.post(
            f"/api/v1/cases/{case.id}/visits", json=_visit(), headers=token_for(users.other_teacher)
        ).status_code
        == 404
    )
    assert client.post(f"/api/v1/cases/{case.id}/visits", data="x", headers=token_for(users.teacher)).status_code == 400


def test_the_callers_due_visits(client, users, token_for, case):
    [planned] = [v for v in operations.ensure_planned(case) if v.assignee_id == users.teacher.id]
    due = client.get("/api/v1/visits/due", headers=token_for(users.teacher)).get_json()
    assert [v["id"] for v in due["overdue"] + due["today"] + due["week"] + due["later"]] == [planned.id]
    body = _visit(planned_visit_id=planned.id)
    assert (
        client.post(f"/api/v1/cases/{case.id}/visits", json=body, headers=token_for(users.teacher)).status_code == 201
    )
    db.session.expire_all()
    assert planned.done_dt is not None


def test_the_openapi_document(client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    assert set(document["paths"]) == {
        "/cases",
        "/cases/{case_id}",
        "/cases/{case_id}/timeline",
        "/cases/{case_id}/visits",
        "/visits/due",
    }
