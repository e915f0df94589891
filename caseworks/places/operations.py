"""Changes to the area tree and to schools. Each checks its rule, changes the objects,
flushes and writes one audit entry; none commits (the request or command does)."""

import re

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from caseworks.core import audit
from caseworks.core.choices import AreaLevel, SchoolKind
from caseworks.core.errors import Refused
from caseworks.extensions import db
from caseworks.places import queries
from caseworks.places.models import Area, School

MODULE = "places"

#: how many leading digits of a 12-digit division code belong to each level (统计用区划代码:
#: province 2, city 4, county 6, township 9, village 12)
SIGNIFICANT_DIGITS = {
    AreaLevel.PROVINCE: 2,
    AreaLevel.CITY: 4,
    AreaLevel.COUNTY: 6,
    AreaLevel.TOWNSHIP: 9,
    AreaLevel.VILLAGE: 12,
}
AREA_CODE = re.compile(r"^\d{12}$")
SCHOOL_CODE = re.compile(r"^\d{10}$")


class PlaceError(Refused):
    """A rule of areas and schools refused the change."""


def _area_snapshot(area):
    return {
        "name": area.name,
        "code": area.code,
        "level": area.level,
        "parent_id": area.parent_id,
        "is_active": area.is_active,
    }


def _school_snapshot(school):
    return {
        "name": school.name,
        "code": school.code,
        "kind": school.kind,
        "township_id": school.township_id,
        "is_active": school.is_active,
    }


def _flush_new(obj, duplicate_message):
    """Add and flush ``obj`` inside a savepoint, so that a unique code that another request took
    a moment ago ends in a message, not in a broken transaction."""
    try:
        with db.session.begin_nested():
            db.session.add(obj)
            db.session.flush()
    except IntegrityError:
        raise PlaceError(duplicate_message, "code") from None


def _check_area_code(code, parent):
    if not AREA_CODE.match(code):
        raise PlaceError(_l("The division code has 12 digits."), "code")
    prefix = parent.code[: SIGNIFICANT_DIGITS[parent.level_enum]]
    if not code.startswith(prefix) or code == parent.code:
        raise PlaceError(
            _l("The code of an area under %(parent)s begins with %(prefix)s.", parent=parent.name, prefix=prefix),
            "code",
        )
    if queries.code_taken(Area, code):
        raise PlaceError(_l("Another area already has the code %(code)s.", code=code), "code")


def create_area(parent, *, name, code):
    """Create an area one level below ``parent``.

    Rules: the parent is active and is not a village; the code has 12 digits, is unique and
    begins with the parent's own digits. Fills ``path`` (ancestor ids), ``county_id`` (itself
    for a county, else the parent's) and ``township_id`` (itself for a township, else the
    parent's).
    """
    level = parent.level_enum.child_level
    if level is None:
        raise PlaceError(_l("A village has no areas under it."))
    if not parent.is_active:
        raise PlaceError(_l("%(name)s is deactivated; reactivate it first.", name=parent.name))
    name = name.strip()
    code = code.strip()
    _check_area_code(code, parent)
    area = Area(name=name, code=code, level=level, parent=parent, path="")
    _flush_new(area, _l("Another area already has the code %(code)s.", code=code))
    area.path = f"{parent.path}{area.id}."
    area.county_id = area.id if level == AreaLevel.COUNTY else parent.county_id
    area.township_id = area.id if level == AreaLevel.TOWNSHIP else parent.township_id
    db.session.flush()
    audit.record(
        "create",
        f"created {level} {name} ({code})",
        module=MODULE,
        target=area,
        data=audit.changes({}, _area_snapshot(area)),
    )
    return area


def rename_area(area, *, name):
    """Give an area a new name (its code, level and place in the tree stay)."""
    name = name.strip()
    if name == area.name:
        return area
    before = _area_snapshot(area)
    area.name = name
    db.session.flush()
    audit.record(
        "change",
        f"renamed {area.level} {before['name']} to {name}",
        module=MODULE,
        target=area,
        data=audit.changes(before, _area_snapshot(area)),
    )
    return area


