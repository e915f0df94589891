"""build_statistics_snapshot: one row per area and school per day, replaced on a re-run."""

from datetime import date, timedelta

from sqlalchemy import select

from caseworks.core import clock
from caseworks.core.choices import CaseKind, Stage
from caseworks.extensions import db
from caseworks.ladder.models import StageChange
from caseworks.reports.jobs import term_start
from caseworks.reports.models import StatsSnapshot
from tests.fixtures.jobs import run


def snapshots(day):
    rows = db.session.scalars(select(StatsSnapshot).where(StatsSnapshot.snapshot_date == day)).all()
    return {row.area_id: row for row in rows if row.area_id is not None}


def school_snapshots(day):
    rows = db.session.scalars(select(StatsSnapshot).where(StatsSnapshot.snapshot_date == day)).all()
    return {row.school_id: row for row in rows if row.school_id is not None}


def change(case, from_stage, to_stage, when):
    db.session.add(
        StageChange(case_id=case.id, transition="test", from_stage=from_stage, to_stage=to_stage, changed_dt=when)
    )


def test_snapshot_counts_per_county_and_township(day0, make_case, users, places):
    a = make_case(
        teacher=users.teacher,
        cadre=users.village_cadre,
        opened_date=day0 - timedelta(days=60),
        stage_entered_date=day0 - timedelta(days=60),
    )  # stale, visit overdue
    make_case(kind=CaseKind.AT_RISK, teacher=users.teacher)  # no cadre
    make_case(kind=CaseKind.SUSPECTED, village=places.vil_a2a, school=places.school_a2)  # nobody assigned
    returned = make_case(stage=Stage.RETURNED, teacher=users.teacher, cadre=users.village_cadre)
    make_case(stage=Stage.CLOSED, teacher=users.teacher, cadre=users.village_cadre)  # not counted
    make_case(
        village=places.vil_b1a, school=places.school_b1, teacher=users.other_teacher, cadre=users.other_village_cadre
    )
    change(returned, Stage.SCHOOL_PERSUASION, Stage.RETURNED, clock.now() - timedelta(days=3))
    change(a, Stage.RETURNED, Stage.SCHOOL_PERSUASION, clock.now() - timedelta(days=2))  # a relapse
    change(a, Stage.SCHOOL_PERSUASION, Stage.RETURNED, clock.now() - timedelta(days=200))  # last term
    db.session.flush()
    summary = run()["build_statistics_snapshot"]
    # province, city, two counties, three townships; five schools
    assert summary == {"areas": 7, "schools": 5, "replaced": 0, "open_cases": 5}
    rows = snapshots(day0)
    assert {rows[p.id].level for p in (places.county_a, places.county_b)} == {"county"}
    county_a = rows[places.county_a.id].data
    assert county_a["open_cases"] == 4
    assert county_a["open_by_stage"]["school_persuasion"] == 1 and county_a["open_by_stage"]["verification"] == 1
    assert "closed" not in county_a["open_by_stage"]
    assert county_a["open_by_kind"] == {"suspected": 1, "at_risk": 1, "dropped_out": 2, "never_enrolled": 0}
    # case a's teacher and village cadre each have an overdue visit of their own
    assert (county_a["overdue_visits"], county_a["stale_cases"]) == (2, 1)
    assert (county_a["missing_teacher"], county_a["missing_cadre"], county_a["unassigned"]) == (1, 2, 2)
    assert (county_a["returns_this_term"], county_a["relapses_this_term"]) == (1, 1)
    assert county_a["term_start"] == "2026-02-01"
    town_a1, town_a2 = rows[places.town_a1.id].data, rows[places.town_a2.id].data
    assert rows[places.town_a1.id].level == "township"
    assert (town_a1["open_cases"], town_a2["open_cases"]) == (3, 1)
    assert (town_a2["missing_teacher"], town_a2["unassigned"]) == (1, 1)
    assert rows[places.county_b.id].data["open_cases"] == rows[places.town_b1.id].data["open_cases"] == 1
    # the city and the province add up their counties
    assert rows[places.city.id].level == "city" and rows[places.province.id].level == "province"
    assert rows[places.city.id].data["open_cases"] == rows[places.province.id].data["open_cases"] == 5
    assert rows[places.province.id].data["missing_cadre"] == 2
    schools = school_snapshots(day0)
    assert schools[places.school_a1.id].level == "school"
    assert schools[places.school_a1.id].data["open_cases"] == 3
    assert schools[places.school_a2.id].data["open_cases"] == 1
    assert schools[places.school_a1.id].data["returns_this_term"] == 1
    assert schools[places.school_a1.id].data["returns_in_month"] == 0  # 27 February: last month


def test_a_township_counts_the_cases_of_its_schools_too(day0, make_case, places):
    # a child of township 2 at a school of township 1: both townships count the case
    make_case(village=places.vil_a2a, school=places.school_a1)
    run("build_statistics_snapshot")
    rows = snapshots(day0)
    assert rows[places.town_a1.id].data["open_cases"] == rows[places.town_a2.id].data["open_cases"] == 1
    assert rows[places.county_a.id].data["open_cases"] == 1


def test_a_rerun_the_same_day_replaces_the_rows(day0, make_case, users, places):
    make_case(teacher=users.teacher)
    run("build_statistics_snapshot")
    before = snapshots(day0)[places.county_a.id].data["open_cases"]
    make_case(teacher=users.teacher)
    assert run("build_statistics_snapshot")["build_statistics_snapshot"]["replaced"] == 12
    rows = snapshots(day0)
    assert len(rows) == 7
    assert (before, rows[places.county_a.id].data["open_cases"]) == (1, 2)
    clock.advance(days=1)
    run("build_statistics_snapshot")
    assert len(snapshots(clock.today())) == 7 and len(snapshots(day0)) == 7


def test_term_start():
    assert term_start(date(2026, 3, 2)) == date(2026, 2, 1)
    assert term_start(date(2026, 8, 31)) == date(2026, 2, 1)
    assert term_start(date(2026, 9, 1)) == date(2026, 9, 1)
    assert term_start(date(2027, 1, 15)) == date(2026, 9, 1)
