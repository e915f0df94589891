"""The dashboard on a small hand-built example whose every figure is written here: two townships
of county A and one of county B, cases in known stages, a lapsed notice, a stale case, a
relapse, closures and a transfer waiting for township 1."""

from datetime import date, timedelta

import pytest

from caseworks.core import clock
from caseworks.core.choices import CaseKind, Role, Stage
from caseworks.extensions import db
from caseworks.ladder.models import Notice, StageChange, Transfer
from caseworks.reports import charts, queries
from caseworks.reports.jobs import build_statistics_snapshot
from caseworks.visits.models import Visit
from tests.reports.recount import list_total, numbers_on, recount

TODAY = date(2026, 10, 15)
TERM = "2026-09-01"


@pytest.fixture(autouse=True)
def frozen_clock():
    clock.set_now(clock.local_date_start(TODAY) + timedelta(hours=10))


def _ago(days):
    return TODAY - timedelta(days=days)


def _changed(case, from_stage, to_stage, days_ago):
    db.session.add(
        StageChange(
            case_id=case.id,
            transition="test",
            from_stage=from_stage,
            to_stage=to_stage,
            changed_dt=clock.local_date_start(_ago(days_ago)) + timedelta(hours=9),
        )
    )


@pytest.fixture
def example(make_case, users, places):
    u, p = users, places
    both = {"teacher": u.teacher, "cadre": u.village_cadre}
    cases = {}
    # c1: school persuasion for 41 days (limit 30) after a relapse this term, a visit overdue
    cases["c1"] = make_case(
        stage=Stage.SCHOOL_PERSUASION, opened_date=date(2026, 8, 1), stage_entered_date=_ago(41), **both
    )
    _changed(cases["c1"], Stage.RETURNED, Stage.SCHOOL_PERSUASION, 41)
    db.session.add(Visit(case_id=cases["c1"].id, due_date=_ago(1), assignee_id=u.teacher.id, purpose="ladder"))
    # c2: township persuasion, no cadre, its notice lapsed five days ago; opened this term
    cases["c2"] = make_case(
        stage=Stage.TOWNSHIP_PERSUASION, opened_date=date(2026, 9, 10), stage_entered_date=_ago(10), teacher=u.teacher
    )
    db.session.add(
        Notice(
            case_id=cases["c2"].id,
            kind="urge",
            county_id=p.county_a.id,
            year=2026,
            number=1,
            document_no="义劝通字〔2026〕第1号",
            title="督促复学通知书",
            body="…",
            recipient="王大山",
            deadline_days=15,
            issued_by_id=u.township_official.id,
            served_date=_ago(20),
            deadline_date=_ago(5),
        )
    )
    # c3: a suspected case at the junior school, nobody assigned, stale; opened this term
    cases["c3"] = make_case(kind=CaseKind.SUSPECTED, school=p.school_a1j, opened_date=date(2026, 9, 20), is_stale=True)
    # c4: returned this term, in the other village of township 1
    cases["c4"] = make_case(stage=Stage.RETURNED, village=p.vil_a1b, opened_date=date(2026, 6, 1), **both)
    _changed(cases["c4"], Stage.SCHOOL_PERSUASION, Stage.RETURNED, 10)
    # c5: returned before the term, closed this term
    cases["c5"] = make_case(
        stage=Stage.CLOSED,
        opened_date=date(2026, 5, 1),
        closed_outcome="returned_to_school",
        closed_date=date(2026, 9, 20),
        **both,
    )
    _changed(cases["c5"], Stage.SCHOOL_PERSUASION, Stage.RETURNED, 60)
    # c6: pending review
    cases["c6"] = make_case(stage=Stage.PENDING_REVIEW, opened_date=date(2026, 7, 1), **both)
    # c7: a case of township 2, handed to township 1 and waiting for its decision
    cases["c7"] = make_case(
        village=p.vil_a2a, school=p.school_a2, opened_date=date(2026, 7, 1), teacher=u.other_teacher
    )
    db.session.add(
        Transfer(
            case_id=cases["c7"].id,
            from_village_id=p.vil_a2a.id,
            to_village_id=p.vil_a1b.id,
            to_township_id=p.town_a1.id,
            reason="搬家",
            requested_by_id=u.other_township_official.id,
        )
    )
    # c8: closed before the term: in no figure
    cases["c8"] = make_case(
        kind=CaseKind.SUSPECTED,
        stage=Stage.CLOSED,
        opened_date=date(2026, 3, 1),
        closed_outcome="dismissed",
        closed_date=date(2026, 6, 30),
    )
    # c9: township 2, administrative, relapsed this term
    cases["c9"] = make_case(
        stage=Stage.ADMINISTRATIVE,
        village=p.vil_a2b,
        school=p.school_a2j,
        opened_date=date(2026, 4, 1),
        teacher=u.other_teacher,
        cadre=u.other_village_cadre,
    )
    _changed(cases["c9"], Stage.RETURNED, Stage.ADMINISTRATIVE, 5)
    # c10: county B
    cases["c10"] = make_case(village=p.vil_b1a, school=p.school_b1, opened_date=date(2026, 9, 2))
    db.session.flush()
    return cases


def _by_label(figures):
    return {str(f.label): f.count for f in figures}


def _stages(board):
    return {f.args["stage"]: f.count for f in board.by_stage if f.count}


def _kinds(board):
    return {f.args["kind"]: f.count for f in board.by_kind if f.count}


