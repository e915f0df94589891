"""Entering a pupil on the register by hand (a pupil who arrived after the roster was imported):
the same rules as a roster row, one child one record."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from caseworks.cases.models import Child
from caseworks.cases.operations import child_with_id_number
from caseworks.core import audit, clock, idnumber, permissions
from caseworks.core.choices import EnrolmentStatus, ImportKind
from caseworks.core.errors import Refused
from caseworks.enrolment.checking import Checker, Places, reason_text
from caseworks.enrolment.models import Enrolment
from caseworks.extensions import db

#: the form's fields in the order a roster row has them
FIELDS = (
    "name",
    "id_number",
    "grade",
    "class_name",
    "student_no",
    "guardian_name",
    "guardian_phone",
    "household_place",
)
#: which form field a refused rule belongs to
FIELD_OF = {
    "name": "name",
    "id": "id_number",
    "not": "id_number",
    "grade": "grade",
    "class": "class_name",
    "student": "student_no",
    "formula": None,
    "too": None,
}


class PupilError(Refused):
    """A rule of the register refused the pupil."""


def enter_pupil(school, data, user, *, school_year):
    """Put a pupil on ``school``'s roll for ``school_year``: the row rules of a roster import
    (ID number, grade the school teaches, formulas...), a child already registered is the same
    person record, and a pupil already enrolled elsewhere that year is refused."""
    if not permissions.may_import_roster(user, school.id):
        raise PupilError(_l("You may not import this file."))
    cells = [data.get(name) or "" for name in FIELDS]
    checker = Checker(
        ImportKind.ROSTER, {name: i for i, name in enumerate(FIELDS)}, list(FIELDS), Places([school]), school=school
    )
    row = checker.check(0, cells)
    if not row.is_valid:
        code, params = row.reasons[0]
        raise PupilError(reason_text(code, params), FIELD_OF.get(code.split("_")[0]))
    values = row.values
    child = child_with_id_number(values["id_number"])
    enrolment = None
    if child is not None:
        enrolment = db.session.scalar(
            select(Enrolment).where(Enrolment.child_id == child.id, Enrolment.school_year == school_year)
        )
        if enrolment is not None and enrolment.status == EnrolmentStatus.ENROLLED:
            raise PupilError(
                _l(
                    "%(name)s is already on the roll of %(school)s this school year.",
                    name=child.name,
                    school=enrolment.school.name,
                ),
                "id_number",
            )
    else:
        child = Child(
            name=values["name"],
            gender=idnumber.gender_of(values["id_number"]),
            birth_date=idnumber.birth_date_of(values["id_number"]),
            id_number=values["id_number"],
            student_no=values["student_no"],
            household_village_id=values["village_id"],
            address="",
            created_dt=clock.now(),
        )
        db.session.add(child)
        db.session.flush()
    if enrolment is None:
        enrolment = Enrolment(child_id=child.id, school_year=school_year, created_dt=clock.now())
        db.session.add(enrolment)
    enrolment.school_id = school.id
    enrolment.grade = values["grade"]
    enrolment.class_name = values["class_name"]
    enrolment.student_no = values["student_no"]
    enrolment.village_id = values["village_id"]
    enrolment.household_place = values["household_place"]
    enrolment.guardian_name = values["guardian_name"]
    enrolment.guardian_phone = values["guardian_phone"]
    enrolment.status = EnrolmentStatus.ENROLLED
    enrolment.left_date = None
    enrolment.updated_dt = clock.now()
    db.session.flush()
    audit.record(
        "create",
        f"pupil entered on the register: {child.name}",
        module="enrolment",
        actor=user,
        target=enrolment,
        data={
            "after": {
                "school_id": school.id,
                "school_year": school_year,
                "grade": enrolment.grade,
                "id_number": idnumber.mask(child.id_number),
            }
        },
    )
    return enrolment
