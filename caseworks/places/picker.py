"""Choosing a place without typing its code: county → township → village, or a school, with a
search by name. Server-rendered (a select per level, chosen with GET parameters ``county``,
``township`` and ``q``), so it works without JavaScript; static/picker.js only submits the
level selects as they change and filters the long lists as one types.

The value chosen is the place's code (12-digit division code, 10-digit school code), which the
forms and operations already take.
"""

from dataclasses import dataclass, field

from sqlalchemy import or_, select

from caseworks.core.choices import AreaLevel, SchoolKind, option
from caseworks.core.numbers import positive_int
from caseworks.extensions import db
from caseworks.places.models import Area, School
from caseworks.places.queries import area_in_tree, preload_ancestors, school_in_tree

#: what a picker chooses: a village, a school, or any place a user can be placed at
KINDS = ("village", "school", "place")
#: at most this many places found by name
SEARCH_LIMIT = 30


@dataclass
class Picker:
    kind: str
    counties: list = field(default_factory=list)
    county: Area | None = None
    townships: list = field(default_factory=list)
    township: Area | None = None
    #: the final select's choices (values are codes), grouped by township or level
    options: list = field(default_factory=list)
    q: str = ""
    #: keeps the ancestors of the listed places loaded while the page renders (full names)
    _loaded: list = field(default_factory=list)


def _tree(root):
    return area_in_tree(root) if root is not None else Area.is_active.is_(True)


def build(kind, args, *, root=None, county=None, township=None):
    """The picker for ``kind`` as the GET ``args`` set it, starting at ``county``/``township``
    when the args say nothing. ``root`` limits it to an administrator's subtree."""
    picker = Picker(kind=kind, q=(args.get("q") or "").strip()[:30])
    counties = db.session.scalars(
        select(Area).where(Area.level == AreaLevel.COUNTY, Area.is_active.is_(True), _tree(root)).order_by(Area.code)
    ).all()
    picker._loaded = preload_ancestors(counties)
    picker.counties = [option(c.id, c.name, c.parent.name if c.parent else None) for c in counties]
    by_id = {c.id: c for c in counties}
    wanted = positive_int(args.get("county"))
    picker.county = by_id.get(wanted) or (county if county is not None and county.id in by_id else None)
    if picker.county is None and len(counties) == 1:
        picker.county = counties[0]
    if picker.county is not None:
        picker.townships = db.session.scalars(
            select(Area)
            .where(Area.parent_id == picker.county.id, Area.is_active.is_(True), Area.level == AreaLevel.TOWNSHIP)
            .order_by(Area.code)
        ).all()
        towns = {t.id: t for t in picker.townships}
        wanted = positive_int(args.get("township"))
        picker.township = towns.get(wanted) or (towns.get(township.id) if township is not None else None)
    if picker.q:
        picker.options = _found(picker, root)
    else:
        picker.options = _listed(picker)
    return picker


def _listed(picker):
    """The places of the chosen county (and township), grouped."""
    kind, county, township = picker.kind, picker.county, picker.township
    if county is None:
        return []
    towns = [township] if township is not None else picker.townships
    names = {t.id: t.name for t in picker.townships}
    found = []
    if kind in ("village", "place") and (kind == "village" or township is not None):
        villages = db.session.scalars(
            select(Area).where(Area.parent_id.in_([t.id for t in towns]), Area.is_active.is_(True)).order_by(Area.code)
        ).all()
        group = None if kind == "village" else str(AreaLevel.VILLAGE.label)
        found += [option(v.code, v.name, group or names.get(v.parent_id)) for v in villages]
    if kind in ("school", "place"):
        schools = db.session.scalars(
            select(School)
            .where(School.township_id.in_([t.id for t in towns]), School.is_active.is_(True))
            .order_by(School.code)
        ).all()
        found += [
            option(s.code, f"{s.name}（{SchoolKind.label_of(s.kind)}）", names.get(s.township_id)) for s in schools
        ]
    if kind == "place":
        levels = [option(county.code, county.name, str(AreaLevel.COUNTY.label))]
        levels += [option(t.code, t.name, str(AreaLevel.TOWNSHIP.label)) for t in picker.townships]
        found = levels + found
    return found


def _found(picker, root):
    """Places whose name contains the search text, with their full names."""
    kind, q = picker.kind, picker.q
    found = []
    if kind in ("village", "place"):
        levels = [AreaLevel.VILLAGE] if kind == "village" else [AreaLevel.TOWNSHIP, AreaLevel.VILLAGE, AreaLevel.COUNTY]
        areas = db.session.scalars(
            select(Area)
            .where(
                Area.name.contains(q, autoescape=True), Area.level.in_(levels), _tree(root), Area.is_active.is_(True)
            )
            .order_by(Area.code)
            .limit(SEARCH_LIMIT)
        ).all()
        picker._loaded += preload_ancestors(areas)
        found += [option(a.code, a.full_name) for a in areas]
    if kind in ("school", "place"):
        stmt = select(School).where(School.name.contains(q, autoescape=True), School.is_active.is_(True))
        if root is not None:
            stmt = stmt.where(or_(school_in_tree(root)))
        schools = db.session.scalars(stmt.order_by(School.code).limit(SEARCH_LIMIT)).all()
        picker._loaded += preload_ancestors([s.township for s in schools])
        found += [option(s.code, f"{s.township.full_name} {s.name}") for s in schools]
    return found


def place_name(code):
    """The full name of the place with ``code`` (to show what was chosen), or ''."""
    code = (code or "").strip()
    if len(code) == 10:
        school = db.session.scalar(select(School).where(School.code == code))
        return f"{school.township.full_name} {school.name}" if school else ""
    area = db.session.scalar(select(Area).where(Area.code == code)) if len(code) == 12 else None
    return area.full_name if area else ""


def with_current(options, code):
    """``options`` with the chosen ``code`` among them (a form shown again keeps its choice)."""
    if not code or any(o.value == code for o in options):
        return options
    name = place_name(code)
    return [option(code, name), *options] if name else options
