"""Hostile input gets a message by its field or a 400, never a server error (the cases an
adversarial test found; tests/core/test_fuzz.py tries every form and query parameter)."""

import secrets
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from caseworks.accounts.models import User
from caseworks.core import audit, clock, policy
from caseworks.core.audit import AuditEntry
from caseworks.core.choices import Stage
from caseworks.extensions import db
from caseworks.ladder.models import Notice
from caseworks.visits.models import Visit


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize(
    "role,url",
    [
        ("township_official", "/cases?q=a%00b"),
        ("county_reviewer", "/audit?person=a%00b"),
        ("admin", "/admin/users?q=a%00b"),
        ("township_official", "/cases?a%00=1"),
    ],
)
def test_a_nul_byte_in_a_query_parameter_is_a_400(client, login, users, role, url):
    login(getattr(users, role))
    response = client.get(url)
    assert response.status_code == 400
    assert "cannot be stored" in response.get_data(as_text=True)
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_nul_byte_in_the_login_username_is_a_400_that_records_nothing(client, users):
    response = client.post("/login", data={"username": "teacher_a\x00", "password": "x"})
    assert response.status_code == 400
    assert count(AuditEntry) == 0


def test_a_nul_byte_in_a_form_field_saves_nothing(client, login, users, make_case):
    case = make_case(teacher=users.teacher)
    login(users.teacher)
    response = client.post(
        f"/cases/{case.id}/visits/new",
        data={"visit_date": clock.today().isoformat(), "method": "phone", "outcome": "refused", "findings": "a\x00b"},
    )
    assert response.status_code == 400
    assert count(Visit) == 0


def test_a_nul_byte_in_a_json_string_is_a_400(client, users, make_case):
    case = make_case(teacher=users.teacher)
    token = secrets.token_urlsafe(32)
    users.teacher.api_token_hash = User.hash_token(token)
    db.session.flush()
    response = client.post(
        f"/api/v1/cases/{case.id}/visits",
        json={"client_uuid": str(uuid.uuid4()), "visit_date": "2026-01-01", "method": "phone", "findings": "\x00"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 400
    assert response.is_json


@pytest.mark.parametrize("value", ["0001-01-01", "9999-12-31"])
@pytest.mark.parametrize("url", ["/audit?date_from={v}&date_to={v}", "/audit/export?date_to={v}"])
def test_extreme_dates_in_the_audit_filters_are_refused_by_the_field(client, login, users, url, value):
    login(users.county_reviewer)
    response = client.get(url.format(v=value))
    assert response.status_code in (200, 422)
    if response.mimetype == "text/html":
        assert "Enter a date between 1900-01-01 and 2199-12-31." in response.get_data(as_text=True)


@pytest.mark.parametrize("value", ["0001-01-01", "9999-12-31"])
def test_extreme_dates_in_the_spot_check_form_are_refused_by_the_field(client, login, users, value):
    login(users.county_reviewer)
    response = client.post("/review/spot-checks", data={"start_date": value, "end_date": value, "percent": "10"})
    assert response.status_code == 422
    assert "Enter a date between 1900-01-01 and 2199-12-31." in response.get_data(as_text=True)


def test_the_policy_form_without_the_notice_issuer_is_saved(client, login, users, places):
    login(users.admin)
    data = {name: getattr(policy.defaults(), name) for name in policy.PolicyProfile.EDITABLE}
    del data["notice_issuer"]
    response = client.post(f"/admin/places/{places.county_a.id}/policy", data=data)
    assert response.status_code == 302
    assert policy.profile_for(places.county_a.id).notice_issuer == ""


@pytest.mark.parametrize("text", ["{child:d}", "{child:>20000000}", "{child!r}", "{child.name}", "{0}"])
def test_notice_texts_accept_only_the_documented_placeholders(client, login, users, places, text):
    login(users.admin)
    data = {name: getattr(policy.defaults(), name) for name in policy.PolicyProfile.EDITABLE}
    data["urge_notice_text"] = f"你的子女{text}"
    response = client.post(f"/admin/places/{places.county_a.id}/policy", data=data)
    assert response.status_code == 422
    assert policy.profile_for(places.county_a.id).urge_notice_text != data["urge_notice_text"]


def test_a_stored_notice_text_with_a_format_is_refused_not_filled(client, login, users, places, make_case):
    profile = policy.defaults(places.county_a.id)
    profile.urge_notice_text = "{child:>20000000}"
    db.session.add(profile)
    db.session.flush()
    case = make_case(stage=Stage.TOWNSHIP_PERSUASION)
    login(users.township_official)
    response = client.post(
        f"/cases/{case.id}/notices/new", data={"kind": "urge", "recipient": "王大山", "deadline_days": 15}
    )
    assert response.status_code == 422
    assert len(response.data) < 200_000
    assert count(Notice) == 0


def test_a_client_uuid_longer_than_a_uuid_is_refused(client, login, users, make_case):
    case = make_case(teacher=users.teacher, opened_date=clock.today() - timedelta(days=5))
    login(users.teacher)
    response = client.post(
        f"/cases/{case.id}/visits/new",
        data={
            "client_uuid": str(uuid.uuid4()) + "-and-more",
            "visit_date": clock.today().isoformat(),
            "method": "phone",
            "visitors": ["teacher"],
            "outcome": "refused",
        },
    )
    assert response.status_code == 422
    assert "reload the page" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Visit).where(Visit.done_dt.is_not(None))) == 0


@pytest.mark.parametrize("planned", ["abc", 2**40, -1, 1.5, True, [1], {"id": 1}])
def test_a_planned_visit_id_of_the_wrong_type_or_range_is_a_422(client, users, make_case, planned):
    case = make_case(teacher=users.teacher, opened_date=clock.today() - timedelta(days=5))
    token = secrets.token_urlsafe(32)
    users.teacher.api_token_hash = User.hash_token(token)
    db.session.flush()
    response = client.post(
        f"/api/v1/cases/{case.id}/visits",
        json={
            "client_uuid": str(uuid.uuid4()),
            "planned_visit_id": planned,
            "visit_date": clock.today().isoformat(),
            "method": "phone",
            "visitors": ["teacher"],
            "outcome": "refused",
        },
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code in (400, 422)
    assert "planned_visit_id" in response.get_json().get("fields", {"planned_visit_id": 1})
    assert audit.verify(db.session).ok
