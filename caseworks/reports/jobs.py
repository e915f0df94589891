"""The nightly statistics snapshot: the caseload figures of every county and township, counted
with a few grouped queries over the whole database and kept one row per area per day."""

from datetime import date

from sqlalchemy import and_, delete, func, insert, select
from sqlalchemy import case as when

from caseworks.cases.models import Case
from caseworks.cases.queries import stale_case
from caseworks.core import clock
from caseworks.core.choices import LADDER_STAGES, OPEN_STAGES, AreaLevel, CaseKind, Stage
from caseworks.extensions import db
from caseworks.ladder.models import StageChange
from caseworks.places.models import Area
from caseworks.reports.models import StatsSnapshot
from caseworks.scheduler.registry import scheduled_job
from caseworks.visits.models import Visit
from caseworks.visits.queries import overdue_visit

LEVELS = (AreaLevel.COUNTY, AreaLevel.TOWNSHIP)


def term_start(day: date) -> date:
    """The first day of the school term ``day`` falls in: the autumn term from 1 September
    (through the winter holiday), the spring term from 1 February (through the summer)."""
    if day.month >= 9:
        return date(day.year, 9, 1)
    if day.month >= 2:
        return date(day.year, 2, 1)
    return date(day.year - 1, 9, 1)


def _blank(term):
    return {
        "open_cases": 0,
        "open_by_stage": {stage.value: 0 for stage in OPEN_STAGES},
        "open_by_kind": {kind.value: 0 for kind in CaseKind},
        "overdue_visits": 0,
        "stale_cases": 0,
        "missing_teacher": 0,
        "missing_cadre": 0,
        "unassigned": 0,
        "returns_this_term": 0,
        "relapses_this_term": 0,
        "term_start": term.isoformat(),
    }


def _count_if(condition):
    return func.sum(when((condition, 1), else_=0))


def compute_figures(today):
    """``{area_id: (level, data)}`` for every county and township."""
    term = term_start(today)
    figures = {
        area_id: (level, _blank(term))
        for area_id, level in db.session.execute(select(Area.id, Area.level).where(Area.level.in_(LEVELS)))
    }

    def targets(county_id, township_id):
        return [figures[a][1] for a in (county_id, township_id) if a in figures]

    is_open = Case.stage != Stage.CLOSED
    for row in db.session.execute(
        select(
            Case.county_id,
            Case.township_id,
            Case.stage,
            Case.kind,
            func.count().label("n"),
            _count_if(stale_case()).label("stale"),
            _count_if(Case.teacher_id.is_(None)).label("no_teacher"),
            _count_if(Case.cadre_id.is_(None)).label("no_cadre"),
            _count_if((Case.teacher_id.is_(None)) | (Case.cadre_id.is_(None))).label("unassigned"),
        )
        .where(is_open)
        .group_by(Case.county_id, Case.township_id, Case.stage, Case.kind)
    ):
        for data in targets(row.county_id, row.township_id):
            data["open_cases"] += row.n
            data["open_by_stage"][row.stage] = data["open_by_stage"].get(row.stage, 0) + row.n
            data["open_by_kind"][row.kind] = data["open_by_kind"].get(row.kind, 0) + row.n
            data["stale_cases"] += row.stale or 0
            data["missing_teacher"] += row.no_teacher or 0
            data["missing_cadre"] += row.no_cadre or 0
            data["unassigned"] += row.unassigned or 0

    for county_id, township_id, n in db.session.execute(
        select(Case.county_id, Case.township_id, func.count())
        .select_from(Visit)
        .join(Case, Case.id == Visit.case_id)
        .where(is_open, overdue_visit(today))
        .group_by(Case.county_id, Case.township_id)
    ):
        for data in targets(county_id, township_id):
            data["overdue_visits"] += n

    returned = StageChange.to_stage == Stage.RETURNED
    relapsed = and_(StageChange.from_stage == Stage.RETURNED, StageChange.to_stage.in_(LADDER_STAGES))
    for row in db.session.execute(
        select(
            Case.county_id,
            Case.township_id,
            _count_if(returned).label("returns"),
            _count_if(relapsed).label("relapses"),
        )
        .select_from(StageChange)
        .join(Case, Case.id == StageChange.case_id)
        .where(StageChange.changed_dt >= clock.local_date_start(term), returned | relapsed)
        .group_by(Case.county_id, Case.township_id)
    ):
        for data in targets(row.county_id, row.township_id):
            data["returns_this_term"] += row.returns or 0
            data["relapses_this_term"] += row.relapses or 0
    return figures


@scheduled_job(
    "build_statistics_snapshot",
    description="Count the caseload of every county and township",
    order=70,
    hour=2,
    minute=0,
)
def build_statistics_snapshot(today):
    """One snapshot row per county and per township for ``today``; a second run the same day
    replaces that day's rows."""
    figures = compute_figures(today)
    replaced = db.session.execute(
        delete(StatsSnapshot).where(StatsSnapshot.snapshot_date == today),
        execution_options={"synchronize_session": False},
    ).rowcount
    now = clock.now()
    rows = [
        {"snapshot_date": today, "area_id": area_id, "level": level, "data": data, "created_dt": now}
        for area_id, (level, data) in figures.items()
    ]
    for start in range(0, len(rows), 2000):
        db.session.execute(insert(StatsSnapshot), rows[start : start + 2000])
    return {
        "areas": len(rows),
        "replaced": replaced,
        "open_cases": sum(data["open_cases"] for level, data in figures.values() if level == AreaLevel.COUNTY),
    }
