"""The case list's filters and search, the case page, editing with a version check,
assignment on both lines and the plan."""

import pytest
from sqlalchemy import event, func, select

from caseworks.cases.models import Assignment, Case, PlanItem
from caseworks.core import audit, idnumber
from caseworks.core.choices import CaseKind, Stage
from caseworks.extensions import db


def _listed(client, query=""):
    page = client.get("/cases" + query).get_data(as_text=True)
    return page


def test_filters_and_search(client, login, users, make_case, make_child, places):
    a = make_case(child=make_child(name="张晓燕", groups=["orphan"]), teacher=users.teacher, cadre=users.village_cadre)
    b = make_case(
        kind=CaseKind.SUSPECTED, village=places.vil_a1b, child=make_child(name="王二虎", village=places.vil_a1b)
    )
    c = make_case(kind=CaseKind.AT_RISK, school=places.school_a1j, child=make_child(name="刘小明"), teacher=None)
    login(users.township_official)

    def ids(query):
        page = _listed(client, query)
        return {case.id for case in (a, b, c) if f'href="/cases/{case.id}"' in page}

    assert ids("") == {a.id, b.id, c.id}
    assert ids("?stage=verification") == {b.id}
    assert ids("?kind=at_risk") == {c.id}
    assert ids(f"?village={places.vil_a1b.id}") == {b.id}
    assert ids(f"?school={places.school_a1j.id}") == {c.id}
    assert ids(f"?township={places.town_a1.id}") == {a.id, b.id, c.id}
    assert ids(f"?township={places.town_a2.id}") == set()
    assert ids("?group=orphan") == {a.id}
    assert ids("?unassigned=1") == {b.id, c.id}
    assert ids("?q=晓燕") == {a.id}
    assert ids("?q=" + a.child.id_number) == {a.id}
    assert ids("?q=" + a.child.id_number[:17]) == set()  # only a whole ID number finds a child
    assert ids("?stage=nonsense&page=abc") == {a.id, b.id, c.id}
    assert ids("?q=%25") == set()  # a LIKE wildcard is searched for literally


def test_assigned_to_me(client, login, users, make_case):
    mine = make_case(teacher=users.teacher)
    other = make_case(teacher=users.teacher2)
    login(users.school_admin)
    page = _listed(client, "?mine=1")
    assert f"/cases/{mine.id}" not in page and f"/cases/{other.id}" not in page
    login(users.teacher)
    page = _listed(client, "?mine=1")
    assert f"/cases/{mine.id}" in page and f"/cases/{other.id}" not in page


def test_the_list_masks_id_numbers_and_flags_missing_people(client, login, users, make_case):
    case = make_case(teacher=users.teacher)
    login(users.school_admin)
    page = _listed(client)
    assert case.child.id_number not in page
    assert idnumber.mask(case.child.id_number) in page
    assert "No village cadre" in page


def test_pagination(client, login, users, make_case, app):
    cases = [make_case() for _ in range(app.config["CASES_PER_PAGE"] + 3)]
    login(users.school_admin)
    first, second = _listed(client), _listed(client, "?page=2")
    on_first = {c.id for c in cases if f'href="/cases/{c.id}"' in first}
    on_second = {c.id for c in cases if f'href="/cases/{c.id}"' in second}
    assert len(on_first) == app.config["CASES_PER_PAGE"] and len(on_second) == 3
    assert not on_first & on_second
    assert "Page 1 of 2" in first


def _count_queries(app, fn):
    statements = []

    def count(conn, cursor, statement, *args):
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        fn()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(statements)


def test_page_query_counts_do_not_grow_with_the_data(client, login, users, make_case, make_child, app):
    login(users.township_official)
    make_case(teacher=users.teacher, cadre=users.village_cadre, child=make_child(groups=["orphan"]))
    small_list = _count_queries(app, lambda: client.get("/cases"))
    first = db.session.scalar(select(Case))
    small_detail = _count_queries(app, lambda: client.get(f"/cases/{first.id}"))
    for n in range(20):
        case = make_case(
            teacher=users.teacher, cadre=users.village_cadre, child=make_child(groups=["orphan", "poverty"])
        )
        db.session.add(PlanItem(case_id=case.id, measure="资助", responsible="王老师"))
        db.session.add(PlanItem(case_id=first.id, measure=f"措施{n}", responsible="王老师"))
    db.session.flush()
    assert _count_queries(app, lambda: client.get("/cases")) == small_list
    assert _count_queries(app, lambda: client.get(f"/cases/{first.id}")) == small_detail


@pytest.fixture
def case(make_case, users):
    return make_case(teacher=users.teacher, cadre=users.village_cadre)


def _edit_data(case, **overrides):
    child = case.child
    data = {
        "name": child.name,
        "id_number": child.id_number,
        "gender": child.gender,
        "birth_date": child.birth_date.isoformat(),
        "village_id": str(case.village_id),
        "address": child.address,
        "school_id": str(case.school_id),
        "grade": case.grade,
        "class_name": "",
        "dropout_date": "",
        "reasons": case.reasons,
        "groups": [],
        "guardians-0-name": child.guardians[0].name,
        "guardians-0-relation": "father",
        "guardians-0-phone": child.guardians[0].phone,
        "situation": "",
        "plan_summary": "",
        "version": str(case.version),
    }
    data.update(overrides)
    return data


