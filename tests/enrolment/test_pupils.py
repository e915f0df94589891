"""A pupil entered on the register by hand: the roster's rules, one child one record."""

from sqlalchemy import select

from caseworks.enrolment.models import Enrolment
from caseworks.extensions import db
from tests.enrolment.helpers import pupil_id


def _form(places, **over):
    data = {
        "school_id": places.school_a1.id,
        "name": "王小新",
        "id_number": pupil_id(7),
        "grade": "三年级",
        "class_name": "1班",
        "student_no": "",
        "guardian_name": "王大新",
        "guardian_phone": "13900000007",
        "household_place": "通州镇平里村",
    }
    data.update(over)
    return data


def test_a_pupil_is_entered_and_not_twice(client, login, users, places, make_child):
    login(users.school_admin)
    assert client.get("/enrolment/new").status_code == 200
    response = client.post("/enrolment/new", data=_form(places))
    assert response.status_code == 302
    enrolment = db.session.scalars(select(Enrolment)).one()
    assert (enrolment.grade, enrolment.village_id, enrolment.child.gender) == ("三年级", places.vil_a1b.id, "male")
    again = client.post("/enrolment/new", data=_form(places))
    assert again.status_code == 422 and "already on the roll of" in again.get_data(as_text=True)


def test_the_roster_rules_apply_by_their_fields(client, login, users, places):
    login(users.school_admin)
    wrong = pupil_id(7)[:-1] + ("0" if pupil_id(7)[-1] != "0" else "1")
    page = client.post("/enrolment/new", data=_form(places, id_number=wrong))
    assert page.status_code == 422 and "check digit" in page.get_data(as_text=True)
    page = client.post("/enrolment/new", data=_form(places, grade="七年级"))
    assert page.status_code == 422 and "does not teach" in page.get_data(as_text=True)
    page = client.post("/enrolment/new", data=_form(places, guardian_name="=HYPERLINK(1)"))
    assert page.status_code == 422 and "formula" in page.get_data(as_text=True)
    assert db.session.scalars(select(Enrolment)).all() == []
