"""The village sheet and the sign-off roster, on a hand-built township."""

from datetime import date, timedelta

import pytest

from caseworks.core import clock
from caseworks.core.choices import CaseKind, ClosedOutcome, Stage
from caseworks.extensions import db
from caseworks.ledgers import rosters
from caseworks.visits.models import Visit


@pytest.fixture(autouse=True)
def frozen_clock():
    clock.set_now(clock.local_date_start(date(2026, 11, 2)) + timedelta(hours=9))
    yield
    clock.set_now(None)


@pytest.fixture
def township(make_case, make_child, places):
    p = places
    on_ladder = make_case(child=make_child(name="甲"), stage=Stage.TOWNSHIP_PERSUASION)
    for day, method in (
        (date(2026, 10, 1), "home_visit"),
        (date(2026, 10, 8), "home_visit"),
        (date(2026, 10, 9), "phone"),
    ):
        db.session.add(
            Visit(
                case_id=on_ladder.id,
                done_dt=clock.local_date_start(day),
                visit_date=day,
                method=method,
                outcome="refused",
            )
        )
    back = make_case(child=make_child(name="乙"), village=p.vil_a1b, stage=Stage.RETURNED)
    placed = make_case(
        child=make_child(name="丙"),
        stage=Stage.CLOSED,
        closed_outcome=ClosedOutcome.VOCATIONAL_SCHOOL,
        closed_date=date(2026, 10, 20),
    )
    make_case(  # closed last school year: not on this year's roster
        child=make_child(name="丁"),
        stage=Stage.CLOSED,
        closed_outcome=ClosedOutcome.RETURNED_TO_SCHOOL,
        closed_date=date(2026, 6, 30),
    )
    aged_out = make_case(
        child=make_child(name="戊"),
        stage=Stage.CLOSED,
        closed_outcome=ClosedOutcome.AGED_OUT,
        closed_date=date(2026, 10, 1),
    )
    make_case(child=make_child(name="己"), kind=CaseKind.SUSPECTED)  # a suspicion is not a dropout
    db.session.flush()
    return on_ladder, back, placed, aged_out


def test_the_sign_off_roster_of_this_school_year(users, township):
    on_ladder, back, placed, aged_out = township
    roster = rosters.sign_off_roster(users.township_official)
    assert roster.since == date(2026, 9, 1)
    assert {c.child.name for c in roster.dropouts} == {"甲", "乙", "丙", "戊"}
    assert [c.id for c in roster.returned] == [back.id, placed.id] or {c.id for c in roster.returned} == {
        back.id,
        placed.id,
    }
    assert [c.id for c in roster.not_returned] == [on_ladder.id]


def test_the_village_sheet_counts_home_visits_only(users, township):
    on_ladder, back, _placed, _aged_out = township
    villages = rosters.village_sheet(users.township_official)
    lines = {line.case.child.name: line.home_visits for group in villages.values() for line in group}
    assert lines["甲"] == 2 and lines["乙"] == 0
    assert "丙" not in lines  # closed
    assert set(villages) == {"新场村", "平里村"}


def test_the_pages_print_with_their_signature_lines(client, login, users, township):
    login(users.township_official)
    page = client.get("/reports/sign-off").get_data(as_text=True)
    assert "Village secretary" in page and "area lead" in page
    assert page.count('<tr><td class="num">') == 4 + 2 + 1
    sheet = client.get("/reports/village-sheet")
    assert sheet.status_code == 200 and "甲" in sheet.get_data(as_text=True)


@pytest.mark.parametrize("role, status", [("teacher", 403), ("admin", 403), ("village_cadre", 200)])
def test_who_prints_them(client, login, users, role, status):
    login(getattr(users, role))
    assert client.get("/reports/village-sheet").status_code == status
    assert client.get("/reports/sign-off").status_code == status


def test_the_workbooks_say_the_same(client, login, users, township):
    from io import BytesIO

    from openpyxl import load_workbook

    login(users.township_official)
    response = client.get("/reports/sign-off.xlsx")
    data = response.data
    response.close()
    rows = list(load_workbook(BytesIO(data))["签字确认名册"].iter_rows(values_only=True))
    titles = [r[0] for r in rows if r[0] and str(r[0]).endswith("人）")]
    assert titles == ["辍学学生（4人）", "已返校（2人）", "未返校（1人）"]
    assert rows[-1][0] == "日期："
    response = client.get("/reports/village-sheet.xlsx")
    data = response.data
    response.close()
    lines = list(load_workbook(BytesIO(data))["村级台账"].iter_rows(min_row=3, values_only=True))
    assert sorted((line[1], line[5]) for line in lines) == [("乙", 0), ("己", 0), ("甲", 2)]
