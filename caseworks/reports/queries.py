"""The dashboard's figures, counted live from the database in one grouped pass over the user's
scope, and its 12-month trend, read from the nightly snapshots.

Every figure is a condition the case list understands (:class:`caseworks.cases.queries.CaseFilters`)
and comes with the list's query parameters: the number and the list behind it share one
definition (:func:`caseworks.cases.queries.flag_condition` and the date filters), so that they
cannot disagree.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import case as when
from sqlalchemy import func, or_, select

from caseworks.cases.models import Case
from caseworks.cases.queries import date_condition, flag_condition
from caseworks.core import clock, scope
from caseworks.core.choices import OPEN_STAGES, AreaLevel, CaseFlag, CaseKind, ClosedOutcome, Role, Stage
from caseworks.core.policy import PolicyProfile
from caseworks.extensions import db
from caseworks.places.models import Area, School
from caseworks.reports.jobs import SCHOOL_LEVEL, term_start
from caseworks.reports.models import StatsSnapshot

#: the late work, in the order the dashboard shows it; each is ``/cases?flag=…&open=1``
LATE_WORK = (
    CaseFlag.OVERDUE_VISIT,
    CaseFlag.NO_TEACHER,
    CaseFlag.NO_CADRE,
    CaseFlag.LAPSED_NOTICE,
    CaseFlag.PAST_LIMIT,
    CaseFlag.STALE,
)
TRANSFERS = (CaseFlag.INCOMING_TRANSFER, CaseFlag.OUTGOING_TRANSFER)
#: what a row of a "by place" table shows besides its open cases
PLACE_COLUMNS = (CaseFlag.OVERDUE_VISIT, CaseFlag.STALE, CaseFlag.PAST_LIMIT)
#: this term's figures: date filter of the case list -> the name of the figure
TERM_FIGURES = ("opened_since", "returned_since", "relapsed_since")
TREND_MONTHS = 12


@dataclass(frozen=True)
class Dimension:
    """A way to split the open cases one level down: by county, township, school or village."""

    name: str
    #: the case columns grouped on
    columns: tuple
    #: the case list's query parameter
    param: str

    def keys(self, row):
        values = {getattr(row, c.key) for c in self.columns}
        if self.name == "school":
            return [v if v is not None else "none" for v in values]
        return [v for v in values if v is not None]


DIMENSIONS = {
    "county": Dimension("county", (Case.county_id,), "county"),
    # a township's cases are those of its households and of its schools (what its officials see)
    "township": Dimension("township", (Case.township_id, Case.school_township_id), "township"),
    "school": Dimension("school", (Case.school_id,), "school"),
    "village": Dimension("village", (Case.village_id,), "village"),
}
#: how each level splits its cases, one level down
LEVEL_DIMENSIONS = {
    SCHOOL_LEVEL: ("village",),
    AreaLevel.TOWNSHIP: ("school", "village"),
    AreaLevel.COUNTY: ("township", "school"),
    AreaLevel.CITY: ("county",),
    AreaLevel.PROVINCE: ("county",),
}


@dataclass
class Figure:
    """A number and the case-list query parameters that list exactly those cases."""

    label: object
    count: int
    args: dict
    #: the definitions page's anchor
    anchor: str = ""


@dataclass
class PlaceRow:
    name: str
    open: Figure
    columns: list


@dataclass
class Breakdown:
    dimension: str
    rows: list


@dataclass
class Dashboard:
    level: str
    place_name: str
    counted_at: object
    term_start: date
    open: Figure
    by_stage: list
    by_kind: list
    late: list
    pending_review: Figure
    transfers: list
    term: list
    closures: list
    breakdowns: list
    trend: object = None
    profile: object = None
    extra: dict = field(default_factory=dict)


def level_of(user):
    """``(level, place)`` of a user's dashboard, or None if they have none."""
    if user.role == Role.SCHOOL_ADMIN and user.school is not None:
        return SCHOOL_LEVEL, user.school
    if user.role == Role.TOWNSHIP_OFFICIAL and user.area is not None and user.area.level == AreaLevel.TOWNSHIP:
        return AreaLevel.TOWNSHIP.value, user.area
    if user.role == Role.COUNTY_REVIEWER and user.area is not None:
        if user.area.level in (AreaLevel.COUNTY, AreaLevel.CITY, AreaLevel.PROVINCE):
            return user.area.level, user.area
    return None


