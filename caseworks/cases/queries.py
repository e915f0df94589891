"""Reusable selects of the case register, each starting from the user's scope."""

import re
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import aliased, joinedload, selectinload

from caseworks.accounts.models import User
from caseworks.cases.models import Case, Child, ChildGroup
from caseworks.core import clock, scope
from caseworks.core.choices import (
    VISITED_STAGES,
    AreaLevel,
    CaseFlag,
    CaseKind,
    ClosedOutcome,
    Role,
    SpecialGroup,
    Stage,
)
from caseworks.core.numbers import positive_int
from caseworks.extensions import db
from caseworks.places.models import Area, School

#: a whole ID number: searching by parts of one would let a user find the masked digits out
_ID_NUMBER = re.compile(r"^[0-9]{17}[0-9Xx]$")


def _as_date(text):
    """An ISO date (2026-09-01) typed into a query string, or None: nothing odd gets through."""
    text = (text or "").strip()
    if len(text) != 10:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    return day if 1900 <= day.year <= 2999 else None


def _choice(args, name, choices):
    value = args.get(name, "")
    return value if value in set(choices) else ""


#: the list's date filters: query parameter -> the condition it sets (``fn(day) -> clause``)
DATE_FILTERS = ("opened_since", "returned_since", "relapsed_since", "closed_since")


@dataclass
class CaseFilters:
    """The list's query parameters, parsed; unknown or malformed values are dropped.

    Every figure of the dashboard is one of these filters (or a combination), so that the
    number and the list behind it come from the same definition."""

    stage: str = ""
    kind: str = ""
    county: int | None = None
    township: int | None = None
    village: int | None = None
    school: int | None = None
    #: ``school=none``: children at no school
    no_school: bool = False
    group: str = ""
    q: str = ""
    mine: bool = False
    unassigned: bool = False
    #: ``open=1``: every stage but closed
    open: bool = False
    #: one of :class:`CaseFlag`: late or waiting work
    flag: str = ""
    #: a closure outcome (with ``closed_since``)
    outcome: str = ""
    opened_since: date | None = None
    returned_since: date | None = None
    relapsed_since: date | None = None
    closed_since: date | None = None
    page: int = 1
    errors: list = field(default_factory=list)

    @classmethod
    def from_args(cls, args):
        def as_int(name):
            return positive_int(args.get(name))

        return cls(
            stage=_choice(args, "stage", Stage),
            kind=_choice(args, "kind", CaseKind),
            county=as_int("county"),
            township=as_int("township"),
            village=as_int("village"),
            school=as_int("school"),
            no_school=args.get("school") == "none",
            group=_choice(args, "group", SpecialGroup),
            q=args.get("q", "").strip()[:50],
            mine=args.get("mine") == "1",
            unassigned=args.get("unassigned") == "1",
            open=args.get("open") == "1",
            flag=_choice(args, "flag", CaseFlag),
            outcome=_choice(args, "outcome", ClosedOutcome),
            page=as_int("page") or 1,
            **{name: _as_date(args.get(name)) for name in DATE_FILTERS},
        )

    def as_args(self):
        """The active filters as query parameters (for pager links)."""
        args = {
            "stage": self.stage,
            "kind": self.kind,
            "county": self.county,
            "township": self.township,
            "village": self.village,
            "school": "none" if self.no_school else self.school,
            "group": self.group,
            "q": self.q,
            "mine": "1" if self.mine else None,
            "unassigned": "1" if self.unassigned else None,
            "open": "1" if self.open else None,
            "flag": self.flag,
            "outcome": self.outcome,
            **{name: getattr(self, name).isoformat() for name in DATE_FILTERS if getattr(self, name)},
        }
        return {k: v for k, v in args.items() if v}

    @property
    def hidden_args(self):
        """The filters the list's form has no field for (set by a dashboard link), to keep
        when the form is sent again."""
        shown = {
            "stage",
            "kind",
            "county",
            "township",
            "village",
            "school",
            "group",
            "q",
            "mine",
            "unassigned",
            "open",
            "flag",
        }
        return {k: v for k, v in self.as_args().items() if k not in shown}


