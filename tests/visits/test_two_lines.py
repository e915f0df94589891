"""The two lines (双线控辍) each carry their own work, and the county's monthly look is the
county's: request tests for who may log which planned visit, the county look given to a named
county person, the steps out of the first stage asking for both lines, and "my visits"."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from caseworks.core import audit, clock
from caseworks.core.choices import CaseKind, Stage
from caseworks.extensions import db
from caseworks.visits import operations
from caseworks.visits.models import Visit

TODAY = date(2026, 11, 20)


@pytest.fixture(autouse=True)
def frozen_clock():
    clock.set_now(clock.local_date_start(TODAY) + timedelta(hours=3))


@pytest.fixture
def orphan_case(make_case, make_child, users):
    case = make_case(
        teacher=users.teacher,
        cadre=users.village_cadre,
        child=make_child(groups=("orphan",)),
        opened_date=TODAY - timedelta(days=40),
        stage_entered_date=TODAY - timedelta(days=40),
    )
    operations.ensure_planned(case)
    return case


def _planned(case, purpose=None, line=None):
    visits = operations.open_planned_visits(case)
    return [v for v in visits if (purpose is None or v.purpose == purpose) and (line is None or v.line == line)]


def _visit(**overrides):
    return {
        "visit_date": TODAY.isoformat(),
        "method": "home_visit",
        "visitors": ["county_staff"],
        "met_with": "奶奶",
        "outcome": "refused",
        **overrides,
    }


def test_each_line_has_its_own_planned_visit_for_its_own_person(orphan_case, users):
    lines = {v.line: v.assignee_id for v in _planned(orphan_case) if v.line}
    assert lines == {"teacher": users.teacher.id, "cadre": users.village_cadre.id}


def test_the_county_look_is_the_countys_to_log(client, login, users, orphan_case):
    [look] = _planned(orphan_case, "county_look")
    url = f"/cases/{orphan_case.id}/visits/new?planned={look.id}"
    # the teacher, the cadre and the school may not log it: it counts only when the county logs it
    for person in (users.teacher, users.village_cadre, users.school_admin):
        login(person)
        assert client.get(url).status_code == 403
        assert client.post(url, data=_visit()).status_code == 403
        page = client.get(f"/cases/{orphan_case.id}").get_data(as_text=True)
        assert f"planned={look.id}" not in page
    with pytest.raises(operations.VisitError):
        operations.log_visit(orphan_case, {**_visit(), "visit_date": TODAY}, users.teacher, planned=look)
    # the county reviewer logs it (and nothing else: county reviewers do not log unplanned visits)
    login(users.county_reviewer)
    assert client.get(f"/cases/{orphan_case.id}/visits/new").status_code == 403
    page = client.get(f"/cases/{orphan_case.id}").get_data(as_text=True)
    assert f"planned={look.id}" in page and "Log the county look" in page
    form = client.get(url).get_data(as_text=True)
    assert '<input checked id="visitors-4" name="visitors" type="checkbox" value="county_staff">' in form
    response = client.post(url, data=_visit())
    assert response.status_code == 302
    db.session.expire_all()
    assert look.done_dt is not None and look.logged_by_id == users.county_reviewer.id
    # the next look is planned a month on, for the same county person
    [following] = _planned(orphan_case, "county_look")
    assert following.due_date == TODAY + timedelta(days=30)
    assert following.assignee_id == users.county_reviewer.id
    # the teacher's and the cadre's own visits were not done by it
    assert {v.due_date for v in _planned(orphan_case) if v.line} == {TODAY - timedelta(days=33)}


def test_the_county_look_is_given_to_a_named_county_person(client, login, users, orphan_case):
    [look] = _planned(orphan_case, "county_look")
    assert look.assignee_id is None
    login(users.county_reviewer)
    mine = client.get("/visits/mine").get_data(as_text=True)
    assert 'id="untaken"' in mine and orphan_case.child.name in mine
    # nobody outside the county: a reviewer of another county is not offered and is refused
    response = client.post(f"/visits/{look.id}/assign", data={"assignee_id": users.other_county_reviewer.id})
    assert response.status_code == 302
    db.session.expire_all()
    assert look.assignee_id is None
    response = client.post(f"/visits/{look.id}/assign", data={"assignee_id": users.county_reviewer2.id})
    assert response.status_code == 302
    db.session.expire_all()
    assert look.assignee_id == users.county_reviewer2.id
    assert audit.AuditEntry.query.filter_by(kind="assign", module="visits").count() == 1
    login(users.county_reviewer2)
    mine = client.get("/visits/mine").get_data(as_text=True)
    assert f"planned={look.id}" in mine and 'id="untaken"' not in mine
    # the plan keeps the county person it was given to
    operations.ensure_planned(orphan_case)
    assert look.assignee_id == users.county_reviewer2.id


@pytest.mark.parametrize(
    "role,status",
    [
        ("teacher", 403),
        ("village_cadre", 403),
        ("school_admin", 403),
        ("township_official", 403),
        ("county_reviewer", 302),
        ("other_county_reviewer", 404),
        ("admin", 403),
    ],
)
def test_who_may_give_the_county_look(client, login, users, orphan_case, role, status):
    [look] = _planned(orphan_case, "county_look")
    login(getattr(users, role))
    response = client.post(f"/visits/{look.id}/assign", data={"assignee_id": users.county_reviewer.id})
    assert response.status_code == status


def test_a_planned_visit_of_the_other_line_is_not_yours_to_log(client, login, users, orphan_case):
    [cadres] = _planned(orphan_case, line="cadre")
    login(users.teacher)
    assert client.get(f"/cases/{orphan_case.id}/visits/new?planned={cadres.id}").status_code == 403
    page = client.get(f"/cases/{orphan_case.id}").get_data(as_text=True)
    assert f"planned={cadres.id}" not in page
    login(users.village_cadre)
    assert client.get(f"/cases/{orphan_case.id}/visits/new?planned={cadres.id}").status_code == 200
    # the school admin logs any planned visit but the county's
    login(users.school_admin)
    assert client.get(f"/cases/{orphan_case.id}/visits/new?planned={cadres.id}").status_code == 200


def test_my_visits_shows_the_cadres_own_visits_with_phone_and_address(client, login, users, orphan_case):
    login(users.village_cadre)
    page = client.get("/visits/mine").get_data(as_text=True)
    [cadres] = _planned(orphan_case, line="cadre")
    assert f"planned={cadres.id}" in page
    assert 'href="tel:13800138000"' in page and "新场村三组12号" in page
    shown = db.session.scalars(
        select(audit.AuditEntry).where(
            audit.AuditEntry.kind == "view_sensitive", audit.AuditEntry.case_id == orphan_case.id
        )
    ).all()
    assert [e.user_id for e in shown] == [users.village_cadre.id]


def test_leaving_the_first_stage_asks_for_the_missing_line(client, login, users, make_case):
    case = make_case(kind=CaseKind.SUSPECTED, teacher=users.teacher)
    # the teacher may not assign a cadre: the step waits, and says who assigns one
    login(users.teacher)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "No village cadre yet" in page and "the official of the case&#39;s township assigns one" in page
    assert "on the case page" not in page
    refused = client.post(f"/cases/{case.id}/transitions/confirm_dropout", data={"version": case.version})
    assert refused.status_code == 422
    # the township official confirms, and chooses the village cadre on the same form
    login(users.township_official)
    form = client.get(f"/cases/{case.id}/transitions/confirm_dropout").get_data(as_text=True)
    assert 'name="cadre_id"' in form and 'name="teacher_id"' not in form
    missing = client.post(f"/cases/{case.id}/transitions/confirm_dropout", data={"version": case.version})
    assert missing.status_code == 422 and "Choose the village cadre" in missing.get_data(as_text=True)
    response = client.post(
        f"/cases/{case.id}/transitions/confirm_dropout",
        data={"version": case.version, "cadre_id": users.village_cadre.id},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert (case.stage, case.cadre_id) == (Stage.SCHOOL_PERSUASION, users.village_cadre.id)
    # and the cadre has a planned visit of their own at once
    assert [v.assignee_id for v in _planned(case, line="cadre")] == [users.village_cadre.id]


def test_the_case_page_links_say_what_they_assign(client, login, users, make_case):
    case = make_case(kind=CaseKind.SUSPECTED)
    login(users.school_admin)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Assign the teacher" in page
    assign = client.get(f"/cases/{case.id}/assign/teacher").get_data(as_text=True)
    assert '<button type="submit" class="primary">Assign the teacher</button>' in assign


def test_a_reason_is_marked_required_on_the_step(client, login, users, make_case):
    case = make_case(kind=CaseKind.AT_RISK, teacher=users.teacher, cadre=users.village_cadre)
    login(users.teacher)
    page = client.get(f"/cases/{case.id}/transitions/stopped_attending").get_data(as_text=True)
    reason = page.split('id="field-reason"', 1)[1].split("</div>", 1)[0]
    assert '<span class="req">*</span>' in reason


def test_planned_visits_keep_their_line_after_the_job(orphan_case):
    from caseworks.visits.jobs import plan_visits

    before = {(v.id, v.line, v.assignee_id) for v in _planned(orphan_case)}
    plan_visits(clock.today())
    assert {(v.id, v.line, v.assignee_id) for v in _planned(orphan_case)} == before
    assert db.session.scalar(select(Visit.id).where(Visit.line.is_(None), Visit.purpose == "ladder")) is None
