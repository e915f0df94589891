"""The nightly statistics snapshot: the caseload figures of every area (province, city, county,
township) and every school, counted with a few grouped queries over the whole database and kept
one row per area or school per day. The dashboards draw their 12-month trend from these rows.

Each figure uses the same named condition as the dashboard and the case list (open case, missing
teacher or cadre, stale, past the stage's limit, lapsed notice, return, relapse). A township
counts the cases of its households and of its schools, as its officials see them; a city and the
province add up their counties.
"""

from datetime import date, timedelta

from sqlalchemy import and_, delete, func, insert, select
from sqlalchemy import case as when

from caseworks.cases.models import Case
from caseworks.cases.queries import missing_cadre, missing_teacher, open_case, stale_case
from caseworks.core import clock
from caseworks.core.choices import OPEN_STAGES, AreaLevel, CaseKind
from caseworks.extensions import db
from caseworks.ladder.models import StageChange
from caseworks.ladder.queries import case_with_lapsed_notice, past_stage_limit, relapse_change, returned_change
from caseworks.places.models import Area, School
from caseworks.reports.models import StatsSnapshot
from caseworks.scheduler.registry import scheduled_job
from caseworks.visits.models import Visit
from caseworks.visits.queries import case_with_overdue_visit, overdue_visit

LEVELS = (AreaLevel.PROVINCE, AreaLevel.CITY, AreaLevel.COUNTY, AreaLevel.TOWNSHIP)
SCHOOL_LEVEL = "school"


def term_start(day: date) -> date:
    """The first day of the school term ``day`` falls in: the autumn term from 1 September
    (through the winter holiday), the spring term from 1 February (through the summer)."""
    if day.month >= 9:
        return date(day.year, 9, 1)
    if day.month >= 2:
        return date(day.year, 2, 1)
    return date(day.year - 1, 9, 1)


def _blank(term, month):
    return {
        "open_cases": 0,
        "open_by_stage": {stage.value: 0 for stage in OPEN_STAGES},
        "open_by_kind": {kind.value: 0 for kind in CaseKind},
        "overdue_visits": 0,
        "overdue_cases": 0,
        "stale_cases": 0,
        "missing_teacher": 0,
        "missing_cadre": 0,
        "unassigned": 0,
        "past_limit": 0,
        "lapsed_notices": 0,
        "returns_this_term": 0,
        "relapses_this_term": 0,
        "returns_in_month": 0,
        "term_start": term.isoformat(),
        "month_start": month.isoformat(),
    }


def _count_if(condition):
    return func.sum(when((condition, 1), else_=0))


class _Targets:
    """Which rows a case's figures add to: its county and the city and province above it, its
    household's township and its school's township, and its school."""

    def __init__(self, blank):
        self.areas, self.schools, self.levels, self.above = {}, {}, {}, {}
        for area_id, level, path in db.session.execute(
            select(Area.id, Area.level, Area.path).where(Area.level.in_(LEVELS))
        ):
            self.areas[area_id] = blank()
            self.levels[area_id] = level
            if level == AreaLevel.COUNTY:
                self.above[area_id] = [int(a) for a in path.strip(".").split(".")[:-1]]
        for (school_id,) in db.session.execute(select(School.id)):
            self.schools[school_id] = blank()

    def __call__(self, county_id, township_id, school_township_id, school_id):
        keys = [county_id, *self.above.get(county_id, ()), township_id]
        if school_township_id is not None and school_township_id != township_id:
            keys.append(school_township_id)
        found = [self.areas[k] for k in keys if k in self.areas]
        if school_id in self.schools:
            found.append(self.schools[school_id])
        return found


PLACES = (Case.county_id, Case.township_id, Case.school_township_id, Case.school_id)


def compute_figures(today):
    """``({area_id: (level, data)}, {school_id: data})`` for every area and school."""
    term, month = term_start(today), today.replace(day=1)
    targets = _Targets(lambda: _blank(term, month))
    for row in db.session.execute(
        select(
            *PLACES,
            Case.stage,
            Case.kind,
            func.count().label("n"),
            _count_if(stale_case()).label("stale"),
            _count_if(missing_teacher()).label("no_teacher"),
            _count_if(missing_cadre()).label("no_cadre"),
            _count_if(missing_teacher() | missing_cadre()).label("unassigned"),
            _count_if(case_with_overdue_visit(today, set_based=True)).label("overdue_cases"),
            _count_if(past_stage_limit(today)).label("past_limit"),
            _count_if(case_with_lapsed_notice(today, set_based=True)).label("lapsed"),
        )
        .where(open_case())
        .group_by(*PLACES, Case.stage, Case.kind)
    ):
        for data in targets(row.county_id, row.township_id, row.school_township_id, row.school_id):
            data["open_cases"] += row.n
            data["open_by_stage"][row.stage] = data["open_by_stage"].get(row.stage, 0) + row.n
            data["open_by_kind"][row.kind] = data["open_by_kind"].get(row.kind, 0) + row.n
            for key, value in (
                ("stale_cases", row.stale),
                ("missing_teacher", row.no_teacher),
                ("missing_cadre", row.no_cadre),
                ("unassigned", row.unassigned),
                ("overdue_cases", row.overdue_cases),
                ("past_limit", row.past_limit),
                ("lapsed_notices", row.lapsed),
            ):
                data[key] += value or 0

    for *places, n in db.session.execute(
        select(*PLACES, func.count())
        .select_from(Visit)
        .join(Case, Case.id == Visit.case_id)
        .where(open_case(), overdue_visit(today))
        .group_by(*PLACES)
    ):
        for data in targets(*places):
            data["overdue_visits"] += n

    # returns and relapses: cases, each counted once however often it changed (a term starts
    # on the first of a month, so this month lies inside the term)
    term_dt, month_dt = clock.local_date_start(term), clock.local_date_start(month)
    returned, relapsed = returned_change(), relapse_change()
    for row in db.session.execute(
        select(
            *PLACES,
            func.count(func.distinct(when((returned, Case.id)))).label("returns"),
            func.count(func.distinct(when((and_(returned, StageChange.changed_dt >= month_dt), Case.id)))).label(
                "month_returns"
            ),
            func.count(func.distinct(when((relapsed, Case.id)))).label("relapses"),
        )
        .select_from(StageChange)
        .join(Case, Case.id == StageChange.case_id)
        .where(StageChange.changed_dt >= term_dt, returned | relapsed)
        .group_by(*PLACES)
    ):
        for data in targets(row.county_id, row.township_id, row.school_township_id, row.school_id):
            data["returns_this_term"] += row.returns or 0
            data["relapses_this_term"] += row.relapses or 0
            data["returns_in_month"] += row.month_returns or 0
    return {a: (targets.levels[a], d) for a, d in targets.areas.items()}, targets.schools


