"""Register matching (四查三比对): the household register of school-age children, the poverty
list and pushed lists compared with the school rosters. Who is listed is computed from what the
register holds each time it is asked, so the list and the cases opened from it never disagree."""

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import aliased

from caseworks.cases import operations as case_operations
from caseworks.cases.models import Case, Child
from caseworks.core import clock
from caseworks.core.choices import CaseSource, EnrolmentStatus, ImportKind, Stage
from caseworks.core.errors import Refused
from caseworks.core.policy import profiles_by_county
from caseworks.enrolment.imports import importer_area
from caseworks.enrolment.models import Enrolment, ListEntry
from caseworks.extensions import db
from caseworks.places.models import Area, School

#: why a child is listed, in the order the reasons are shown; each gives the case's source
REASONS = {
    "household_not_enrolled": (
        _l("In the household register, of school age, on no school roster"),
        CaseSource.HOUSEHOLD_MATCHING,
    ),
    "roster_left": (_l("Left a school roster, on no other"), CaseSource.ROSTER_LEFT),
    "pushed": (_l("On the pushed list of suspected dropouts"), CaseSource.PUSHED_LIST),
}
#: most children listed on one page (a county's list can be long; the counts say how many)
LIMIT = 1000


@dataclass
class Found:
    child: Child
    reasons: list = field(default_factory=list)
    village: Area | None = None
    school: School | None = None
    grade: str | None = None
    class_name: str | None = None
    guardian: tuple | None = None
    open_case_id: int | None = None

    @property
    def source(self):
        return REASONS[self.reasons[0]][1]

    @property
    def reason_labels(self):
        return [REASONS[r][0] for r in self.reasons]


@dataclass
class MatchResult:
    area: Area | None
    school_year: int
    #: children to verify (no open case)
    suspected: list = field(default_factory=list)
    #: children listed who already have an open case: recognised, not listed twice
    recognised: list = field(default_factory=list)
    counts: dict = field(default_factory=dict)


def _in_area(area, path_column):
    return path_column.startswith(area.path)


def _school_age(area, child_birth, county_column):
    """Children of school age by their county's profile (ages on the school year's cut-off)."""

    def clause(school_year):
        counties = _counties(area)
        profiles = profiles_by_county(counties)
        parts = []
        for county_id, profile in profiles.items():
            earliest, latest = profile.birth_range(school_year)
            parts.append(and_(county_column == county_id, child_birth.between(earliest, latest)))
        return or_(*parts) if parts else child_birth.is_(None)

    return clause


def _counties(area):
    if area.county_id is not None:
        return [area.county_id]
    return list(db.session.scalars(select(Area.id).where(Area.level == "county", Area.path.startswith(area.path))))


def match(user, school_year, *, child_ids=None):
    """The children the user's township or county should verify in ``school_year``:

    - in the household register of school age and on no school roster (enrolled) that year;
    - gone from a school roster (left) of the area and enrolled nowhere else that year;
    - on a pushed list of suspected dropouts of the area.

    A child who already has an open case is recognised (``recognised``), not listed to be opened.
    ``child_ids`` limits the answer to those children (opening cases from the list)."""
    area = importer_area(user)
    result = MatchResult(area=area, school_year=school_year)
    if area is None:
        return result
    found = {}
    village = aliased(Area)
    enrolled_elsewhere = exists().where(
        Enrolment.child_id == Child.id,
        Enrolment.school_year == school_year,
        Enrolment.status == EnrolmentStatus.ENROLLED,
    )
    limit_ids = (lambda stmt: stmt.where(Child.id.in_(child_ids))) if child_ids is not None else (lambda stmt: stmt)

    # 1. the household register: school age, on no roster
    household = limit_ids(
        select(Child, village)
        .select_from(ListEntry)
        .join(Child, Child.id == ListEntry.child_id)
        .join(village, village.id == ListEntry.village_id)
        .where(
            ListEntry.kind == ImportKind.HOUSEHOLD,
            ListEntry.school_year == school_year,
            _in_area(area, village.path),
            _school_age(area, Child.birth_date, village.county_id)(school_year),
            ~enrolled_elsewhere,
        )
        .order_by(village.path, Child.name, Child.id)
        .limit(LIMIT)
    )
    for child, place in db.session.execute(household):
        item = found.setdefault(child.id, Found(child=child))
        item.reasons.append("household_not_enrolled")
        item.village = item.village or place

    # 2. pupils who left a roster of the area and are on no other
    school_town = aliased(Area)
    left = limit_ids(
        select(Enrolment, Child, School)
        .join(Child, Child.id == Enrolment.child_id)
        .join(School, School.id == Enrolment.school_id)
        .join(school_town, school_town.id == School.township_id)
        .where(
            Enrolment.school_year == school_year,
            Enrolment.status == EnrolmentStatus.LEFT,
            _in_area(area, school_town.path),
            _school_age(area, Child.birth_date, School.county_id)(school_year),
        )
        .order_by(School.name, Child.name, Child.id)
        .limit(LIMIT)
    )
    for enrolment, child, school in db.session.execute(left):
        item = found.setdefault(child.id, Found(child=child))
        item.reasons.append("roster_left")
        item.school, item.grade, item.class_name = school, enrolment.grade, enrolment.class_name
        if enrolment.guardian_name and enrolment.guardian_phone:
            item.guardian = (enrolment.guardian_name, enrolment.guardian_phone)
        if item.village is None and enrolment.village_id:
            item.village = db.session.get(Area, enrolment.village_id)

    # 3. pushed lists of suspected dropouts
    entry_area, entry_village = aliased(Area), aliased(Area)
    pushed = limit_ids(
        select(ListEntry, Child)
        .join(Child, Child.id == ListEntry.child_id)
        .join(entry_area, entry_area.id == ListEntry.area_id)
        .outerjoin(entry_village, entry_village.id == ListEntry.village_id)
        .where(
            ListEntry.kind == ImportKind.PUSHED,
            ListEntry.school_year == school_year,
            # the list's children living in the area, or a list the area itself imported
            or_(_in_area(area, entry_village.path), _in_area(area, entry_area.path)),
        )
        .order_by(Child.name, Child.id)
        .limit(LIMIT)
    )
    for entry, child in db.session.execute(pushed):
        item = found.setdefault(child.id, Found(child=child))
        item.reasons.append("pushed")
        if item.village is None and entry.village_id:
            item.village = db.session.get(Area, entry.village_id)

    for item in found.values():
        if item.village is None and item.child.household_village_id:
            item.village = db.session.get(Area, item.child.household_village_id)
        if item.school is None:
            item.school, item.grade, item.class_name = _last_school(item.child.id, school_year)

    open_cases = (
        dict(
            db.session.execute(
                select(Case.child_id, Case.id).where(Case.child_id.in_(list(found)), Case.stage != Stage.CLOSED)
            ).all()
        )
        if found
        else {}
    )
    for child_id, item in found.items():
        item.open_case_id = open_cases.get(child_id)
        (result.recognised if item.open_case_id else result.suspected).append(item)
    result.counts = _counts(area, school_year)
    return result