def deactivate_area(area):
    """Deactivate an area. Refused while active users work there, while it has active child
    areas, or (a township) active schools: those are moved or deactivated first."""
    if not area.is_active:
        raise PlaceError(_l("%(name)s is already deactivated.", name=area.name))
    users = queries.active_users_at(area)
    if users:
        raise PlaceError(
            _l(
                "%(name)s still has active users (%(count)s); deactivate them or move them elsewhere first.",
                name=area.name,
                count=users,
            )
        )
    children = queries.active_children_count(area)
    if children:
        raise PlaceError(
            _l(
                "%(name)s still has active areas under it (%(count)s); deactivate them first.",
                name=area.name,
                count=children,
            )
        )
    if area.level_enum == AreaLevel.TOWNSHIP:
        schools = queries.active_schools_count(area)
        if schools:
            raise PlaceError(
                _l(
                    "%(name)s still has active schools (%(count)s); deactivate them first.",
                    name=area.name,
                    count=schools,
                )
            )
    before = _area_snapshot(area)
    area.is_active = False
    db.session.flush()
    audit.record(
        "deactivate",
        f"deactivated {area.level} {area.name} ({area.code})",
        module=MODULE,
        target=area,
        data=audit.changes(before, _area_snapshot(area)),
    )
    return area


def reactivate_area(area):
    """Reactivate an area; refused while its parent is deactivated."""
    if area.is_active:
        raise PlaceError(_l("%(name)s is already active.", name=area.name))
    if area.parent is not None and not area.parent.is_active:
        raise PlaceError(_l("%(name)s is deactivated; reactivate it first.", name=area.parent.name))
    before = _area_snapshot(area)
    area.is_active = True
    db.session.flush()
    audit.record(
        "reactivate",
        f"reactivated {area.level} {area.name} ({area.code})",
        module=MODULE,
        target=area,
        data=audit.changes(before, _area_snapshot(area)),
    )
    return area


def _check_school(code, kind, exclude_id=None):
    if not SCHOOL_CODE.match(code):
        raise PlaceError(_l("The school identification code has 10 digits."), "code")
    if kind not in {k.value for k in SchoolKind}:
        raise PlaceError(_l("Choose a kind of school."), "kind")
    if queries.code_taken(School, code, exclude_id):
        raise PlaceError(_l("Another school already has the code %(code)s.", code=code), "code")


def create_school(township, *, name, code, kind):
    """Create a school in an active township; its 10-digit identification code is unique."""
    if township.level_enum != AreaLevel.TOWNSHIP:
        raise PlaceError(_l("Schools belong to a township."))
    if not township.is_active:
        raise PlaceError(_l("%(name)s is deactivated; reactivate it first.", name=township.name))
    name = name.strip()
    code = code.strip()
    _check_school(code, kind)
    school = School(name=name, code=code, kind=kind, township_id=township.id, county_id=township.county_id)
    _flush_new(school, _l("Another school already has the code %(code)s.", code=code))
    audit.record(
        "create",
        f"created school {name} ({code})",
        module=MODULE,
        target=school,
        data=audit.changes({}, _school_snapshot(school)),
    )
    return school


def update_school(school, *, name, code, kind):
    """Change a school's name, identification code or kind."""
    name = name.strip()
    code = code.strip()
    _check_school(code, kind, exclude_id=school.id)
    before = _school_snapshot(school)
    school.name, school.code, school.kind = name, code, kind
    after = _school_snapshot(school)
    data = audit.changes(before, after)
    if not data["after"]:
        return school
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise PlaceError(_l("Another school already has the code %(code)s.", code=code), "code") from None
    audit.record("change", f"changed school {name} ({code})", module=MODULE, target=school, data=data)
    return school


def deactivate_school(school):
    """Deactivate a school; refused while active users work there."""
    if not school.is_active:
        raise PlaceError(_l("%(name)s is already deactivated.", name=school.name))
    users = queries.active_users_at(school)
    if users:
        raise PlaceError(
            _l(
                "%(name)s still has active users (%(count)s); deactivate them or move them elsewhere first.",
                name=school.name,
                count=users,
            )
        )
    before = _school_snapshot(school)
    school.is_active = False
    db.session.flush()
    audit.record(
        "deactivate",
        f"deactivated school {school.name} ({school.code})",
        module=MODULE,
        target=school,
        data=audit.changes(before, _school_snapshot(school)),
    )
    return school


def reactivate_school(school):
    """Reactivate a school; refused while its township is deactivated."""
    if school.is_active:
        raise PlaceError(_l("%(name)s is already active.", name=school.name))
    if not school.township.is_active:
        raise PlaceError(_l("%(name)s is deactivated; reactivate it first.", name=school.township.name))
    before = _school_snapshot(school)
    school.is_active = True
    db.session.flush()
    audit.record(
        "reactivate",
        f"reactivated school {school.name} ({school.code})",
        module=MODULE,
        target=school,
        data=audit.changes(before, _school_snapshot(school)),
    )
    return school
