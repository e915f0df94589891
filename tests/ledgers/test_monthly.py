"""The monthly report (月报) on a hand-built county: every figure written here, and the county equal
to the sum of its townships, each township to the sum of its schools (表表相通，册册相符)."""

from datetime import date, timedelta
from io import BytesIO

import pytest
from openpyxl import load_workbook

from caseworks.core import clock
from caseworks.core.choices import CaseKind, ClosedOutcome, Stage
from caseworks.extensions import db
from caseworks.ladder.models import StageChange
from caseworks.ledgers import monthly

SEPTEMBER = date(2026, 9, 1)


def _at(day):
    return clock.local_date_start(day) + timedelta(hours=9)


@pytest.fixture(autouse=True)
def frozen_clock():
    clock.set_now(_at(date(2026, 10, 8)))
    yield
    clock.set_now(None)


def _change(case, transition, from_stage, to_stage, day):
    db.session.add(
        StageChange(
            case_id=case.id, transition=transition, from_stage=from_stage, to_stage=to_stage, changed_dt=_at(day)
        )
    )


@pytest.fixture
def county(make_case, places):
    p = places
    # township 1, school a1: opened in September, still on the ladder at its end
    make_case(opened_date=date(2026, 9, 3))
    # township 1, school a1j: opened in August, returned on 20 September
    returned = make_case(school=p.school_a1j, opened_date=date(2026, 8, 10), stage=Stage.RETURNED)
    _change(returned, "record_return", Stage.SCHOOL_PERSUASION, Stage.RETURNED, date(2026, 9, 20))
    # township 1, not enrolled: opened in July, relapsed in September, back on the ladder
    relapsed = make_case(
        school=None, kind=CaseKind.NEVER_ENROLLED, opened_date=date(2026, 7, 1), stage=Stage.TOWNSHIP_PERSUASION
    )
    _change(relapsed, "record_return", Stage.TOWNSHIP_PERSUASION, Stage.RETURNED, date(2026, 8, 1))
    _change(relapsed, "relapse", Stage.RETURNED, Stage.TOWNSHIP_PERSUASION, date(2026, 9, 12))
    # township 2, school a2: closed in September as aged out; and one closed in August (not listed)
    closed = make_case(
        school=p.school_a2,
        village=p.vil_a2a,
        opened_date=date(2026, 6, 1),
        stage=Stage.CLOSED,
        closed_outcome=ClosedOutcome.AGED_OUT,
        closed_date=date(2026, 9, 28),
    )
    _change(closed, "approve_closure", Stage.PENDING_REVIEW, Stage.CLOSED, date(2026, 9, 28))
    make_case(
        school=p.school_a2,
        village=p.vil_a2a,
        opened_date=date(2026, 6, 1),
        stage=Stage.CLOSED,
        closed_outcome=ClosedOutcome.RETURNED_TO_SCHOOL,
        closed_date=date(2026, 8, 28),
    )
    # township 2, school a2j: opened in October (after the month)
    make_case(school=p.school_a2j, village=p.vil_a2a, opened_date=date(2026, 10, 2))
    # county B: outside the county reviewer's area
    make_case(school=p.school_b1, village=p.vil_b1a, opened_date=date(2026, 9, 5))
    db.session.flush()
    return p


EXPECTED_SCHOOLS = {
    # school: new, returned, relapsed, closed, still out
    ("school", "通州镇中心小学"): (1, 0, 0, 0, 1),
    ("school", "通州镇中学"): (0, 1, 0, 0, 0),
    ("unenrolled", "通州镇"): (0, 0, 1, 0, 1),
    ("school", "克度镇中心小学"): (0, 0, 0, 1, 0),
}


def _figures(unit):
    return tuple(unit.figures[f] for f in monthly.FIGURES)


def test_every_figure_of_a_hand_built_county(county, users):
    report = monthly.monthly_report(users.county_reviewer, SEPTEMBER)
    schools = {}
    for township in report.townships:
        for school in township.children:
            key = (school.key[0], school.name or township.name)
            schools[key] = _figures(school)
    assert schools == EXPECTED_SCHOOLS
    assert _figures(report.total) == (1, 1, 1, 1, 2)
    assert report.total.closed == {ClosedOutcome.AGED_OUT: 1}
    assert len(report.rows) == 4  # the August closure and the October case are not listed


def test_the_county_is_the_sum_of_its_townships_and_each_township_of_its_schools(county, users):
    report = monthly.monthly_report(users.county_reviewer, SEPTEMBER)
    for figure in monthly.FIGURES:
        assert report.total.figures[figure] == sum(t.figures[figure] for t in report.townships)
        for township in report.townships:
            assert township.figures[figure] == sum(s.figures[figure] for s in township.children)
    # and a township's own report says what the county's says of it
    own = monthly.monthly_report(users.township_official, SEPTEMBER)
    (as_county_sees_it,) = [t for t in report.townships if t.name == "通州镇"]
    assert _figures(own.total) == _figures(as_county_sees_it)


def test_the_page_and_the_workbook(client, login, users, county):
    login(users.township_official)
    page = client.get("/reports/monthly?month=2026-09")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "通州镇中学" in html and "4 found" not in html and "3 found" in html
    response = client.get("/reports/monthly.xlsx?month=2026-09")
    assert response.status_code == 200
    data = response.data
    response.close()
    book = load_workbook(BytesIO(data))
    totals = [[c.value for c in row] for row in book["月报汇总"].iter_rows(min_row=3)]
    assert totals[0][:6] == [users.township_official.place_name, 1, 1, 1, 0, 2]
    assert [r[0].strip() for r in totals[1:]] == ["通州镇", "通州镇中心小学", "通州镇中学", "未入学"]
    details = list(book["月报明细"].iter_rows(min_row=3, values_only=True))
    assert len(details) == 3


def test_a_malformed_month_shows_last_month(client, login, users, county):
    login(users.school_admin)
    assert client.get("/reports/monthly?month=2026-13").status_code == 200
    assert client.get("/reports/monthly?month=%00").status_code == 200


@pytest.mark.parametrize("role", ["teacher", "village_cadre", "admin"])
def test_only_the_school_township_and_county(client, login, users, role):
    login(getattr(users, role))
    assert client.get("/reports/monthly").status_code == 403
    assert client.get("/reports/monthly.xlsx").status_code == 403


def test_months_are_read_as_written_and_default_to_the_last_one():
    assert isinstance(monthly.parse_month("2026-09"), date) and monthly.parse_month("09-2026") is None
    assert monthly.last_month() == SEPTEMBER
