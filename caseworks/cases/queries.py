"""Reusable selects of the case register, each starting from the user's scope."""

import re
from dataclasses import dataclass, field

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import aliased, joinedload, selectinload

from caseworks.accounts.models import User
from caseworks.cases.models import Case, Child, ChildGroup
from caseworks.core import clock, scope
from caseworks.core.choices import VISITED_STAGES, AreaLevel, CaseKind, Role, SpecialGroup, Stage
from caseworks.core.numbers import positive_int
from caseworks.extensions import db
from caseworks.places.models import Area, School

#: the late-work filters of the list (``late=...``)
LATE_FILTERS = ("stage_time",)
#: a whole ID number: searching by parts of one would let a user find the masked digits out
_ID_NUMBER = re.compile(r"^[0-9]{17}[0-9Xx]$")


@dataclass
class CaseFilters:
    """The list's query parameters, parsed; unknown or malformed values are dropped."""

    stage: str = ""
    kind: str = ""
    township: int | None = None
    village: int | None = None
    school: int | None = None
    group: str = ""
    q: str = ""
    mine: bool = False
    unassigned: bool = False
    #: late work: ``stage_time`` (on a ladder stage longer than the county allows)
    late: str = ""
    page: int = 1
    errors: list = field(default_factory=list)

    @classmethod
    def from_args(cls, args):
        def as_int(name):
            return positive_int(args.get(name))

        return cls(
            stage=args.get("stage", "") if args.get("stage") in set(Stage) else "",
            kind=args.get("kind", "") if args.get("kind") in set(CaseKind) else "",
            township=as_int("township"),
            village=as_int("village"),
            school=as_int("school"),
            group=args.get("group", "") if args.get("group") in set(SpecialGroup) else "",
            q=args.get("q", "").strip()[:50],
            mine=args.get("mine") == "1",
            unassigned=args.get("unassigned") == "1",
            late=args.get("late", "") if args.get("late") in LATE_FILTERS else "",
            page=as_int("page") or 1,
        )

    def as_args(self):
        """The active filters as query parameters (for pager links)."""
        args = {
            "stage": self.stage,
            "kind": self.kind,
            "township": self.township,
            "village": self.village,
            "school": self.school,
            "group": self.group,
            "q": self.q,
            "mine": "1" if self.mine else None,
            "unassigned": "1" if self.unassigned else None,
            "late": self.late,
        }
        return {k: v for k, v in args.items() if v}


def filtered_cases(user, filters):
    """The scoped select of cases matching ``filters``, newest first."""
    stmt = scope.scoped_cases(user)
    if filters.stage:
        stmt = stmt.where(Case.stage == filters.stage)
    if filters.kind:
        stmt = stmt.where(Case.kind == filters.kind)
    if filters.township:
        stmt = stmt.where(or_(Case.township_id == filters.township, Case.school_township_id == filters.township))
    if filters.village:
        stmt = stmt.where(Case.village_id == filters.village)
    if filters.school:
        stmt = stmt.where(Case.school_id == filters.school)
    if filters.group:
        stmt = stmt.where(exists().where(ChildGroup.child_id == Case.child_id, ChildGroup.group == filters.group))
    if filters.mine:
        stmt = stmt.where(or_(Case.teacher_id == user.id, Case.cadre_id == user.id))
    if filters.unassigned:
        stmt = stmt.where(or_(Case.teacher_id.is_(None), Case.cadre_id.is_(None)))
    if filters.late == "stage_time":
        from caseworks.ladder.queries import past_stage_limit

        stmt = stmt.where(past_stage_limit(clock.today()))
    if filters.q:
        stmt = stmt.join(Case.child)
        if _ID_NUMBER.match(filters.q):
            stmt = stmt.where(Child.id_number == filters.q.upper())
        else:
            stmt = stmt.where(Child.name.contains(filters.q, autoescape=True))
    return stmt.order_by(Case.opened_date.desc(), Case.id.desc())


def case_page(user, filters, per_page):
    """One page of the list, with what each row shows loaded in a fixed number of queries."""
    stmt = filtered_cases(user, filters).options(
        selectinload(Case.child).selectinload(Child.group_rows),
        joinedload(Case.school),
        joinedload(Case.village),
        joinedload(Case.teacher),
        joinedload(Case.cadre),
    )
    return db.paginate(stmt, page=filters.page, per_page=per_page, error_out=False, max_per_page=100)


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
    """Townships, villages and schools to offer in the list's filters, within the user's reach."""
    areas = select(Area).where(Area.is_active.is_(True))
    if user.role == Role.COUNTY_REVIEWER:
        areas = areas.where(Area.county_id == user.county_id)
    elif user.township_id is not None:
        areas = areas.where(Area.township_id == user.township_id)
    else:
        return {"townships": [], "villages": [], "schools": []}
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
        "townships": [a for a in found if a.level == AreaLevel.TOWNSHIP],
        "villages": [a for a in found if a.level == AreaLevel.VILLAGE],
        "schools": schools,
    }


def stale_case():
    """SQL filter on :class:`Case`: a stale case — still visited, and flagged by the nightly
    ``flag_stale_cases`` job as out of contact for longer than its county's ``stale_after_days``.
    The one definition for reminders, statistics and dashboards."""
    return and_(Case.is_stale.is_(True), Case.stage.in_(VISITED_STAGES))