def _count_if(condition):
    return func.sum(when((condition, 1), else_=0))


def _flag_column(flag):
    return f"f_{flag.value}"


def count_figures(user, today=None):
    """Every live figure of ``user``'s dashboard, counted in one grouped pass over their scope."""
    today = today or clock.today()
    level, place = level_of(user)
    term = term_start(today)
    profiles = db.session.scalars(select(PolicyProfile)).all()
    dimensions = [DIMENSIONS[name] for name in LEVEL_DIMENSIONS[level]]
    group = [c for d in dimensions for c in d.columns]
    group = list(dict.fromkeys(group)) + [Case.stage, Case.kind, Case.closed_outcome]
    flags = (*LATE_WORK, *TRANSFERS)
    # over a city or the province, the related rows are looked up once rather than per case
    wide = level in (AreaLevel.CITY, AreaLevel.PROVINCE)
    rows = db.session.execute(
        select(
            *group,
            func.count().label("n"),
            *(
                _count_if(flag_condition(f, user, today, profiles, set_based=wide)).label(_flag_column(f))
                for f in flags
            ),
            *(_count_if(date_condition(name, term, set_based=wide)).label(name) for name in TERM_FIGURES),
            _count_if(date_condition("closed_since", term)).label("closed_since"),
        )
        .where(
            scope.case_filter(user),
            or_(Case.stage != Stage.CLOSED, Case.closed_date >= term, Case.closed_date.is_(None)),
        )
        .group_by(*group)
    ).all()

    totals, by_stage, by_kind, outcomes = Counter(), Counter(), Counter(), Counter()
    places = {d.name: defaultdict(Counter) for d in dimensions}
    flag_keys = [(f.value, _flag_column(f)) for f in flags]
    place_keys = [(f.value, _flag_column(f)) for f in PLACE_COLUMNS]
    closed = Stage.CLOSED.value
    for row in rows:
        counts = row._mapping
        for name in TERM_FIGURES:
            totals[name] += counts[name] or 0
        if row.stage == closed:
            if row.closed_outcome:
                outcomes[row.closed_outcome] += counts["closed_since"] or 0
            continue
        totals["open"] += row.n
        by_stage[row.stage] += row.n
        by_kind[row.kind] += row.n
        flagged = {value: counts[column] or 0 for value, column in flag_keys}
        totals.update(flagged)
        for d in dimensions:
            for key in d.keys(row):
                tally = places[d.name][key]
                tally["open"] += row.n
                for value, _column in place_keys:
                    tally[value] += flagged[value]
    return _assemble(level, place, today, term, totals, by_stage, by_kind, outcomes, places, dimensions, profiles)