def test_editing_changes_the_facts_and_is_audited(client, login, users, case):
    login(users.teacher)
    assert client.get(f"/cases/{case.id}/edit").status_code == 200
    # the form shows the full ID number and phones: the look is in the audit trail
    assert db.session.scalars(select(audit.AuditEntry).where(audit.AuditEntry.kind == "view_sensitive")).one()
    response = client.post(
        f"/cases/{case.id}/edit",
        data=_edit_data(
            case,
            address="平里村五组3号",
            **{"guardians-1-name": "张奶奶", "guardians-1-relation": "grandparent", "guardians-1-phone": "13700001111"},
        ),
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert case.child.address == "平里村五组3号"
    assert [g.name for g in case.child.guardians] == ["王大山", "张奶奶"]
    entry = db.session.scalars(
        select(audit.AuditEntry).where(audit.AuditEntry.case_id == case.id, audit.AuditEntry.kind == "change")
    ).one()
    assert entry.data["after"]["address"] == "平里村五组3号"
    assert "13700001111" not in str(entry.data)


def test_a_stale_edit_is_refused_with_a_conflict(client, login, users, case):
    login(users.teacher)
    stale = _edit_data(case, address="旧地址")
    assert client.post(f"/cases/{case.id}/edit", data=_edit_data(case, address="新地址")).status_code == 302
    response = client.post(f"/cases/{case.id}/edit", data=stale)
    assert response.status_code == 409
    assert "Someone else changed this case" in response.get_data(as_text=True)
    db.session.expire_all()
    assert case.child.address == "新地址"


def test_editing_never_touches_the_stage(client, login, users, case):
    login(users.school_admin)
    client.post(f"/cases/{case.id}/edit", data=_edit_data(case, stage="closed"))
    db.session.expire_all()
    assert case.stage == Stage.SCHOOL_PERSUASION


def test_the_school_admin_assigns_a_teacher(client, login, users, make_case):
    case = make_case()
    login(users.school_admin)
    page = client.get(f"/cases/{case.id}/assign/teacher").get_data(as_text=True)
    assert users.teacher.full_name in page and users.other_teacher.full_name not in page
    response = client.post(
        f"/cases/{case.id}/assign/teacher", data={"user_id": users.teacher.id, "version": case.version}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert case.teacher_id == users.teacher.id
    response = client.post(
        f"/cases/{case.id}/assign/teacher", data={"user_id": users.teacher2.id, "version": case.version}
    )
    db.session.expire_all()
    assert case.teacher_id == users.teacher2.id
    rows = db.session.scalars(select(Assignment).where(Assignment.case_id == case.id).order_by(Assignment.id)).all()
    assert [(r.user_id, r.ended_dt is not None) for r in rows] == [(users.teacher.id, True), (users.teacher2.id, False)]
    timeline = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert f"Teacher assigned: {users.teacher2.full_name}" in timeline


def test_a_teacher_of_another_school_cannot_be_assigned(client, login, users, make_case):
    case = make_case()
    login(users.school_admin)
    response = client.post(
        f"/cases/{case.id}/assign/teacher", data={"user_id": users.other_teacher.id, "version": case.version}
    )
    assert response.status_code == 422
    db.session.expire_all()
    assert case.teacher_id is None


def test_the_township_official_assigns_a_cadre(client, login, users, make_case):
    case = make_case()
    login(users.township_official)
    response = client.post(
        f"/cases/{case.id}/assign/cadre", data={"user_id": users.village_cadre.id, "version": case.version}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert case.cadre_id == users.village_cadre.id
    refused = client.post(
        f"/cases/{case.id}/assign/cadre", data={"user_id": users.other_village_cadre.id, "version": case.version}
    )
    assert refused.status_code == 422


def test_plan_measures(client, login, users, case):
    login(users.teacher)
    response = client.post(f"/cases/{case.id}/plan", data={"measure": "每周两次课业辅导", "responsible": "王老师"})
    assert response.status_code == 302
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "每周两次课业辅导" in page and "Plan measure added" in page
    refused = client.post(f"/cases/{case.id}/plan", data={"measure": "", "responsible": ""})
    assert refused.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(PlanItem)) == 1


def test_revealing_the_full_id_number_is_audited(client, login, users, case):
    login(users.county_reviewer)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert case.child.id_number not in page and case.child.guardians[0].phone not in page
    response = client.post(f"/cases/{case.id}/reveal")
    page = response.get_data(as_text=True)
    assert case.child.id_number in page and case.child.guardians[0].phone in page
    entry = db.session.scalars(select(audit.AuditEntry).where(audit.AuditEntry.kind == "view_sensitive")).one()
    assert (entry.user_id, entry.case_id) == (users.county_reviewer.id, case.id)