def _last_school(child_id, school_year):
    row = db.session.execute(
        select(School, Enrolment.grade, Enrolment.class_name)
        .join(Enrolment, Enrolment.school_id == School.id)
        .where(Enrolment.child_id == child_id, Enrolment.school_year <= school_year)
        .order_by(Enrolment.school_year.desc())
        .limit(1)
    ).first()
    return (row[0], row[1], row[2]) if row else (None, None, None)


def _counts(area, school_year):
    """How many children each list holds in the area (the page's header)."""
    village = aliased(Area)
    counts = {}
    for kind in (ImportKind.HOUSEHOLD, ImportKind.POVERTY, ImportKind.PUSHED):
        counts[kind.value] = db.session.scalar(
            select(func.count())
            .select_from(ListEntry)
            .join(Area, Area.id == ListEntry.area_id)
            .outerjoin(village, village.id == ListEntry.village_id)
            .where(
                ListEntry.kind == kind,
                ListEntry.school_year == school_year,
                or_(Area.path.startswith(area.path), village.path.startswith(area.path)),
            )
        )
    town = aliased(Area)
    counts["enrolled"] = db.session.scalar(
        select(func.count())
        .select_from(Enrolment)
        .join(School, School.id == Enrolment.school_id)
        .join(town, town.id == School.township_id)
        .where(
            Enrolment.school_year == school_year,
            Enrolment.status == EnrolmentStatus.ENROLLED,
            town.path.startswith(area.path),
        )
    )
    return counts


class MatchingError(Refused):
    """A rule of the matching refused to open a case."""


def open_found_cases(user, school_year, choices):
    """Open a suspected case, in verification, for each chosen child the matching still lists,
    its source recorded (household matching 2026 autumn, ...). ``choices`` maps child id to the
    village chosen on the page for a child whose household village is unknown (or None). A child
    no longer listed, or one with an open case by now, is refused; the others go ahead.
    Returns ``(cases, refusals)`` with refusals as ``(child name, message)``."""
    result = match(user, school_year, child_ids=list(choices))
    listed = {item.child.id: item for item in result.suspected}
    allowed_villages = None
    cases, refused = [], []
    today = clock.today()
    for child_id, village_id in choices.items():
        item = listed.get(child_id)
        if item is None:
            child = db.session.get(Child, child_id)
            if child is not None:
                refused.append((child.name, _l("No longer listed, or already has an open case.")))
            continue
        village = item.village
        if village is None and village_id:
            if allowed_villages is None:
                allowed_villages = {a.id: a for a in villages_of(result.area)}
            village = allowed_villages.get(village_id)
        if village is None:
            refused.append((item.child.name, _l("Choose the child's household village.")))
            continue
        try:
            with db.session.begin_nested():
                case = case_operations.open_suspected_case(
                    item.child,
                    user,
                    village=village,
                    school=item.school if "roster_left" in item.reasons else None,
                    grade=item.grade,
                    class_name=item.class_name,
                    source=item.source,
                    source_date=today,
                    guardian=item.guardian,
                    situation="; ".join(str(label) for label in item.reason_labels),
                )
        except Refused as refusal:
            refused.append((item.child.name, refusal.message))
            continue
        cases.append(case)
    return cases, refused


def villages_of(area):
    """The villages inside an area, by township and name (for choosing a household village)."""
    if area is None:
        return []
    return db.session.scalars(
        select(Area).where(Area.level == "village", Area.path.startswith(area.path)).order_by(Area.path)
    ).all()
