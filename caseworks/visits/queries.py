"""Selects of visits, always through the case scope."""

from datetime import timedelta

from sqlalchemy import and_, func, select
from sqlalchemy.orm import aliased, contains_eager, joinedload

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


def overdue_counts(user):
    """Overdue visits counted by school, by village and by person, within the user's scope."""
    base = _overdue_base(user).subquery()
    case = aliased(Case)

    def counted(label_col, key_col, join):
        stmt = select(key_col, label_col, func.count()).select_from(base).join(case, case.id == base.c.case_id)
        stmt = join(stmt)
        return db.session.execute(stmt.group_by(key_col, label_col).order_by(func.count().desc()).limit(50)).all()

    return {
        "school": counted(School.name, School.id, lambda s: s.join(School, School.id == case.school_id)),
        "village": counted(Area.name, Area.id, lambda s: s.join(Area, Area.id == case.village_id)),
        "person": counted(User.full_name, User.id, lambda s: s.join(User, User.id == base.c.assignee_id)),
        "unassigned": db.session.scalar(select(func.count()).select_from(base).where(base.c.assignee_id.is_(None))),
    }


def overdue_page(user, page, per_page, school=None, village=None, person=None):
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
    return db.paginate(stmt.order_by(Visit.due_date, Visit.id), page=page, per_page=per_page, error_out=False)


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