def flag_condition(flag, user, today, profiles=None, *, set_based=False):
    """The SQL condition on :class:`Case` of one :class:`CaseFlag` for ``user`` on ``today``:
    the one definition behind the list's ``flag`` filter and the dashboard's late work
    (``set_based``: see :func:`caseworks.core.scope.case_has`)."""
    from caseworks.ladder import queries as ladder
    from caseworks.visits.queries import case_with_overdue_visit

    conditions = {
        CaseFlag.OVERDUE_VISIT: lambda: case_with_overdue_visit(today, set_based=set_based),
        CaseFlag.NO_TEACHER: missing_teacher,
        CaseFlag.NO_CADRE: missing_cadre,
        CaseFlag.LAPSED_NOTICE: lambda: ladder.case_with_lapsed_notice(today, set_based=set_based),
        CaseFlag.PAST_LIMIT: lambda: ladder.past_stage_limit(today, profiles),
        CaseFlag.STALE: stale_case,
        CaseFlag.INCOMING_TRANSFER: lambda: ladder.incoming_transfer(user, set_based=set_based),
        CaseFlag.OUTGOING_TRANSFER: lambda: ladder.outgoing_transfer(user, set_based=set_based),
    }
    return conditions[CaseFlag(flag)]()


def date_condition(name, day, outcome="", *, set_based=False):
    """The SQL condition on :class:`Case` of one of :data:`DATE_FILTERS`."""
    from caseworks.ladder import queries as ladder

    if name == "opened_since":
        return Case.opened_date >= day
    if name == "returned_since":
        return ladder.returned_since(day, set_based=set_based)
    if name == "relapsed_since":
        return ladder.relapsed_since(day, set_based=set_based)
    return ladder.closed_since(day, outcome or None)


def filter_conditions(user, filters, today=None):
    """The WHERE conditions of ``filters`` (the scope not included)."""
    today = today or clock.today()
    where = []
    if filters.stage:
        where.append(Case.stage == filters.stage)
    if filters.open:
        where.append(open_case())
    if filters.kind:
        where.append(Case.kind == filters.kind)
    if filters.county:
        where.append(Case.county_id == filters.county)
    if filters.township:
        where.append(in_township(filters.township))
    if filters.village:
        where.append(Case.village_id == filters.village)
    if filters.no_school:
        where.append(Case.school_id.is_(None))
    elif filters.school:
        where.append(Case.school_id == filters.school)
    if filters.group:
        where.append(exists().where(ChildGroup.child_id == Case.child_id, ChildGroup.group == filters.group))
    if filters.mine:
        where.append(or_(Case.teacher_id == user.id, Case.cadre_id == user.id))
    if filters.unassigned:
        where.append(or_(Case.teacher_id.is_(None), Case.cadre_id.is_(None)))
    if filters.flag:
        where.append(flag_condition(filters.flag, user, today))
    for name in DATE_FILTERS:
        day = getattr(filters, name)
        if day is not None:
            where.append(date_condition(name, day, filters.outcome))
    if filters.outcome and filters.closed_since is None:
        where.append(and_(Case.stage == Stage.CLOSED, Case.closed_outcome == filters.outcome))
    return where


#: the list's order, newest first; :func:`case_page` reads deep pages from the other end
LIST_ORDER = (Case.opened_date.desc(), Case.id.desc())
REVERSE_ORDER = (Case.opened_date.asc(), Case.id.asc())


def filtered_cases(user, filters, today=None):
    """The scoped select of cases matching ``filters``, newest first."""
    stmt = scope.scoped_cases(user).where(*filter_conditions(user, filters, today))
    if filters.q:
        stmt = stmt.join(Case.child)
        if _ID_NUMBER.match(filters.q):
            stmt = stmt.where(Child.id_number == filters.q.upper())
        else:
            stmt = stmt.where(Child.name.contains(filters.q, autoescape=True))
    return stmt.order_by(*LIST_ORDER)