def _late(board):
    return {f.args["flag"]: f.count for f in board.late}


def _term(board):
    return {next(iter(f.args)): f.count for f in board.term}


def _places(board, dimension):
    breakdown = next(b for b in board.breakdowns if b.dimension == dimension)
    return {r.name: (r.open.count, *(f.count for f in r.columns)) for r in breakdown.rows}


def test_township_1(example, users, places):
    board = queries.count_figures(users.township_official)
    assert board.level == "township" and board.place_name == "通州镇"
    assert board.open.count == 6  # c1 c2 c3 c4 c6, and c7 waiting to come in
    assert _stages(board) == {
        "verification": 1,
        "school_persuasion": 2,
        "township_persuasion": 1,
        "returned": 1,
        "pending_review": 1,
    }
    assert _kinds(board) == {"suspected": 1, "dropped_out": 5}
    assert _late(board) == {
        "overdue_visit": 1,
        "no_teacher": 1,  # c3
        "no_cadre": 3,  # c2 c3 c7
        "lapsed_notice": 1,
        "past_limit": 1,
        "stale": 1,
    }
    assert board.pending_review.count == 1
    assert [(f.args["flag"], f.count) for f in board.transfers] == [("incoming_transfer", 1), ("outgoing_transfer", 0)]
    assert _term(board) == {"opened_since": 2, "returned_since": 1, "relapsed_since": 1}
    assert {f.args["outcome"]: f.count for f in board.closures} == {"returned_to_school": 1}
    assert board.term_start == date(2026, 9, 1)
    # (open, visit overdue, stale, past the limit) by school and by village
    assert _places(board, "school") == {
        "通州镇中心小学": (4, 1, 0, 1),
        "通州镇中学": (1, 0, 1, 0),
        "克度镇中心小学": (1, 0, 0, 0),
    }
    assert _places(board, "village") == {"新场村": (4, 1, 1, 1), "平里村": (1, 0, 0, 0), "金河村": (1, 0, 0, 0)}


def test_county_a_and_the_city(example, users, places, make_user):
    board = queries.count_figures(users.county_reviewer)
    assert board.level == "county" and board.open.count == 7  # c1 c2 c3 c4 c6 c7 c9
    assert _term(board) == {"opened_since": 2, "returned_since": 1, "relapsed_since": 2}
    assert _late(board)["past_limit"] == 1 and _late(board)["no_cadre"] == 3
    assert [f.count for f in board.transfers] == [1, 0]  # township 1 lies in the county
    assert _places(board, "township") == {"通州镇": (5, 1, 1, 1), "克度镇": (2, 0, 0, 0)}
    city = make_user(Role.COUNTY_REVIEWER, places.city, "reviewer_city")
    board = queries.count_figures(city)
    assert board.level == "city" and board.open.count == 8
    assert _places(board, "county") == {"平塘县": (7, 1, 1, 1), "罗甸县": (1, 0, 0, 0)}
    assert _term(board)["opened_since"] == 3


def test_the_page_its_links_and_the_recount(example, client, login, users, make_user, places):
    city = make_user(Role.COUNTY_REVIEWER, places.city, "reviewer_city")
    for user in (users.township_official, users.county_reviewer, users.school_admin, city):
        login(user)
        html = client.get("/dashboard").get_data(as_text=True)
        numbers = numbers_on(html)
        assert numbers
        for href, shown in numbers:
            assert shown == recount(user, href, TODAY) == list_total(client, href), (user.username, href)
    login(users.township_official)
    html = client.get("/dashboard").get_data(as_text=True)
    assert "Counted from the live records at" in html and "/dashboard/definitions" in html
    assert 'href="/cases?open=1&amp;flag=incoming_transfer">1</a>' in html
    assert "<svg" in html and "No nightly statistics yet" in html


def test_the_trend_comes_from_the_snapshots(example, client, login, users):
    build_statistics_snapshot(TODAY - timedelta(days=20))  # September
    build_statistics_snapshot(TODAY)
    trend = queries.trend("township", users.township_official.area)
    months = {m.month: m for m in trend.months}
    assert len(trend.months) == 12 and trend.months[-1].month == date(2026, 10, 1)
    assert months[date(2026, 10, 1)].open_cases == 5  # the snapshot counts the township's own cases
    assert months[date(2026, 10, 1)].returns == 1  # c4, ten days ago
    assert months[date(2026, 9, 1)].snapshot_date == date(2026, 9, 25)
    assert months[date(2026, 8, 1)].open_cases is None
    login(users.township_official)
    html = client.get("/dashboard").get_data(as_text=True)
    assert "From the nightly statistics" in html and "2026-09" in html


def test_a_chart_is_plain_svg_with_links():
    svg = charts.bar_chart([charts.Bar("<b>", 3, "/cases?open=1"), charts.Bar("乙", 0)], title="t")
    assert svg.startswith("<svg") and "&lt;b&gt;" in svg and 'href="/cases?open=1"' in svg
    assert charts.bar_chart([], title="t") == ""


@pytest.mark.parametrize("start", ["2026-09-01T00:00", "2026/09/01", "1-9-2026"])
def test_a_date_filter_that_is_not_a_date_is_ignored(client, login, users, example, start):
    login(users.township_official)
    assert list_total(client, f"/cases?returned_since={start}") == 6 + 1 + 1  # the whole scope: c5 c8 too