def _assemble(level, place, today, term, totals, by_stage, by_kind, outcomes, places, dimensions, profiles):
    from flask_babel import lazy_gettext as _l

    open_args = {"open": "1"}
    since = term.isoformat()
    term_labels = {
        "opened_since": _l("New cases"),
        "returned_since": _l("Returned to school"),
        "relapsed_since": _l("Dropped out again (relapses)"),
    }
    names = _place_names(places)
    breakdowns = []
    for d in dimensions:
        rows = []
        for key, tally in places[d.name].items():
            rows.append(
                PlaceRow(
                    name=names.get((d.name, key), "—"),
                    open=Figure(_l("Open cases"), tally["open"], {**open_args, d.param: key}),
                    columns=[
                        Figure(f.label, tally[f.value], {**open_args, d.param: key, "flag": f.value}, f.value)
                        for f in PLACE_COLUMNS
                    ],
                )
            )
        rows.sort(key=lambda r: (-r.open.count, r.name))
        breakdowns.append(Breakdown(d.name, rows))
    county_id = getattr(place, "county_id", None)
    profile = next((p for p in profiles if p.county_id == county_id), None) if county_id else None
    return Dashboard(
        level=str(level),
        place_name=place.name,
        counted_at=clock.now(),
        term_start=term,
        open=Figure(_l("Open cases"), totals["open"], open_args, "open"),
        by_stage=[Figure(s.label, by_stage[s], {"stage": s.value}) for s in OPEN_STAGES],
        by_kind=[Figure(k.label, by_kind[k], {**open_args, "kind": k.value}) for k in CaseKind],
        late=[Figure(f.label, totals[f.value], {**open_args, "flag": f.value}, f.value) for f in LATE_WORK],
        pending_review=Figure(
            Stage.PENDING_REVIEW.label, by_stage[Stage.PENDING_REVIEW], {"stage": Stage.PENDING_REVIEW.value}, "stage"
        ),
        transfers=[Figure(f.label, totals[f.value], {**open_args, "flag": f.value}, f.value) for f in TRANSFERS],
        term=[Figure(term_labels[n], totals[n], {n: since}, n) for n in TERM_FIGURES],
        closures=[
            Figure(o.label, outcomes[o], {"closed_since": since, "outcome": o.value})
            for o in ClosedOutcome
            if outcomes[o]
        ],
        breakdowns=breakdowns,
        profile=profile,
    )


def _place_names(places):
    """``{(dimension, id): name}`` for the places in the tables: two queries at most."""
    area_ids = {k for d in ("county", "township", "village") for k in places.get(d, {})}
    school_ids = {k for k in places.get("school", {}) if k != "none"}
    names = {}
    if area_ids:
        for area_id, name in db.session.execute(select(Area.id, Area.name).where(Area.id.in_(area_ids))):
            for d in ("county", "township", "village"):
                names[(d, area_id)] = name
    if school_ids:
        for school_id, name in db.session.execute(select(School.id, School.name).where(School.id.in_(school_ids))):
            names[("school", school_id)] = name
    from flask_babel import gettext as _

    names[("school", "none")] = _("At no school")
    return names


# -- the trend -----------------------------------------------------------------------------


@dataclass
class TrendMonth:
    month: date
    #: the snapshot the month's figures come from (its last), or None if there is none
    snapshot_date: date | None
    open_cases: int | None
    returns: int | None


@dataclass
class Trend:
    months: list
    latest: object = None

    @property
    def has_data(self):
        return any(m.snapshot_date for m in self.months)


def _months_back(today, count):
    first = today.replace(day=1)
    months = []
    for _ in range(count):
        months.append(first)
        first = (first - timedelta(days=1)).replace(day=1)
    return months[::-1]


def trend(level, place, today=None):
    """Open cases at the end of each of the last 12 months (the month's last snapshot) and the
    returns to school counted in that month, for the place of a dashboard. Two queries: the
    snapshot dates, then the rows of each month's last one."""
    today = today or clock.today()
    months = _months_back(today, TREND_MONTHS)
    own = StatsSnapshot.school_id == place.id if level == SCHOOL_LEVEL else StatsSnapshot.area_id == place.id
    dates = db.session.scalars(
        select(StatsSnapshot.snapshot_date)
        .where(own, StatsSnapshot.snapshot_date >= months[0])
        .order_by(StatsSnapshot.snapshot_date)
    ).all()
    last_of = {}
    for day in dates:
        last_of[day.replace(day=1)] = day
    rows = {}
    if last_of:
        rows = {
            row.snapshot_date: row
            for row in db.session.scalars(
                select(StatsSnapshot).where(own, StatsSnapshot.snapshot_date.in_(list(last_of.values())))
            )
        }
    result = []
    for month in months:
        row = rows.get(last_of.get(month))
        data = row.data if row is not None else {}
        result.append(
            TrendMonth(
                month,
                row.snapshot_date if row is not None else None,
                data.get("open_cases"),
                data.get("returns_in_month"),
            )
        )
    latest = rows.get(max(last_of.values())) if last_of else None
    return Trend(result, latest)
