"""Logging visits and contacts, planning and cancelling, support measures, "my visits" and the
overdue overview."""

import io
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select

from caseworks.core import audit
from caseworks.core.choices import Stage
from caseworks.extensions import db
from caseworks.visits import operations
from caseworks.visits.models import SupportMeasure, Visit, VisitPhoto
from tests.visits.conftest import TODAY

pytestmark = pytest.mark.usefixtures("frozen_clock")


def _visit_data(**overrides):
    data = {
        "visit_date": TODAY.isoformat(),
        "method": "home_visit",
        "visitors": ["teacher", "cadre"],
        "visitor_names": "王老师、李主任",
        "met_with": "父亲",
        "findings": "孩子在家帮忙农活，父亲同意下周送回学校。",
        "guardian_attitude": "supportive",
        "child_willingness": "hesitant",
        "outcome": "agreed_to_return",
        "agreed_return_date": (TODAY + timedelta(days=3)).isoformat(),
        "next_step": "周一到校核查",
        "client_uuid": "7d0b5f8e-3a1c-4c11-9d55-0f2d7a3b9c01",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _planned(case):
    return operations.open_planned_visits(case)


def _line(case, line):
    [visit] = [v for v in _planned(case) if v.line == line]
    return visit


def test_a_teacher_logs_a_planned_visit_and_the_next_is_planned(client, login, users, case):
    operations.ensure_planned(case)
    planned = _line(case, "teacher")
    assert planned.due_date == case.opened_date + timedelta(days=7)  # on the ladder: weekly
    login(users.teacher)
    page = client.get(f"/cases/{case.id}/visits/new?planned={planned.id}").get_data(as_text=True)
    assert 'name="client_uuid"' in page
    response = client.post(f"/cases/{case.id}/visits/new?planned={planned.id}", data=_visit_data())
    assert response.status_code == 302
    db.session.expire_all()
    done = db.session.get(Visit, planned.id)
    assert done.done_dt is not None and done.outcome == "agreed_to_return" and done.visitors == ["teacher", "cadre"]
    assert done.stage_at_visit == Stage.SCHOOL_PERSUASION
    assert case.last_contact_date == TODAY
    # a joint visit (teacher and cadre went): the next visit of each line counts from it
    following = _line(case, "teacher")
    assert following.id != planned.id and following.due_date == TODAY + timedelta(days=7)
    assert _line(case, "cadre").due_date == TODAY + timedelta(days=7)
    timeline = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Home visit: Agreed to return" in timeline and "孩子在家帮忙农活" in timeline
    assert (
        db.session.scalar(select(func.count()).select_from(audit.AuditEntry).where(audit.AuditEntry.module == "visits"))
        == 1
    )


def test_a_resubmitted_visit_is_recorded_once(client, login, users, case):
    login(users.teacher)
    assert client.post(f"/cases/{case.id}/visits/new", data=_visit_data()).status_code == 302
    again = client.post(f"/cases/{case.id}/visits/new", data=_visit_data())
    assert again.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Visit).where(Visit.done_dt.is_not(None))) == 1


BAD = [
    ({"visit_date": (TODAY + timedelta(days=1)).isoformat()}, "visit_date", "in the future"),
    ({"visit_date": (TODAY - timedelta(days=60)).isoformat()}, "visit_date", "The case was opened on"),
    ({"outcome": ""}, "outcome", "Choose the outcome"),
    ({"agreed_return_date": ""}, "agreed_return_date", "agreed the child returns"),
    ({"agreed_return_date": (TODAY - timedelta(days=1)).isoformat()}, "agreed_return_date", "before the visit"),
    ({"method": "pigeon"}, "method", "Not a valid choice"),
]


