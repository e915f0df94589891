"""The duplicate check (one child, one record) is no oracle of who is registered where: it says
only what the registrar may know, audits the attempt, and pauses after a few such answers."""

from datetime import date

import pytest
from sqlalchemy import func, select

from caseworks.cases import operations
from caseworks.cases.models import Case, Child
from caseworks.core import idnumber
from caseworks.core.audit import AuditEntry
from caseworks.extensions import db

BIRTH = date(2013, 3, 9)


@pytest.fixture
def form_data(places):
    def make(id_number, **overrides):
        return {
            "name": "李小华",
            "id_number": id_number,
            "gender": "male",
            "birth_date": BIRTH.isoformat(),
            "village_id": str(places.vil_a1a.id),
            "address": "新场村二组8号",
            "school_id": str(places.school_a1.id),
            "grade": "六年级",
            "kind": "dropped_out",
            "dropout_date": "2026-09-01",
            "reasons": ["study_aversion"],
            "guardians-0-name": "李大勇",
            "guardians-0-relation": "father",
            "guardians-0-phone": "13912345678",
            "situation": "九月开学后未到校。",
            **overrides,
        }

    return make


def number(n):
    """A valid ID number of a boy born on BIRTH (the form's gender)."""
    return idnumber.make("522727", BIRTH, 2 * n + 1)


def duplicates():
    return db.session.scalars(select(AuditEntry).where(AuditEntry.kind == "id_duplicate")).all()


@pytest.fixture
def elsewhere(make_case, make_child, places):
    """A child whose case lies in another township (outside principal_a's school)."""
    child = make_child(id_number=number(11), birth=BIRTH, village=places.vil_a2a)
    return make_case(child=child, school=places.school_a2, village=places.vil_a2a)


def test_a_child_registered_elsewhere_is_not_located_and_the_attempt_is_audited(
    client, login, users, form_data, elsewhere, places
):
    login(users.school_admin)
    response = client.post("/cases/new", data=form_data(number(11)))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "already registered elsewhere" in page and "transfer" in page
    message = page.split('id="field-id_number"', 1)[1].split('class="field', 1)[0]
    assert places.vil_a2a.name not in message and places.school_a2.name not in page
    assert f"/cases/{elsewhere.id}" not in page
    (entry,) = duplicates()
    assert entry.user_id == users.school_admin.id
    assert entry.data == {"id_number": idnumber.mask(number(11))}
    assert db.session.scalar(select(func.count()).select_from(Child)) == 1


def test_a_case_the_registrar_sees_is_named_as_theirs_to_find(client, login, users, form_data, make_case, make_child):
    make_case(child=make_child(id_number=number(12), birth=BIRTH))
    login(users.school_admin)
    response = client.post("/cases/new", data=form_data(number(12)))
    assert response.status_code == 422
    assert "search for the case" in response.get_data(as_text=True)
    assert duplicates() == []


def test_after_a_few_such_answers_registering_pauses(client, login, users, form_data, make_child, places):
    for n in range(operations.DUPLICATE_ANSWERS):
        make_child(id_number=number(100 + n), birth=BIRTH, village=places.vil_a2a)
    login(users.school_admin)
    for n in range(operations.DUPLICATE_ANSWERS):
        assert client.post("/cases/new", data=form_data(number(100 + n))).status_code == 422
    # a number nobody holds gets the same refusal now: success and failure tell nothing more
    response = client.post("/cases/new", data=form_data(number(200)))
    assert response.status_code == 422
    assert "paused" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Case)) == 0
    # another user is not paused
    login(users.teacher)
    assert client.post("/cases/new", data=form_data(number(200))).status_code == 302


def test_changing_an_id_number_to_one_registered_elsewhere_is_audited_too(
    client, login, users, form_data, make_case, elsewhere
):
    case = make_case(teacher=users.teacher)
    login(users.school_admin)
    data = form_data(number(11), version=str(case.version))
    response = client.post(f"/cases/{case.id}/edit", data=data)
    assert response.status_code == 422
    assert "already registered elsewhere" in response.get_data(as_text=True)
    assert len(duplicates()) == 1