@dataclass
class Page:
    """One page of a list, with what the pager needs (the shape of Flask-SQLAlchemy's)."""

    items: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self):
        return max(1, -(-self.total // self.per_page)) if self.total else 0

    @property
    def has_prev(self):
        return self.page > 1

    @property
    def prev_num(self):
        return self.page - 1 if self.has_prev else None

    @property
    def has_next(self):
        return self.page < self.pages

    @property
    def next_num(self):
        return self.page + 1 if self.has_next else None


def case_page(user, filters, per_page):
    """One page of the list, with what each row shows loaded in a fixed number of queries.

    Ids first: the count, then the page's ids (from the newer end, or for a page in the older
    half from the older end, so that the last page costs what the first does), then the rows.
    """
    stmt = filtered_cases(user, filters)
    total = db.session.scalar(stmt.with_only_columns(func.count(Case.id)).order_by(None))
    pages = max(1, -(-total // per_page))
    page = min(filters.page, pages)
    offset = (page - 1) * per_page
    ids_stmt = stmt.with_only_columns(Case.id)
    if offset > total // 2:
        # the same rows counted from the other end of the order: the last page starts at 0
        size = min(per_page, total - offset)
        reverse_offset = total - offset - size
        ids = list(
            db.session.scalars(ids_stmt.order_by(None).order_by(*REVERSE_ORDER).offset(reverse_offset).limit(size))
        )[::-1]
    else:
        ids = list(db.session.scalars(ids_stmt.offset(offset).limit(per_page)))
    items = []
    if ids:
        rows = db.session.scalars(
            select(Case)
            .where(Case.id.in_(ids))
            .options(
                selectinload(Case.child).selectinload(Child.group_rows),
                joinedload(Case.school),
                joinedload(Case.village),
                joinedload(Case.teacher),
                joinedload(Case.cadre),
            )
        ).unique()
        by_id = {case.id: case for case in rows}
        items = [by_id[i] for i in ids]
    return Page(items=items, page=page if total else filters.page, per_page=per_page, total=total)


def load_case_details(case):
    """Everything the detail page shows of the case itself, in a fixed number of queries."""
    db.session.scalars(
        select(Case)
        .where(Case.id == case.id)
        .options(
            selectinload(Case.child).selectinload(Child.guardians),
            selectinload(Case.child).selectinload(Child.group_rows),
            selectinload(Case.reason_rows),
            selectinload(Case.plan_items),
            joinedload(Case.school),
            joinedload(Case.village),
            joinedload(Case.township),
            joinedload(Case.teacher),
            joinedload(Case.cadre),
            joinedload(Case.opened_by),
        )
        .execution_options(populate_existing=True)
    ).one()
    return case


def villages_for(user):
    """Villages a user may put a child's household in, as ``{township name: [(id, name)]}``."""
    stmt = select(Area).where(Area.level == AreaLevel.VILLAGE, Area.is_active.is_(True))
    if user.role == Role.VILLAGE_CADRE:
        stmt = stmt.where(Area.id == user.area_id)
    elif user.role == Role.TOWNSHIP_OFFICIAL:
        stmt = stmt.where(Area.township_id == user.township_id)
    else:
        stmt = stmt.where(Area.county_id == user.county_id)
    township = aliased(Area)
    rows = db.session.execute(
        stmt.join(township, township.id == Area.township_id)
        .with_only_columns(Area.id, Area.name, township.name)
        .order_by(township.code, Area.code)
    ).all()
    grouped = {}
    for village_id, name, township_name in rows:
        grouped.setdefault(township_name, []).append((village_id, name))
    return grouped


def schools_for(user):
    """Schools a user may register a child at: their own school, or those of their county."""
    stmt = select(School).where(School.is_active.is_(True))
    if user.role in (Role.TEACHER, Role.SCHOOL_ADMIN):
        stmt = stmt.where(School.id == user.school_id)
    else:
        stmt = stmt.where(School.county_id == user.county_id)
    return db.session.scalars(stmt.order_by(School.code)).all()


def teachers_for(case):
    """Active teachers of the case's school: who a school admin may assign."""
    if case.school_id is None:
        return []
    return db.session.scalars(
        select(User)
        .where(User.role == Role.TEACHER, User.school_id == case.school_id, User.is_active.is_(True))
        .order_by(User.full_name)
    ).all()


def cadres_for(case):
    """Active village cadres of the case's township, those of the case's village first."""
    return cadres_of(case.township_id, case.village_id)


def cadres_of(township_id, village_id=None):
    """Active village cadres of a township, those of ``village_id`` first."""
    village_ids = select(Area.id).where(Area.township_id == township_id, Area.level == AreaLevel.VILLAGE)
    cadres = db.session.scalars(
        select(User)
        .where(User.role == Role.VILLAGE_CADRE, User.area_id.in_(village_ids), User.is_active.is_(True))
        .order_by(User.full_name)
    ).all()
    return sorted(cadres, key=lambda u: u.area_id != village_id)


def filter_options(user):
    """Counties, townships, villages and schools to offer in the list's filters, within the
    user's reach: a reviewer placed at a city or the province chooses a county."""
    none = {"counties": [], "townships": [], "villages": [], "schools": []}
    counties = scope.county_ids(user)
    if counties is not None and user.county_id is None:  # placed at a city or the province
        rows = db.session.scalars(select(Area).where(Area.id.in_(counties)).order_by(Area.code)).all()
        return {**none, "counties": rows}
    areas = select(Area).where(Area.is_active.is_(True))
    if user.role == Role.COUNTY_REVIEWER:
        areas = areas.where(Area.county_id == user.county_id)
    elif user.township_id is not None:
        areas = areas.where(Area.township_id == user.township_id)
    else:
        return none
    found = db.session.scalars(
        areas.where(Area.level.in_((AreaLevel.TOWNSHIP, AreaLevel.VILLAGE))).order_by(Area.code)
    ).all()
    schools = db.session.scalars(
        select(School)
        .where(
            School.is_active.is_(True),
            School.county_id == user.county_id
            if user.role == Role.COUNTY_REVIEWER
            else School.township_id == user.township_id,
        )
        .order_by(School.code)
    ).all()
    return {
        "counties": [],
        "townships": [a for a in found if a.level == AreaLevel.TOWNSHIP],
        "villages": [a for a in found if a.level == AreaLevel.VILLAGE],
        "schools": schools,
    }


def open_case():
    """SQL filter on :class:`Case`: not closed."""
    return Case.stage != Stage.CLOSED


def in_township(township_id):
    """SQL filter on :class:`Case`: the case lies in a township by the child's household or by
    the school (both lines see it); what the township's officials see, less incoming transfers."""
    return or_(Case.township_id == township_id, Case.school_township_id == township_id)


def missing_teacher():
    """SQL filter on :class:`Case`: a case still worked (visited) with no assigned teacher —
    the education line is missing (双线控辍)."""
    return and_(Case.stage.in_(VISITED_STAGES), Case.teacher_id.is_(None))


def missing_cadre():
    """SQL filter on :class:`Case`: a case still worked (visited) with no village cadre — the
    government line is missing (双线控辍)."""
    return and_(Case.stage.in_(VISITED_STAGES), Case.cadre_id.is_(None))


def stale_case():
    """SQL filter on :class:`Case`: a stale case — still visited, and flagged by the nightly
    ``flag_stale_cases`` job as out of contact for longer than its county's ``stale_after_days``.
    The one definition for reminders, statistics and dashboards."""
    return and_(Case.is_stale.is_(True), Case.stage.in_(VISITED_STAGES))
