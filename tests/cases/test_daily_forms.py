"""Forms that made people type twice or guess: grades follow the school's level, required
fields show their asterisk, dates are shown one way (no 00:00 where no time was recorded), the
user list sorts naturally and asks before deactivating, and the notice placeholders are
explained. A health deferral gets its visit a month before it ends."""

from datetime import date, timedelta

import pytest

from caseworks.core import clock
from caseworks.core.choices import ClosedOutcome, Role, Stage
from caseworks.extensions import db
from caseworks.visits import operations as visit_ops
from tests.cases.test_register import form_data  # noqa: F401 - a fixture

TODAY = date(2026, 11, 20)


@pytest.fixture(autouse=True)
def frozen_clock():
    clock.set_now(clock.local_date_start(TODAY) + timedelta(hours=3))


def _chinese(client):
    client.post("/lang/zh_CN")


@pytest.mark.parametrize(
    "school,grade,ok",
    [
        ("school_a1", "七年级", False),
        ("school_a1", "六年级", True),
        ("school_a1j", "三年级", False),
        ("school_a1j", "八年级", True),
    ],
)
def test_the_schools_level_decides_its_grades(client, login, users, places, form_data, school, grade, ok):  # noqa: F811
    login(users.township_official)
    data = form_data(school_id=getattr(places, school).id, grade=grade)
    response = client.post("/cases/new", data=data)
    assert response.status_code == (302 if ok else 422), response.get_data(as_text=True)[:200]
    if not ok:
        page = response.get_data(as_text=True)
        assert "choose one of its grades" in page.split('id="field-grade"', 1)[1].split("</div>", 1)[0]


def test_the_register_form_fills_birth_and_gender_from_the_id_number(client, login, users, places):
    login(users.teacher)
    page = client.get("/cases/new").get_data(as_text=True)
    assert 'data-fills-birth="1"' in page and "/static/register.js" in page
    assert f'data-grades="{{&#34;{places.school_a1.id}&#34;: [&#34;一年级&#34;' in page


def test_the_visit_form_marks_the_outcome_required(client, login, users, make_case):
    case = make_case(teacher=users.teacher, cadre=users.village_cadre)
    login(users.teacher)
    page = client.get(f"/cases/{case.id}/visits/new").get_data(as_text=True)
    outcome = page.split('id="field-outcome"', 1)[1].split("</div>", 1)[0]
    assert '<span class="req">*</span>' in outcome


def test_dates_are_shown_one_way_and_times_only_where_recorded(client, login, users, make_case):
    case = make_case(teacher=users.teacher, cadre=users.village_cadre, opened_date=TODAY - timedelta(days=3))
    visit_ops.log_visit(
        case, {"visit_date": TODAY, "method": "phone", "outcome": "refused", "visitors": ["teacher"]}, users.teacher
    )
    login(users.teacher)
    _chinese(client)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    timeline = page.split('id="timeline"', 1)[1]
    assert "2026年11月20日" in timeline and "2026年11月17日" in timeline
    assert "00:00" not in timeline and "2026/11" not in page and "2026-11-" not in page.split("<main", 1)[1]


def test_users_sort_naturally_show_their_status_and_deactivation_asks_first(client, login, users, make_user, places):
    for name in ("c10", "c2", "c1"):
        make_user(Role.VILLAGE_CADRE, places.vil_a1a, name)
    login(users.admin)
    page = client.get("/admin/users?q=c").get_data(as_text=True)
    names = [part.split("<", 1)[0] for part in page.split('<span class="muted">')[1:]]
    order = [n for n in names if n in ("c1", "c2", "c10")]
    assert order == ["c1", "c2", "c10"]
    assert 'class="user-status"' in page
    user = users.teacher
    detail = client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert 'id="deactivate"' in detail and "Yes, deactivate" in detail
    # a bare POST (no confirmation) deactivates nobody
    assert client.post(f"/admin/users/{user.id}/deactivate").status_code == 302
    db.session.expire_all()
    assert user.is_active
    assert client.post(f"/admin/users/{user.id}/deactivate", data={"confirm": "1"}).status_code == 302
    db.session.expire_all()
    assert not user.is_active


def test_the_notice_placeholders_are_explained_in_chinese(client, login, users, places):
    login(users.admin)
    _chinese(client)
    page = client.get(f"/admin/places/{places.county_a.id}/policy").get_data(as_text=True)
    placeholders = page.split('id="placeholders"', 1)[1].split("</div>", 1)[0]
    assert "<code>{guardian}</code></dt><dd>监护人姓名" in placeholders


def test_a_health_deferral_gets_a_visit_a_month_before_it_ends(make_case, users):
    case = make_case(
        stage=Stage.CLOSED,
        teacher=users.teacher,
        cadre=users.village_cadre,
        closed_outcome=ClosedOutcome.HEALTH_DEFERRAL,
        closed_date=TODAY - timedelta(days=100),
        closed_until=TODAY + timedelta(days=200),
    )
    [visit] = visit_ops.ensure_planned(case)
    assert (visit.purpose, visit.due_date, visit.assignee_id) == (
        "deferral_check",
        TODAY + timedelta(days=170),
        users.teacher.id,
    )
    # made once: the case stays closed, and nothing more is planned until the review
    visit_ops.log_visit(
        case,
        {"visit_date": TODAY, "method": "home_visit", "outcome": "not_at_home", "visitors": ["teacher"]},
        users.teacher,
        planned=visit,
    )
    assert visit_ops.ensure_planned(case) == [] and case.stage == Stage.CLOSED