@pytest.mark.parametrize("overrides,field,message", BAD, ids=[b[1] + ":" + b[2] for b in BAD])
def test_bad_visits_are_refused_by_the_field_and_nothing_is_saved(
    client, login, users, case, overrides, field, message
):
    login(users.teacher)
    response = client.post(f"/cases/{case.id}/visits/new", data=_visit_data(**overrides))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page.split(f'id="field-{field}"', 1)[1].split('class="field', 1)[0]
    assert db.session.scalar(select(func.count()).select_from(Visit).where(Visit.done_dt.is_not(None))) == 0
    assert case.last_contact_date is None


def real_png(size=(40, 30)):
    out = io.BytesIO()
    Image.new("RGB", size, "orange").save(out, "PNG")
    return out.getvalue()


def test_photos_are_kept_and_served_only_within_scope(client, login, users, case, app):
    login(users.teacher)
    png = real_png()
    data = _visit_data()
    data["photos"] = [(io.BytesIO(png), "door.png")]
    response = client.post(f"/cases/{case.id}/visits/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    photo = db.session.scalars(select(VisitPhoto)).one()
    served = client.get(f"/visits/photos/{photo.id}").data
    assert served == photo.data and Image.open(io.BytesIO(served)).size == (40, 30)
    login(users.other_teacher)
    assert client.get(f"/visits/photos/{photo.id}").status_code == 404


def test_a_photo_that_is_not_an_image_is_refused(client, login, users, case):
    login(users.teacher)
    data = _visit_data()
    data["photos"] = [(io.BytesIO(b"MZ"), "virus.exe")]
    response = client.post(f"/cases/{case.id}/visits/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "JPEG, PNG or WebP" in response.get_data(as_text=True)


def test_visits_outside_the_scope(client, login, users, case):
    login(users.other_teacher)
    assert client.get(f"/cases/{case.id}/visits/new").status_code == 404
    assert client.post(f"/cases/{case.id}/visits/new", data=_visit_data()).status_code == 404
    login(users.county_reviewer)
    assert client.get(f"/cases/{case.id}/visits/new").status_code == 403


def test_my_visits_groups_by_when_they_are_due(client, login, users, make_case):
    def planned_in(days):
        c = make_case(teacher=users.teacher)
        v = Visit(case_id=c.id, due_date=TODAY + timedelta(days=days), assignee_id=users.teacher.id, purpose="monthly")
        db.session.add(v)
        db.session.flush()
        return c

    overdue, today, week, later = planned_in(-3), planned_in(0), planned_in(4), planned_in(20)
    other = make_case(teacher=users.teacher2)
    db.session.add(Visit(case_id=other.id, due_date=TODAY, assignee_id=users.teacher2.id, purpose="monthly"))
    db.session.flush()
    login(users.teacher)
    page = client.get("/visits/mine").get_data(as_text=True)
    sections = {
        key: page.split(f'id="{key}"', 1)[1].split("</section>", 1)[0] for key in ("overdue", "today", "week", "later")
    }
    assert f"/cases/{overdue.id}" in sections["overdue"]
    assert f"/cases/{today.id}" in sections["today"]
    assert f"/cases/{week.id}" in sections["week"]
    assert f"/cases/{later.id}" in sections["later"]
    assert f"/cases/{other.id}" not in page


def test_the_overdue_overview_counts_by_school_village_and_person(client, login, users, make_case, places):
    a = make_case(teacher=users.teacher)
    b = make_case(school=places.school_a2, village=places.vil_a2a, teacher=users.other_teacher)
    for c, who in ((a, users.teacher), (b, users.other_teacher)):
        db.session.add(Visit(case_id=c.id, due_date=TODAY - timedelta(days=5), assignee_id=who.id, purpose="ladder"))
    db.session.flush()
    login(users.township_official)
    page = client.get("/visits/overdue").get_data(as_text=True)
    assert places.school_a1.name in page and places.school_a2.name not in page
    assert users.teacher.full_name in page
    assert f"/cases/{a.id}" in page and f"/cases/{b.id}" not in page
    login(users.county_reviewer)
    page = client.get("/visits/overdue").get_data(as_text=True)
    assert f"/cases/{a.id}" in page and f"/cases/{b.id}" in page
    login(users.teacher)
    assert client.get("/visits/overdue").status_code == 403


def test_planning_and_cancelling(client, login, users, case):
    login(users.teacher)
    response = client.post(
        f"/cases/{case.id}/visits/plan",
        data={"due_date": (TODAY + timedelta(days=2)).isoformat(), "assignee_id": users.teacher.id},
    )
    assert response.status_code == 302
    visit = db.session.scalars(select(Visit).where(Visit.purpose == "manual")).one()
    assert client.post(f"/visits/{visit.id}/cancel", data={"reason": ""}).status_code == 302
    db.session.expire_all()
    assert visit.cancelled_dt is None
    client.post(f"/visits/{visit.id}/cancel", data={"reason": "家长外出，改期"})
    db.session.expire_all()
    assert visit.cancelled_dt is not None
    refused = client.post(
        f"/cases/{case.id}/visits/plan",
        data={"due_date": (TODAY - timedelta(days=2)).isoformat(), "assignee_id": users.teacher.id},
    )
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "cannot be due in the past" in page.split('id="field-due_date"', 1)[1].split("</div>", 1)[0]
    assert db.session.scalar(select(func.count()).select_from(Visit).where(Visit.purpose == "manual")) == 1


def test_support_measures(client, login, users, case):
    login(users.school_admin)
    response = client.post(
        f"/cases/{case.id}/support",
        data={
            "kind": "financial_aid",
            "detail": "两免一补，生活补助每学期625元",
            "responsible": "学校资助专干",
            "start_date": TODAY.isoformat(),
        },
    )
    assert response.status_code == 302
    refused = client.post(
        f"/cases/{case.id}/support",
        data={"kind": "referral", "detail": "转介残联", "responsible": "乡镇", "start_date": TODAY.isoformat()},
    )
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "Name the department" in page.split('id="field-department"', 1)[1].split("</div>", 1)[0]
    assert "转介残联" in page  # what was typed is still there
    assert db.session.scalar(select(func.count()).select_from(SupportMeasure)) == 1
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "两免一补" in page and "Support: Financial aid" in page


def test_the_cadence_follows_the_stage(case, make_case, users):
    planned = operations.ensure_planned(case)
    assert {(v.line, v.purpose, v.due_date) for v in planned} == {
        ("teacher", "ladder", case.opened_date + timedelta(days=7)),
        ("cadre", "ladder", case.opened_date + timedelta(days=7)),
    }
    assert operations.ensure_planned(case) == planned  # idempotent
    support = make_case(kind="at_risk", teacher=users.teacher, opened_date=TODAY, stage_entered_date=TODAY)
    assert {v.due_date for v in operations.ensure_planned(support)} == {TODAY + timedelta(days=30)}
    case.stage = Stage.PENDING_REVIEW
    assert operations.ensure_planned(case) == []
    assert _planned(case) == []


def test_a_file_that_only_claims_to_be_a_photo_is_refused(client, login, users, case):
    login(users.teacher)
    data = _visit_data()
    data["photos"] = [(io.BytesIO(b"<script>alert(1)</script>"), "a.jpg", "image/jpeg")]
    response = client.post(f"/cases/{case.id}/visits/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(VisitPhoto)) == 0


def test_a_photo_is_served_as_the_image_it_is(client, login, users, case):
    login(users.teacher)
    data = _visit_data()
    data["photos"] = [(io.BytesIO(real_png()), "door.jpg", "text/html")]
    assert client.post(f"/cases/{case.id}/visits/new", data=data, content_type="multipart/form-data").status_code == 302
    photo = db.session.scalars(select(VisitPhoto)).one()
    response = client.get(f"/visits/photos/{photo.id}")
    assert response.mimetype == "image/jpeg"  # stored re-encoded
    assert "sandbox" in response.headers["Content-Security-Policy"]
