"""Registering a child and opening the case: every field rule, and nothing half-saved."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from caseworks.cases.models import Case, Child
from caseworks.core import audit, clock, idnumber
from caseworks.extensions import db

BIRTH = date(2013, 3, 9)
GOOD_ID = idnumber.make("522727", BIRTH, 123)  # odd 17th digit: male


@pytest.fixture
def form_data(places):
    def make(**overrides):
        data = {
            "name": "李小华",
            "id_number": GOOD_ID,
            "gender": "male",
            "birth_date": BIRTH.isoformat(),
            "village_id": str(places.vil_a1a.id),
            "address": "新场村二组8号",
            "school_id": str(places.school_a1.id),
            "grade": "六年级",
            "class_name": "2班",
            "kind": "dropped_out",
            "dropout_date": "2026-09-01",
            "reasons": ["study_aversion", "working_away"],
            "groups": ["left_behind"],
            "guardians-0-name": "李大勇",
            "guardians-0-relation": "father",
            "guardians-0-phone": "13912345678",
            "guardians-0-is_working_away": "y",
            "situation": "九月开学后未到校。",
            "plan_summary": "家访劝返",
        }
        data.update(overrides)
        return {k: v for k, v in data.items() if v is not None}

    return make


def _counts():
    return (
        db.session.scalar(select(func.count()).select_from(Child)),
        db.session.scalar(select(func.count()).select_from(Case)),
        db.session.scalar(select(func.count()).select_from(audit.AuditEntry).where(audit.AuditEntry.kind != "login")),
    )


def test_a_school_admin_registers_a_child(client, login, users, form_data, places):
    login(users.school_admin)
    response = client.post("/cases/new", data=form_data())
    assert response.status_code == 302
    case = db.session.scalar(select(Case).join(Case.child).where(Child.id_number == GOOD_ID))
    assert response.headers["Location"].endswith(f"/cases/{case.id}")
    assert (case.stage, case.kind, case.school_id, case.township_id) == (
        "school_persuasion",
        "dropped_out",
        places.school_a1.id,
        places.town_a1.id,
    )
    assert case.child.groups == ["left_behind"] and case.reasons == ["study_aversion", "working_away"]
    assert [(g.name, g.phone, g.is_working_away) for g in case.child.guardians] == [("李大勇", "13912345678", True)]
    entry = db.session.scalar(select(audit.AuditEntry).where(audit.AuditEntry.case_id == case.id))
    assert entry.kind == "create" and entry.user_id == users.school_admin.id
    assert GOOD_ID not in str(entry.data) and "13912345678" not in str(entry.data)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "李小华" in page and idnumber.mask(GOOD_ID) in page and GOOD_ID not in page
    assert "This case still needs an assigned teacher and village cadre" in page


def test_a_teacher_who_registers_a_child_is_assigned(client, login, users, form_data):
    login(users.teacher)
    assert client.post("/cases/new", data=form_data()).status_code == 302
    case = db.session.scalar(select(Case).join(Case.child).where(Child.id_number == GOOD_ID))
    assert case.teacher_id == users.teacher.id and case.cadre_id is None


BAD_INPUT = [
    ({"id_number": GOOD_ID[:-1] + ("0" if GOOD_ID[-1] != "0" else "1")}, "id_number", "check digit"),
    ({"id_number": "52272720130309"}, "id_number", "18 characters"),
    ({"id_number": "522727201302301231"}, "id_number", "not a real date of birth"),
    ({"birth_date": "2013-03-10"}, "birth_date", "does not match the ID number"),
    ({"birth_date": (clock.today() + timedelta(days=3)).isoformat()}, "birth_date", "in the future"),
    ({"dropout_date": (clock.today() + timedelta(days=3)).isoformat()}, "dropout_date", "in the future"),
    ({"dropout_date": ""}, "dropout_date", "Enter when the child stopped attending"),
    ({"gender": "female"}, "gender", "does not match the ID number"),
    ({"guardians-0-phone": ""}, "guardians-0-phone", "Enter the guardian's phone number"),
    ({"guardians-0-phone": "12345"}, "guardians-0-phone", "11-digit mobile number"),
    ({"guardians-0-name": "", "guardians-0-phone": ""}, "guardians", "at least one guardian"),
    ({"name": ""}, "name", "This field is required"),
    ({"reasons": []}, "reasons", "at least one reason"),
    ({"groups": ["disabled"]}, "disability_type", "type of disability"),
    ({"student_no": "X123"}, "student_no", "student registry number"),
    ({"village_id": "999999"}, "village_id", "Not a valid choice"),
]


@pytest.mark.parametrize("overrides,field,message", BAD_INPUT, ids=[b[1] + ":" + b[2] for b in BAD_INPUT])
def test_bad_input_is_refused_by_the_field_and_nothing_is_saved(
    client, login, users, form_data, overrides, field, message
):
    login(users.school_admin)
    before = _counts()
    response = client.post("/cases/new", data=form_data(**overrides))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    block = page.split(f'id="field-{field}"', 1)[1].split('class="field', 1)[0] if field != "guardians" else page
    assert message in block, page
    assert _counts() == before


def test_an_id_number_registered_before_is_refused(client, login, users, form_data, make_child):
    make_child(id_number=GOOD_ID, birth=BIRTH)
    login(users.school_admin)
    children, cases, entries = _counts()
    response = client.post("/cases/new", data=form_data())
    assert response.status_code == 422
    assert "already registered" in response.get_data(as_text=True)
    assert _counts() == (children, cases, entries + 1)  # the attempt itself is audited (tests/cases/test_id_oracle.py)


def test_a_double_submit_registers_the_child_once(client, login, users, form_data):
    login(users.school_admin)
    assert client.post("/cases/new", data=form_data()).status_code == 302
    second = client.post("/cases/new", data=form_data())
    assert second.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Child).where(Child.id_number == GOOD_ID)) == 1


def test_a_lowercase_x_and_spaces_are_accepted(client, login, users, form_data):
    number = next(n for n in (idnumber.make("522727", BIRTH, s) for s in range(100, 400, 2)) if n.endswith("X"))
    login(users.school_admin)
    response = client.post("/cases/new", data=form_data(id_number=" " + number.lower() + " ", gender="female"))
    assert response.status_code == 302
    assert db.session.scalar(select(Child.id_number).where(Child.id_number == number)) == number


def test_a_school_admin_cannot_register_at_another_school(client, login, users, form_data, places):
    login(users.school_admin)
    response = client.post("/cases/new", data=form_data(school_id=str(places.school_a2.id)))
    assert response.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Child)) == 0


def test_a_suspected_case_starts_at_verification_and_needs_no_reason(client, login, users, form_data):
    login(users.township_official)
    response = client.post("/cases/new", data=form_data(kind="suspected", reasons=[], dropout_date=""))
    assert response.status_code == 302
    case = db.session.scalar(select(Case))
    assert case.stage == "verification"


def test_the_child_must_be_of_school_age(client, login, users, form_data):
    clock.set_now(clock.now())
    birth = clock.today().replace(year=clock.today().year - 3)
    login(users.school_admin)
    response = client.post(
        "/cases/new", data=form_data(id_number=idnumber.make("522727", birth, 121), birth_date=birth.isoformat())
    )
    assert response.status_code == 422
    assert "5 to 17 years old" in response.get_data(as_text=True)
