"""The monthly report (月报): every case open during a month in the user's area, and the month's
totals by school, township and county.

Each case is reported under one school: its own, or, for a child with no school, the township's
"not enrolled" line. So a township's totals are the sum of its schools' and the county's the sum
of its townships' (表表相通，册册相符), by construction; tests/ledgers/test_monthly.py proves it.
"""

import calendar
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from caseworks.cases.models import Case, Child
from caseworks.core import clock, scope
from caseworks.core.choices import LADDER_STAGES, Stage
from caseworks.extensions import db
from caseworks.ladder.models import StageChange
from caseworks.places.models import Area
from caseworks.visits.models import Visit

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
#: the month's figures, in the order the report shows them
FIGURES = ("new", "returned", "relapsed", "closed", "still_out")


def parse_month(text):
    """``date`` of the first day of a month written 2026-09, or None."""
    match = _MONTH.match(text or "")
    if not match:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    if not (2000 <= year <= 2100 and 1 <= month <= 12):
        return None
    return date(year, month, 1)


def last_month():
    first_of_this = clock.today().replace(day=1)
    return (first_of_this - timedelta(days=1)).replace(day=1)


@dataclass
class Unit:
    """A school (or a township's "not enrolled" line), a township or the county in the totals."""

    key: tuple
    name: str
    figures: Counter = field(default_factory=Counter)
    #: closures of the month by outcome
    closed: Counter = field(default_factory=Counter)
    children: list = field(default_factory=list)

    def add(self, other):
        self.figures.update(other.figures)
        self.closed.update(other.closed)


@dataclass
class MonthlyRow:
    case: Case
    stage_at_end: str
    attempts: int
    last_outcome: str | None


@dataclass
class MonthlyReport:
    month: date
    rows: list
    #: the whole area, its townships (each with its schools), as :class:`Unit`
    total: Unit
    townships: list


def _local_day_bounds(first, last):
    return clock.local_date_start(first), clock.local_date_start(last + timedelta(days=1))


def monthly_report(user, month):
    """The report of ``month`` (its first day) for the cases in ``user``'s own scope."""
    first = month
    last = month.replace(day=calendar.monthrange(month.year, month.month)[1])
    start_dt, end_dt = _local_day_bounds(first, last)
    own = scope.own_cases_clause(user)
    open_during = and_(
        own,
        Case.opened_date <= last,
        or_(Case.closed_date.is_(None), Case.closed_date >= first),
    )
    cases = db.session.scalars(
        select(Case)
        .where(open_during)
        .options(
            joinedload(Case.child).selectinload(Child.guardians),
            joinedload(Case.school),
            joinedload(Case.teacher),
            selectinload(Case.reason_rows),
        )
        .order_by(Case.school_township_id, Case.school_id, Case.grade, Case.class_name, Case.id)
    ).all()
    ids = [c.id for c in cases]
    stage_at_end = _stages_at(ids, end_dt)
    attempts = _attempts_until(ids, end_dt)
    moves = _transitions_during(ids, start_dt, end_dt)

    units, townships = {}, defaultdict(list)
    for case in cases:
        township_id = case.school_township_id if case.school_id else case.township_id
        key = ("school", case.school_id) if case.school_id else ("unenrolled", township_id)
        if key not in units:
            units[key] = Unit(key, case.school.name if case.school else "")
            townships[township_id].append(units[key])
        unit = units[key]
        end_stage = stage_at_end.get(case.id) or Stage.first_for(case.kind)
        if first <= case.opened_date <= last:
            unit.figures["new"] += 1
        unit.figures["returned"] += moves[case.id]["record_return"]
        unit.figures["relapsed"] += moves[case.id]["relapse"]
        if case.closed_date is not None and first <= case.closed_date <= last:
            unit.figures["closed"] += 1
            unit.closed[case.closed_outcome] += 1
        if end_stage in LADDER_STAGES and (case.closed_date is None or case.closed_date > last):
            unit.figures["still_out"] += 1
        count, outcome = attempts.get(case.id, (0, None))
        unit.children.append(MonthlyRow(case, end_stage, count, outcome))

    names = dict(db.session.execute(select(Area.id, Area.name).where(Area.id.in_(list(townships)))).all())
    total = Unit(("area", None), user.place_name)
    township_units = []
    for township_id, schools in sorted(townships.items(), key=lambda t: names.get(t[0], "")):
        township = Unit(("township", township_id), names.get(township_id, ""))
        schools.sort(key=lambda unit: (unit.key[0] == "unenrolled", unit.key[1]))  # "not enrolled" last
        for school in schools:
            township.add(school)
        township.children = schools
        total.add(township)
        township_units.append(township)
    rows = [row for township in township_units for school in township.children for row in school.children]
    return MonthlyReport(month, rows, total, township_units)


def _stages_at(ids, end_dt):
    """The stage each case stood at when ``end_dt`` came (its last transition before then)."""
    if not ids:
        return {}
    last_change = (
        select(StageChange.case_id, func.max(StageChange.id).label("id"))
        .where(StageChange.case_id.in_(ids), StageChange.changed_dt < end_dt)
        .group_by(StageChange.case_id)
        .subquery()
    )
    return dict(
        db.session.execute(
            select(StageChange.case_id, StageChange.to_stage).join(last_change, last_change.c.id == StageChange.id)
        ).all()
    )


def _attempts_until(ids, end_dt):
    """(persuasion attempts done before ``end_dt``, the last one's outcome) by case."""
    if not ids:
        return {}
    counts = dict(
        db.session.execute(
            select(Visit.case_id, func.count())
            .where(Visit.case_id.in_(ids), Visit.done_dt.is_not(None), Visit.done_dt < end_dt)
            .group_by(Visit.case_id)
        ).all()
    )
    latest = (
        select(Visit.case_id, func.max(Visit.id).label("id"))
        .where(Visit.case_id.in_(ids), Visit.done_dt.is_not(None), Visit.done_dt < end_dt)
        .group_by(Visit.case_id)
        .subquery()
    )
    outcomes = dict(
        db.session.execute(select(Visit.case_id, Visit.outcome).join(latest, latest.c.id == Visit.id)).all()
    )
    return {case_id: (n, outcomes.get(case_id)) for case_id, n in counts.items()}


def _transitions_during(ids, start_dt, end_dt):
    moves = defaultdict(Counter)
    if ids:
        for case_id, name, n in db.session.execute(
            select(StageChange.case_id, StageChange.transition, func.count())
            .where(
                StageChange.case_id.in_(ids),
                StageChange.changed_dt >= start_dt,
                StageChange.changed_dt < end_dt,
                StageChange.transition.in_(("record_return", "relapse")),
            )
            .group_by(StageChange.case_id, StageChange.transition)
        ):
            moves[case_id][name] = n
    return moves


def schools_of(report):
    """Every school line of the report (for tests and the workbook)."""
    return [school for township in report.townships for school in township.children]
