"""Absence reports over simulated school days: the first trigger puts a contact task on the
teacher's "my visits", the second opens a suspected case with a planned joint home visit;
weekends are no school days, a half day or approved leave ends the run."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from caseworks.cases.models import Case
from caseworks.core import clock
from caseworks.enrolment.models import ContactTask, Enrolment
from caseworks.extensions import db
from caseworks.visits.models import Visit


def on(day):
    clock.set_now(datetime(day.year, day.month, day.day, 1, 0, tzinfo=UTC))  # 09:00 in China


@pytest.fixture
def klass(places, make_child, users):
    pupils = []
    for n, name in enumerate(("张一", "李二", "王三")):
        child = make_child(name=name)
        enrolment = Enrolment(
            child=child,
            school_id=places.school_a1.id,
            school_year=2026,
            grade="三年级",
            class_name="2班",
            village_id=places.vil_a1a.id if n != 2 else None,
            guardian_name="家长" + name,
            guardian_phone="1390000000" + str(n),
        )
        db.session.add(enrolment)
        pupils.append(enrolment)
    pupils[2].child.household_village_id = None
    db.session.flush()
    return pupils


def _sheet(client, day, marks):
    data = {"class": "三年级|2班", "absence_date": day.isoformat()}
    for enrolment, (mark, reason) in marks.items():
        data[f"mark_{enrolment.id}"] = mark
        data[f"reason_{enrolment.id}"] = reason
    return client.post("/attendance", data=data)


def test_three_school_days_in_a_row_open_a_suspected_case_with_a_joint_visit(client, login, users, klass):
    zhang, li, wang = klass
    login(users.teacher)
    page = client.get("/attendance?class=三年级|2班").get_data(as_text=True)
    assert "张一" in page and "李二" in page

    thursday, friday, monday = date(2026, 10, 15), date(2026, 10, 16), date(2026, 10, 19)
    on(thursday)
    response = _sheet(client, thursday, {zhang: ("whole", "unknown"), li: ("whole", "illness")})
    assert response.status_code == 302
    tasks = db.session.scalars(select(ContactTask).order_by(ContactTask.id)).all()
    assert [(t.enrolment_id, t.kind, t.assignee_id) for t in tasks] == [
        (zhang.id, "contact_family", users.teacher.id),
        (li.id, "contact_family", users.teacher.id),
    ]
    mine = client.get("/visits/mine").get_data(as_text=True)
    assert "Absences: families to contact" in mine and "张一" in mine

    on(friday)
    _sheet(client, friday, {zhang: ("whole", "unknown"), li: ("half", "illness")})
    assert db.session.scalar(select(Case).where(Case.child_id == zhang.child_id)) is None
    assert len(db.session.scalars(select(ContactTask)).all()) == 2, "one task per run of absences"

    on(monday)  # the weekend is no school days: Thursday, Friday, Monday are three in a row
    response = _sheet(client, monday, {zhang: ("whole", "unknown"), li: ("whole", "unknown")})
    assert response.status_code == 302
    case = db.session.scalar(select(Case).where(Case.child_id == zhang.child_id))
    assert (case.kind, case.stage, case.source, case.source_date) == ("suspected", "verification", "absences", thursday)
    assert case.school_id == zhang.school_id and case.village_id == zhang.village_id
    assert case.teacher_id == users.teacher.id and case.cadre_id == users.village_cadre.id
    visit = db.session.scalar(select(Visit).where(Visit.case_id == case.id, Visit.purpose == "manual"))
    assert visit.due_date == monday and visit.assignee_id == users.teacher.id and visit.extra["joint"]
    # 李二 came half a day on Friday: a new run starts on Monday
    assert db.session.scalar(select(Case).where(Case.child_id == li.child_id)) is None
    assert db.session.scalar(
        select(ContactTask).where(ContactTask.enrolment_id == li.id, ContactTask.run_start == monday)
    )

    on(date(2026, 10, 20))  # recording again changes nothing
    _sheet(client, monday, {zhang: ("whole", "unknown"), li: ("whole", "unknown")})
    assert len(db.session.scalars(select(Case).where(Case.child_id == zhang.child_id)).all()) == 1


def test_approved_leave_triggers_nothing(client, login, users, klass):
    zhang = klass[0]
    login(users.teacher)
    for day in (date(2026, 10, 12), date(2026, 10, 13), date(2026, 10, 14)):
        on(day)
        _sheet(client, day, {zhang: ("whole", "leave")})
    assert db.session.scalars(select(ContactTask)).all() == []
    assert db.session.scalar(select(Case).where(Case.child_id == zhang.child_id)) is None


def test_without_a_household_village_the_teacher_is_asked_to_register_by_hand(client, login, users, klass):
    wang = klass[2]
    login(users.teacher)
    for day in (date(2026, 10, 12), date(2026, 10, 13), date(2026, 10, 14)):
        on(day)
        _sheet(client, day, {wang: ("whole", "unknown")})
    kinds = sorted(t.kind for t in db.session.scalars(select(ContactTask)))
    assert kinds == ["contact_family", "open_case_by_hand"]
    task = db.session.scalar(select(ContactTask).where(ContactTask.kind == "contact_family"))
    response = client.post(f"/contact-tasks/{task.id}/done", data={"note": "家长说孩子病了"})
    assert response.status_code == 302
    assert task.done_dt is not None and task.note == "家长说孩子病了"


def test_a_weekend_or_a_future_day_is_refused(client, login, users, klass):
    login(users.teacher)
    on(date(2026, 10, 14))
    saturday = _sheet(client, date(2026, 10, 10), {klass[0]: ("whole", "unknown")})
    assert saturday.status_code == 422
    assert "is not a school day" in saturday.get_data(as_text=True)
    tomorrow = _sheet(client, date(2026, 10, 15), {klass[0]: ("whole", "unknown")})
    assert tomorrow.status_code == 422 and "in the future" in tomorrow.get_data(as_text=True)
