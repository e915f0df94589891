"""Selects of visits, always through the case scope."""

from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import and_, func, select
from sqlalchemy.orm import contains_eager, joinedload

from caseworks.accounts.models import User
from caseworks.cases.models import Case, Child
from caseworks.core import clock, scope
from caseworks.core.choices import VisitPurpose
from caseworks.extensions import db
from caseworks.places.models import Area, School
from caseworks.visits.models import SupportMeasure, Visit, VisitPhoto


def open_planned_visit():
    """SQL filter on :class:`Visit`: an open planned visit — planned (it has a due date), neither
    done nor cancelled. The one definition used by pages, jobs, dashboards and exports; it covers
    the partial index ``ix_visit_open_due``. Needs no join; callers add the case conditions they
    want (scope, stage)."""
    return and_(Visit.done_dt.is_(None), Visit.cancelled_dt.is_(None), Visit.due_date.is_not(None))


def overdue_visit(today):
    """SQL filter on :class:`Visit`: an open planned visit due before ``today`` (a visit due today
    is not overdue yet). The one definition of an overdue visit, for the overview, "my visits",
    the reminders, the overdue flag and the statistics alike; :meth:`Visit.is_overdue_on` says the
    same for one loaded visit."""
    return and_(open_planned_visit(), Visit.due_date < today)


def case_with_overdue_visit(today, *, set_based=False):
    """SQL filter on :class:`Case`: the case has an :func:`overdue_visit` (no join needed; see
    :func:`caseworks.core.scope.case_has` for ``set_based``)."""
    return scope.case_has(Visit.case_id, overdue_visit(today), set_based=set_based)


def line_contact_dates(case_ids):
    """``{(case_id, line): date}``: the latest done visit that counts for each line of the cases
    (a joint visit counts for both lines)."""
    from caseworks.core.choices import Line

    found = {}
    for line, flag in ((Line.TEACHER, Visit.is_teacher_line), (Line.CADRE, Visit.is_cadre_line)):
        stmt = select(Visit.case_id, func.max(Visit.visit_date)).where(Visit.done_dt.is_not(None), flag.is_(True))
        if case_ids is not None:
            stmt = stmt.where(Visit.case_id.in_(case_ids))
        for case_id, day in db.session.execute(stmt.group_by(Visit.case_id)):
            found[(case_id, line)] = day
    return found


def last_county_looks(case_ids):
    """``{case_id: (date, logged_by_id)}``: the latest county look logged on each case."""
    stmt = (
        select(Visit.case_id, Visit.visit_date, Visit.logged_by_id)
        .where(Visit.purpose == VisitPurpose.COUNTY_LOOK, Visit.done_dt.is_not(None))
        .order_by(Visit.case_id, Visit.visit_date, Visit.id)
    )
    if case_ids is not None:
        stmt = stmt.where(Visit.case_id.in_(case_ids))
    return {case_id: (day, by) for case_id, day, by in db.session.execute(stmt)}


def visit_by_client_uuid(client_uuid):
    """The visit recorded under ``client_uuid`` (an offline submission sent again), or None."""
    if not client_uuid:
        return None
    return db.session.scalar(select(Visit).where(Visit.client_uuid == client_uuid))


def my_visits(user, horizon_days=30):
    """The user's planned visits on cases they can see, grouped for the "my visits" page:
    overdue, due today, due this week (7 days), later (up to ``horizon_days``)."""
    today = clock.today()
    rows = db.session.scalars(
        select(Visit)
        .join(Visit.case)
        .where(
            open_planned_visit(),
            Visit.assignee_id == user.id,
            scope.case_filter(user),
            Visit.due_date <= today + timedelta(days=horizon_days),
        )
        .options(
            contains_eager(Visit.case).joinedload(Case.child).selectinload(Child.guardians),
            contains_eager(Visit.case).joinedload(Case.village),
        )
        .order_by(Visit.due_date, Visit.id)
        .limit(500)
    ).all()
    groups = {"overdue": [], "today": [], "week": [], "later": []}
    for visit in rows:
        if visit.is_overdue_on(today):
            groups["overdue"].append(visit)
        elif visit.due_date == today:
            groups["today"].append(visit)
        elif visit.due_date <= today + timedelta(days=7):
            groups["week"].append(visit)
        else:
            groups["later"].append(visit)
    return groups


def _overdue_base(user):
    return select(Visit).join(Visit.case).where(overdue_visit(clock.today()), scope.case_filter(user))


@dataclass
class OverdueCounts:
    """Overdue visits in the user's scope, counted by school, by village and by person (the 50
    largest of each, with their names), those with nobody assigned, and the total."""

    school: list
    village: list
    person: list
    unassigned: int
    total: int
    #: ``{(school_id, village_id, assignee_id): count}``: what the filtered pages count
    groups: dict = field(repr=False, default_factory=dict)

    def __getitem__(self, key):
        return getattr(self, key)

    def matching(self, school=None, village=None, person=None):
        """How many overdue visits a page filtered this way lists."""
        return sum(
            n
            for (s, v, p), n in self.groups.items()
            if (school is None or s == school) and (village is None or v == village) and (person is None or p == person)
        )


