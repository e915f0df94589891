"""Which cases a user may see: the one place that decides it.

Every query for cases starts from :func:`scoped_cases` (or adds :func:`case_filter`), and every
view loads a single case through :func:`get_case_or_404`. A case outside the user's scope is a
404, never a 403 that would confirm it exists.
"""

from flask import abort, g, has_app_context
from sqlalchemy import exists, false, or_, select

from caseworks.cases.models import Case
from caseworks.core.choices import AreaLevel, Role
from caseworks.extensions import db
from caseworks.places.models import Area, School

#: extra conditions that widen a user's scope, registered by features (e.g. a pending transfer
#: shows the case to the receiving township). Each is ``fn(user) -> clause or None``.
_scope_extensions = []


def extend_scope(fn):
    _scope_extensions.append(fn)
    return fn


def counties_under(area):
    """Ids of the counties inside an area at or above county level, as a list.

    Looked up once per request and handed to the database as a list of numbers: inside an
    ``IN (SELECT ... LIKE ...)`` the planner cannot tell how many cases match and, for a city
    or the province, expects a few hundred where there are a hundred thousand (then probes
    indexes once per case)."""
    if area.level == AreaLevel.COUNTY:
        return [area.id]
    cache = g.setdefault("_counties_under", {}) if has_app_context() else {}
    if area.id not in cache:
        cache[area.id] = list(
            db.session.scalars(
                select(Area.id)
                .where(Area.level == AreaLevel.COUNTY, Area.path.startswith(area.path, autoescape=True))
                .order_by(Area.id)
            )
        )
    return cache[area.id]


def county_ids(user):
    """The counties a county reviewer oversees (one, or every county below their city or
    province); None for every other role."""
    if user.role != Role.COUNTY_REVIEWER or user.area is None:
        return None
    if user.area.county_id is not None:
        return [user.area.county_id]
    return counties_under(user.area)


def _own_clause(user):
    role = user.role
    if role == Role.TEACHER:
        return Case.teacher_id == user.id
    if role == Role.VILLAGE_CADRE:
        return or_(Case.cadre_id == user.id, Case.village_id == user.area_id)
    if role == Role.SCHOOL_ADMIN:
        return Case.school_id == user.school_id
    if role == Role.TOWNSHIP_OFFICIAL:
        if user.area is None or user.area.township_id is None:
            return false()
        return or_(Case.township_id == user.area.township_id, Case.school_township_id == user.area.township_id)
    if role == Role.COUNTY_REVIEWER:
        counties = county_ids(user)
        if not counties:
            return false()
        if len(counties) == 1:
            return Case.county_id == counties[0]
        return Case.county_id.in_(counties)
    return false()  # admin: everything but case content


def own_cases_clause(user):
    """The cases in the user's own scope, without those it sees only through an extension (a
    transfer waiting for its township): the cases it works on."""
    if user is None or not user.is_authenticated or not user.is_active:
        return false()
    return _own_clause(user)


def case_filter(user):
    """The WHERE clause that limits cases to what ``user`` may see."""
    if user is None or not user.is_authenticated or not user.is_active:
        return false()
    clause = _own_clause(user)
    extra = [c for c in (fn(user) for fn in _scope_extensions) if c is not None]
    return or_(clause, *extra) if extra else clause


def scoped_cases(user):
    """``select(Case)`` limited to the user's scope."""
    return select(Case).where(case_filter(user))


def holds(user, case):
    """Whether the case is in the user's own scope: seeing it through an extension (a transfer
    waiting for the user's township) lets them read it, not work on it."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    # asked several times per page (each permission, each ladder step): once per request is enough
    cache = g.setdefault("_holds", {}) if has_app_context() else {}
    key = (user.id, case.id)
    if key not in cache:
        cache[key] = db.session.scalar(select(Case.id).where(Case.id == case.id, _own_clause(user))) is not None
    return cache[key]


def get_case_or_404(case_id, user, *, for_update=False):
    """Load one case through the scope; 404 if it does not exist or lies outside it."""
    stmt = scoped_cases(user).where(Case.id == case_id)
    if for_update:
        stmt = stmt.with_for_update(of=Case)
    case = db.session.scalar(stmt)
    if case is None:
        abort(404)
    return case


def case_has(case_id, *conditions, set_based=False):
    """SQL filter on :class:`Case`: a related row (``case_id`` is its column pointing to the case)
    meets ``conditions``. Two shapes of the same condition: per case (``EXISTS``: one index probe
    per case, for a school's, a township's or a county's count; in a WHERE clause the planner
    turns it into a semi-join at any size), or ``set_based`` (``IN (SELECT ...)``: the related
    rows looked up once, for counting over a city or the province)."""
    if set_based:
        return Case.id.in_(select(case_id).where(*conditions))
    return exists().where(case_id == Case.id, *conditions)


# -- schools and places: the enrolment register, imports and matching --------------------------


def school_filter(user):
    """The WHERE clause on :class:`School` for the schools whose register the user works with:
    a teacher's or school admin's own school, a township official's township, a county
    reviewer's county (or the counties under a city or province)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return false()
    if user.role in (Role.TEACHER, Role.SCHOOL_ADMIN):
        return School.id == user.school_id if user.school_id else false()
    if user.role == Role.TOWNSHIP_OFFICIAL:
        return School.township_id == user.township_id if user.township_id else false()
    if user.role == Role.COUNTY_REVIEWER and user.area is not None:
        if user.area.county_id is not None:
            return School.county_id == user.area.county_id
        return School.county_id.in_(counties_under(user.area))
    return false()


def area_filter(user):
    """The WHERE clause on :class:`Area` for the places (villages, townships) inside a township
    official's township or a county reviewer's county: the reach of the lists they import and
    match."""
    if user is None or not user.is_authenticated or not user.is_active:
        return false()
    if user.role in (Role.TOWNSHIP_OFFICIAL, Role.COUNTY_REVIEWER) and user.area is not None:
        return Area.path.startswith(user.area.path)
    return false()


def schools_of(user):
    """The schools of :func:`school_filter`, by name."""
    return db.session.scalars(select(School).where(school_filter(user), School.is_active).order_by(School.name)).all()


def holds_school(user, school_id):
    return (
        school_id is not None
        and db.session.scalar(select(School.id).where(School.id == school_id, school_filter(user))) is not None
    )
