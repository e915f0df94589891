"""Who may open the dashboard and the registers, what they show of whom, and odd input."""

from datetime import date, timedelta

import pytest

from caseworks.core import clock
from caseworks.core.choices import Role, Stage
from caseworks.extensions import db
from caseworks.ladder.models import LegalStep, Notice, Transfer

ROLES = ("teacher", "village_cadre", "school_admin", "township_official", "county_reviewer", "admin")
PAGES = ("/dashboard", "/dashboard/definitions", "/registers/notices", "/registers/transfers", "/registers/legal-steps")
#: the dashboard and the registers belong to those who oversee a place
EXPECTED = dict(teacher=403, village_cadre=403, school_admin=200, township_official=200, county_reviewer=200, admin=403)


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("role", ROLES)
def test_who_may_open_them(client, login, users, role, path):
    login(getattr(users, role))
    assert client.get(path).status_code == EXPECTED[role]


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_is_sent_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("place", ["city", "province"])
def test_reviewers_placed_above_the_county(client, login, places, make_user, place):
    login(make_user(Role.COUNTY_REVIEWER, getattr(places, place)))
    for path in PAGES:
        assert client.get(path).status_code == 200
    assert "Open cases by county" in client.get("/dashboard").get_data(as_text=True)


def test_a_reviewer_placed_at_a_township_has_no_dashboard(client, login, places, make_user):
    login(make_user(Role.COUNTY_REVIEWER, places.town_a1))
    assert client.get("/dashboard").status_code == 403


def _notice(case, user, number, **extra):
    notice = Notice(
        case_id=case.id,
        kind="urge",
        county_id=case.county_id,
        year=2026,
        number=number,
        document_no=f"义劝通字〔2026〕第{number}号",
        title="督促复学通知书",
        body="…",
        recipient="王大山",
        deadline_days=15,
        issued_by_id=user.id,
        **extra,
    )
    db.session.add(notice)
    return notice


def test_the_registers_show_the_scope_only_and_link_each_row_to_its_case(
    client, login, users, make_case, places, own_case, foreign_case
):
    own = make_case(stage=Stage.ADMINISTRATIVE, teacher=users.teacher, cadre=users.village_cadre)
    _notice(own, users.township_official, 1, served_date=clock.today() - timedelta(days=20))
    db.session.flush()
    own_notice = db.session.query(Notice).one()
    own_notice.deadline_date = clock.today() - timedelta(days=5)
    _notice(foreign_case, users.other_township_official, 2)
    db.session.add(
        LegalStep(
            case_id=own.id,
            kind="lawsuit",
            step_date=clock.today(),
            authority="平塘县人民法院",
            recorded_by_id=users.township_official.id,
        )
    )
    db.session.flush()
    login(users.township_official)
    page = client.get("/registers/notices").get_data(as_text=True)
    assert "第1号" in page and "第2号" not in page
    assert f'href="/cases/{own.id}"' in page and "Lapsed, next step not taken" in page and "5 days ago" in page
    assert "1 found" in client.get("/registers/notices?status=lapsed").get_data(as_text=True)
    assert "0 found" in client.get("/registers/notices?status=running").get_data(as_text=True)
    steps = client.get("/registers/legal-steps").get_data(as_text=True)
    assert "平塘县人民法院" in steps and f'href="/cases/{own.id}"' in steps
    # a transfer from township 2 waits for township 1: its case (and notice) show there
    db.session.add(
        Transfer(
            case_id=foreign_case.id,
            from_village_id=places.vil_a2a.id,
            to_village_id=places.vil_a1b.id,
            to_township_id=places.town_a1.id,
            reason="搬家",
            requested_by_id=users.other_township_official.id,
        )
    )
    db.session.flush()
    assert "第2号" in client.get("/registers/notices").get_data(as_text=True)
    transfers = client.get("/registers/transfers").get_data(as_text=True)
    incoming = transfers.split('id="incoming"')[1].split('id="outgoing"')[0]
    assert f'href="/cases/{foreign_case.id}"' in incoming  # waiting for township 1, without searching
    login(users.other_township_official)
    transfers = client.get("/registers/transfers").get_data(as_text=True)
    outgoing = transfers.split('id="outgoing"')[1].split('id="decided"')[0]
    assert f'href="/cases/{foreign_case.id}"' in outgoing
    page = client.get("/registers/notices").get_data(as_text=True)
    assert "第2号" in page and "第1号" not in page and "Not served yet" in page


ODD = ["²", "٣", "-1", "0", "99999999999999999999", "abc", "", "2026-02-30", "0001-01-01", "9999-12-31", "%00"]


@pytest.mark.parametrize("value", ODD)
@pytest.mark.parametrize(
    "path,role",
    [
        (
            "/cases?flag={v}&open={v}&county={v}&school={v}&outcome={v}&opened_since={v}&returned_since={v}"
            "&relapsed_since={v}&closed_since={v}&page={v}",
            "township_official",
        ),
        ("/cases?flag=lapsed_notice&returned_since={v}&page={v}", "county_reviewer"),
        ("/registers/notices?status={v}&kind={v}&page={v}", "township_official"),
        ("/registers/transfers?page={v}", "county_reviewer"),
        ("/registers/legal-steps?kind={v}&page={v}", "school_admin"),
        ("/dashboard?page={v}", "school_admin"),
    ],
)
def test_odd_query_parameters_are_no_error(client, login, users, path, role, value):
    login(getattr(users, role))
    # a NUL byte is refused before any view reads it (tests/core/test_hostile_input.py)
    assert client.get(path.format(v=value)).status_code == (400 if value == "%00" else 200)


def test_the_last_page_of_a_long_list_is_the_end_of_the_order(client, login, users, make_case, app):
    app.config["CASES_PER_PAGE"], per_page = 3, app.config["CASES_PER_PAGE"]
    try:
        made = [make_case(opened_date=date(2026, 1, 1) + timedelta(days=i % 4)) for i in range(11)]
        order = sorted(made, key=lambda c: (c.opened_date, c.id), reverse=True)
        login(users.township_official)
        seen = []
        for page in range(1, 6):
            html = client.get(f"/cases?page={page}").get_data(as_text=True)
            seen += [c.id for c in order if f'href="/cases/{c.id}"' in html]
            if page == 5:
                assert "Page 4 of 4" in html  # past the end: the last page
        assert seen[:11] == [c.id for c in order]
        html = client.get("/cases?page=4").get_data(as_text=True)
        assert [c.id for c in order if f'href="/cases/{c.id}"' in html] == [c.id for c in order[9:]]
    finally:
        app.config["CASES_PER_PAGE"] = per_page
