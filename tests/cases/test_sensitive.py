"""Full ID numbers: no page or answer lets the whole number be rebuilt, every full view is
audited (even when the response is an error), and what `reveal` refuses no other page shows."""

import re
import secrets
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from caseworks.accounts.models import User
from caseworks.core import clock, idnumber
from caseworks.core.audit import AuditEntry
from caseworks.core.choices import Stage
from caseworks.extensions import db
from caseworks.ladder.models import Notice

DAY0 = date(2026, 9, 7)


@pytest.fixture(autouse=True)
def frozen_clock():
    clock.set_now(clock.local_date_start(DAY0) + timedelta(hours=2))


def bearer(user):
    token = secrets.token_urlsafe(32)
    user.api_token_hash = User.hash_token(token)
    db.session.flush()
    return {"Authorization": f"Bearer {token}"}


def sensitive_views():
    return db.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.kind == "view_sensitive"))


def numbers_that_fit(masked, birth, gender):
    """Every valid ID number with the region and characters the mask shows, the birth date and
    the gender the same answer shows."""
    region = masked[:6]
    found = []
    for sequence in range(1000):
        number = idnumber.make(region, birth, sequence)
        if idnumber.gender_of(number) != gender:
            continue
        if all(m == "*" or m == n for m, n in zip(masked, number, strict=True)):
            found.append(number)
    return found


def test_the_api_case_answer_does_not_give_the_whole_number_away(client, users, make_case):
    case = make_case(teacher=users.teacher)
    answer = client.get(f"/api/v1/cases/{case.id}", headers=bearer(users.teacher)).get_json()
    fits = numbers_that_fit(answer["id_number"], date.fromisoformat(answer["birth_date"]), answer["gender"])
    assert case.child.id_number in fits
    assert len(fits) >= 10
    assert sensitive_views() == 0


def test_the_case_page_does_not_give_the_whole_number_away(client, login, users, make_case):
    case = make_case(teacher=users.teacher)
    login(users.teacher)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert case.child.id_number not in page
    shown = re.search(r"[0-9]{6}\*+[0-9X]*", page).group(0)
    assert len(numbers_that_fit(shown, case.child.birth_date, case.child.gender)) >= 10


@pytest.fixture
def notice_case(client, login, users, make_case):
    case = make_case(stage=Stage.TOWNSHIP_PERSUASION, teacher=users.teacher, cadre=users.village_cadre)
    login(users.township_official)
    client.post(f"/cases/{case.id}/notices/new", data={"kind": "urge", "recipient": "王大山", "deadline_days": 15})
    return case, db.session.scalars(select(Notice)).one()


def test_a_refused_service_shows_the_notice_and_keeps_its_audit_entry(client, users, notice_case):
    case, notice = notice_case
    before = sensitive_views()
    refused = client.post(
        f"/notices/{notice.id}/serve",
        data={"served_date": (DAY0 - timedelta(days=30)).isoformat(), "served_to": "王大山", "served_by": "李"},
    )
    assert refused.status_code == 422
    assert case.child.id_number in refused.get_data(as_text=True)
    assert sensitive_views() == before + 1
    entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert (entry.kind, entry.user_id, entry.case_id) == ("view_sensitive", users.township_official.id, case.id)
    assert notice.served_date is None


def test_a_sensitive_read_in_a_request_that_fails_keeps_its_audit_entry(app, client, login, users, make_case):
    """Any sensitive read in a request that ends in an error status survives its rollback."""
    from flask import abort

    from caseworks.cases import operations

    case = make_case(teacher=users.teacher)
    login(users.teacher)

    def read_then_fail(case_id):
        from caseworks.core.views import load_case

        operations.reveal_sensitive(load_case(case_id), users.teacher)
        abort(409)

    app.view_functions["cases.case_detail"], original = read_then_fail, app.view_functions["cases.case_detail"]
    try:
        assert client.get(f"/cases/{case.id}").status_code == 409
    finally:
        app.view_functions["cases.case_detail"] = original
    assert sensitive_views() == 1


def test_the_township_a_transfer_waits_for_sees_the_notice_masked(client, login, users, places, notice_case):
    case, notice = notice_case
    client.post(
        f"/cases/{case.id}/transfer",
        data={"village_code": places.vil_a2a.code, "school_code": places.school_a2.code, "reason": "搬家"},
    )
    before = sensitive_views()
    login(users.other_township_official)
    assert client.post(f"/cases/{case.id}/reveal").status_code == 403
    page = client.get(f"/notices/{notice.id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert case.child.id_number not in text
    assert idnumber.mask(case.child.id_number) in text
    assert sensitive_views() == before