@scheduled_job(
    "build_statistics_snapshot",
    description="Count the caseload of every area and school",
    order=70,
    hour=2,
    minute=0,
)
def build_statistics_snapshot(today):
    """One snapshot row per area (province, city, county, township) and per school for
    ``today``; a second run the same day replaces that day's rows."""
    areas, schools = compute_figures(today)
    replaced = db.session.execute(
        delete(StatsSnapshot).where(StatsSnapshot.snapshot_date == today),
        execution_options={"synchronize_session": False},
    ).rowcount
    now = clock.now()
    rows = [
        {"snapshot_date": today, "area_id": area_id, "school_id": None, "level": level, "data": data, "created_dt": now}
        for area_id, (level, data) in areas.items()
    ] + [
        {"snapshot_date": today, "area_id": None, "school_id": school_id, "level": SCHOOL_LEVEL, "data": data}
        | {"created_dt": now}
        for school_id, data in schools.items()
    ]
    for start in range(0, len(rows), 2000):
        db.session.execute(insert(StatsSnapshot), rows[start : start + 2000])
    return {
        "areas": len(areas),
        "schools": len(schools),
        "replaced": replaced,
        "open_cases": sum(data["open_cases"] for level, data in areas.values() if level == AreaLevel.COUNTY),
    }


def month_ends_before(today, months):
    """The last day of each of the ``months`` months before ``today``'s, oldest first."""
    ends, first = [], today.replace(day=1)
    for _ in range(months):
        end = first - timedelta(days=1)
        ends.append(end)
        first = end.replace(day=1)
    return ends[::-1]


def backfill_month_ends(today, months=11):
    """Snapshot rows for the last day of each of the ``months`` months before this one, holding
    the two figures the dashboard's trend draws, rebuilt from the cases' own dates and stage
    history: the open cases that night (opened by then, not closed by then) and the cases
    returned to school in that month. For demo data, which arrives with a history but without
    the nights that would have counted it; each row says ``"backfilled": true``. Days that
    already have a snapshot are left alone. Returns the number of rows written."""
    now = clock.now()
    rows = []
    for end in month_ends_before(today, months):
        if db.session.scalar(select(func.count()).where(StatsSnapshot.snapshot_date == end)):
            continue
        month = end.replace(day=1)
        targets = _Targets(lambda: {"open_cases": 0, "returns_in_month": 0})
        open_then = and_(Case.opened_date <= end, (Case.closed_date.is_(None)) | (Case.closed_date > end))
        for *places, n in db.session.execute(select(*PLACES, func.count()).where(open_then).group_by(*PLACES)):
            for data in targets(*places):
                data["open_cases"] += n
        in_month = and_(
            returned_change(),
            StageChange.changed_dt >= clock.local_date_start(month),
            StageChange.changed_dt < clock.local_date_start(end + timedelta(days=1)),
        )
        for *places, n in db.session.execute(
            select(*PLACES, func.count(func.distinct(Case.id)))
            .select_from(StageChange)
            .join(Case, Case.id == StageChange.case_id)
            .where(in_month)
            .group_by(*PLACES)
        ):
            for data in targets(*places):
                data["returns_in_month"] += n
        extra = {"backfilled": True, "month_start": month.isoformat()}
        rows += [
            {"snapshot_date": end, "area_id": a, "school_id": None, "level": targets.levels[a]}
            | {"data": {**data, **extra}, "created_dt": now}
            for a, data in targets.areas.items()
        ]
        rows += [
            {"snapshot_date": end, "area_id": None, "school_id": s, "level": SCHOOL_LEVEL}
            | {"data": {**data, **extra}, "created_dt": now}
            for s, data in targets.schools.items()
        ]
    for start in range(0, len(rows), 2000):
        db.session.execute(insert(StatsSnapshot), rows[start : start + 2000])
    return len(rows)
