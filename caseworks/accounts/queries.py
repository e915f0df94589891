"""Selects for user administration, limited to an administrator's area."""

from flask import abort
from sqlalchemy import or_, select
from sqlalchemy.orm import aliased

from caseworks.accounts.models import User
from caseworks.core.choices import Role
from caseworks.extensions import db
from caseworks.places import queries as place_queries
from caseworks.places.models import Area, School


def users_in_tree(root):
    """``select(User)`` limited to users whose area, or whose school's township, lies in
    ``root``'s subtree."""
    if root is None:
        return select(User).where(User.id.is_(None))
    township = aliased(Area)
    home = aliased(Area)
    return (
        select(User)
        .outerjoin(home, User.area_id == home.id)
        .outerjoin(School, User.school_id == School.id)
        .outerjoin(township, School.township_id == township.id)
        .where(or_(home.path.startswith(root.path), township.path.startswith(root.path)))
    )


def filtered_users(root, *, q=None, role=None, status=None):
    stmt = users_in_tree(root)
    if q:
        stmt = stmt.where(
            or_(User.username.icontains(q, autoescape=True), User.full_name.icontains(q, autoescape=True))
        )
    if role and role in {r.value for r in Role}:
        stmt = stmt.where(User.role == role)
    if status == "active":
        stmt = stmt.where(User.is_active.is_(True))
    elif status == "inactive":
        stmt = stmt.where(User.is_active.is_(False))
    return stmt.order_by(User.is_active.desc(), User.sort_key, User.id)


def get_user_or_404(user_id, root):
    user = db.session.scalar(users_in_tree(root).where(User.id == user_id))
    if user is None:
        abort(404)
    return user


def place_of(user):
    return user.school if user.school_id is not None else user.area


def root_of(admin):
    return place_queries.root_area(admin)


def people_at(role, *, area_id=None, school_id=None):
    """Ids of the active users of ``role`` placed at an area or a school: who a hand-off goes
    to (the township's officials, the county's reviewers, the school's administrators)."""
    if area_id is None and school_id is None:
        return []
    place = User.area_id == area_id if area_id is not None else User.school_id == school_id
    return list(
        db.session.scalars(select(User.id).where(User.role == role, User.is_active.is_(True), place).order_by(User.id))
    )