def overdue_counts(user, top=50):
    """Every count of the overdue page in one grouped pass over the overdue visits (and one
    query per kind of name for the largest groups)."""
    groups = {
        (school_id, village_id, assignee_id): n
        for school_id, village_id, assignee_id, n in db.session.execute(
            select(Case.school_id, Case.village_id, Visit.assignee_id, func.count())
            .select_from(Visit)
            .join(Case, Case.id == Visit.case_id)
            .where(overdue_visit(clock.today()), scope.case_filter(user))
            .group_by(Case.school_id, Case.village_id, Visit.assignee_id)
        )
    }
    by = [Counter(), Counter(), Counter()]
    for key, n in groups.items():
        for counter, value in zip(by, key, strict=True):
            if value is not None:
                counter[value] += n
    schools, villages, people = (c.most_common(top) for c in by)
    return OverdueCounts(
        school=_named(School, School.name, schools),
        village=_named(Area, Area.name, villages),
        person=_named(User, User.full_name, people),
        unassigned=sum(n for (_s, _v, person), n in groups.items() if person is None),
        total=sum(groups.values()),
        groups=groups,
    )


def _named(model, name, counted):
    """``[(id, name, count)]`` for ``counted`` (``[(id, count)]``), in its order."""
    if not counted:
        return []
    names = dict(db.session.execute(select(model.id, name).where(model.id.in_([i for i, _n in counted]))).all())
    return [(i, names.get(i, "—"), n) for i, n in counted]


def overdue_page(user, page, per_page, school=None, village=None, person=None, counts=None):
    """One page of the overdue visits (filtered by school, village or person); the total comes
    from ``counts`` (:func:`overdue_counts`) when given, so the page costs no count query."""
    stmt = _overdue_base(user)
    if school:
        stmt = stmt.where(Case.school_id == school)
    if village:
        stmt = stmt.where(Case.village_id == village)
    if person:
        stmt = stmt.where(Visit.assignee_id == person)
    stmt = stmt.options(
        contains_eager(Visit.case).joinedload(Case.child),
        contains_eager(Visit.case).joinedload(Case.school),
        contains_eager(Visit.case).joinedload(Case.village),
        joinedload(Visit.assignee),
    )
    stmt = stmt.order_by(Visit.due_date, Visit.id)
    if counts is None:
        return db.paginate(stmt, page=page, per_page=per_page, error_out=False)
    from caseworks.cases.queries import Page

    total = counts.matching(school, village, person)
    page = min(page, max(1, -(-total // per_page)))
    items = db.session.scalars(stmt.offset((page - 1) * per_page).limit(per_page)).unique().all()
    return Page(items=list(items), page=page, per_page=per_page, total=total)


def visits_of(case):
    """Planned (open) and done visits of one case, with who went and who logged them."""
    rows = db.session.scalars(
        select(Visit)
        .where(Visit.case_id == case.id, Visit.cancelled_dt.is_(None))
        .options(joinedload(Visit.assignee), joinedload(Visit.logged_by))
        .order_by(Visit.due_date.desc().nulls_last(), Visit.id.desc())
    ).all()
    done = sorted((v for v in rows if v.is_done), key=lambda v: (v.visit_date, v.done_dt, v.id), reverse=True)
    return [v for v in rows if not v.is_done], done


def photos_of(visit_ids):
    if not visit_ids:
        return {}
    rows = db.session.execute(
        select(VisitPhoto.id, VisitPhoto.visit_id, VisitPhoto.filename)
        .where(VisitPhoto.visit_id.in_(visit_ids))
        .order_by(VisitPhoto.id)
    ).all()
    found = {}
    for photo_id, visit_id, filename in rows:
        found.setdefault(visit_id, []).append((photo_id, filename))
    return found


def support_of(case):
    return db.session.scalars(
        select(SupportMeasure)
        .where(SupportMeasure.case_id == case.id)
        .order_by(SupportMeasure.start_date.desc(), SupportMeasure.id.desc())
    ).all()


def scoped_visit_or_none(visit_id, user):
    return db.session.scalar(select(Visit).join(Visit.case).where(Visit.id == visit_id, scope.case_filter(user)))


def county_people_for(case):
    """The county staff a county look of ``case`` can be given to: active county reviewers placed
    at the case's county, or at the city or province above it."""
    from caseworks.core.choices import Role

    places = [int(part) for part in case.county.path.split(".") if part]
    return db.session.scalars(
        select(User)
        .where(User.role == Role.COUNTY_REVIEWER, User.is_active.is_(True), User.area_id.in_(places))
        .order_by(User.full_name, User.id)
    ).all()


def untaken_county_looks(user, limit=50):
    """County looks in the user's scope that nobody has been given yet, earliest first."""
    return db.session.scalars(
        select(Visit)
        .join(Visit.case)
        .where(
            open_planned_visit(),
            Visit.purpose == VisitPurpose.COUNTY_LOOK,
            Visit.assignee_id.is_(None),
            scope.case_filter(user),
        )
        .options(contains_eager(Visit.case).joinedload(Case.child), contains_eager(Visit.case).joinedload(Case.village))
        .order_by(Visit.due_date, Visit.id)
        .limit(limit)
    ).all()
