"""Which cases a user may see: the one place that decides it.

Every query for cases starts from :func:`scoped_cases` (or adds :func:`case_filter`), and every
view loads a single case through :func:`get_case_or_404`. A case outside the user's scope is a
404, never a 403 that would confirm it exists.
"""

from flask import abort, g, has_app_context
from sqlalchemy import false, or_, select

from caseworks.cases.models import Case
from caseworks.core.choices import AreaLevel, Role
from caseworks.extensions import db
from caseworks.places.models import Area

#: extra conditions that widen a user's scope, registered by features (e.g. a pending transfer
#: shows the case to the receiving township). Each is ``fn(user) -> clause or None``.
_scope_extensions = []


def extend_scope(fn):
    _scope_extensions.append(fn)
    return fn


def counties_under(area):
    """Ids of the counties inside an area at or above county level (a subquery)."""
    if area.level == AreaLevel.COUNTY:
        return [area.id]
    return select(Area.id).where(Area.level == AreaLevel.COUNTY, Area.path.startswith(area.path))


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
        if user.area is None:
            return false()
        if user.area.county_id is not None:
            return Case.county_id == user.area.county_id
        return Case.county_id.in_(counties_under(user.area))
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
