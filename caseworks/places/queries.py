"""Reusable selects for areas and schools, limited to an administrator's subtree.

An administrator works at one area and manages what lies under it: the areas whose ``path``
starts with that area's path, and the schools of the townships among them. Anything else is
treated as if it did not exist (404).
"""

from flask import abort
from sqlalchemy import false, func, select

from caseworks.core.choices import AreaLevel
from caseworks.extensions import db
from caseworks.places.models import Area, School


def root_area(user):
    """The area at the top of what ``user`` administers, or None."""
    return user.area if user is not None and user.area_id is not None else None


def area_in_tree(root):
    """The WHERE clause limiting ``Area`` to ``root``'s subtree (root included)."""
    if root is None:
        return false()
    return Area.path.startswith(root.path)


def school_in_tree(root):
    """The WHERE clause limiting ``School`` to the townships of ``root``'s subtree."""
    if root is None:
        return false()
    townships = select(Area.id).where(Area.level == AreaLevel.TOWNSHIP, area_in_tree(root))
    return School.township_id.in_(townships)


def is_within(place, root):
    """Whether an area or school lies inside ``root``'s subtree."""
    if root is None or place is None:
        return False
    area = place.township if isinstance(place, School) else place
    return area is not None and area.path.startswith(root.path)


def get_area_or_404(area_id, root):
    area = db.session.scalar(select(Area).where(Area.id == area_id, area_in_tree(root)))
    if area is None:
        abort(404)
    return area


def get_school_or_404(school_id, root):
    school = db.session.scalar(select(School).where(School.id == school_id, school_in_tree(root)))
    if school is None:
        abort(404)
    return school


def place_by_code(code, root=None):
    """The area (12-digit code) or school (10-digit code) with ``code``; limited to ``root``'s
    subtree when a root is given. None if there is no such place."""
    code = (code or "").strip()
    if len(code) == 12:
        stmt = select(Area).where(Area.code == code)
        if root is not None:
            stmt = stmt.where(area_in_tree(root))
    elif len(code) == 10:
        stmt = select(School).where(School.code == code)
        if root is not None:
            stmt = stmt.where(school_in_tree(root))
    else:
        return None
    return db.session.scalar(stmt)


def ancestors(area, root):
    """The areas from ``root`` down to ``area``'s parent, top first (for breadcrumbs)."""
    ids = [int(part) for part in area.path.split(".") if part]
    ids = ids[:-1]
    if not ids:
        return []
    rows = db.session.scalars(select(Area).where(Area.id.in_(ids), area_in_tree(root))).all()
    return sorted(rows, key=lambda a: len(a.path))


def children_of(area):
    """The child areas of ``area``, active first, by code."""
    return db.session.scalars(
        select(Area).where(Area.parent_id == area.id).order_by(Area.is_active.desc(), Area.code)
    ).all()


def schools_of(township):
    return db.session.scalars(
        select(School).where(School.township_id == township.id).order_by(School.is_active.desc(), School.code)
    ).all()


def active_children_count(area):
    return db.session.scalar(
        select(func.count()).select_from(Area).where(Area.parent_id == area.id, Area.is_active.is_(True))
    )


def active_schools_count(township):
    return db.session.scalar(
        select(func.count()).select_from(School).where(School.township_id == township.id, School.is_active.is_(True))
    )


def code_taken(model, code, exclude_id=None):
    stmt = select(model.id).where(model.code == code)
    if exclude_id is not None:
        stmt = stmt.where(model.id != exclude_id)
    return db.session.scalar(stmt) is not None


def active_users_at(place):
    """How many active users hold a role at this very area or school."""
    from caseworks.accounts.models import User

    column = User.school_id if isinstance(place, School) else User.area_id
    return db.session.scalar(select(func.count()).select_from(User).where(column == place.id, User.is_active.is_(True)))


def preload_ancestors(areas):
    """Load every ancestor of ``areas`` in one query, so that walking ``parent`` (full names)
    finds them in the session instead of querying once per level. The session holds objects
    weakly: keep the returned list while the page renders."""
    ids = {int(part) for area in areas if area is not None for part in area.path.split(".") if part}
    if not ids:
        return []
    return db.session.scalars(select(Area).where(Area.id.in_(ids))).all()
