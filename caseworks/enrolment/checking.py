"""Checking one row of an import: every rule with its reason, as the user can act on it."""

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from caseworks.core import idnumber
from caseworks.core.choices import GRADES_TAUGHT, Grade, ImportKind, SchoolKind
from caseworks.enrolment.reading import clean_text
from caseworks.extensions import db
from caseworks.places.models import Area, School

#: 学籍号: "G" + ID number, or a temporary "L…" / "J…" number (the same rule as the case form)
STUDENT_NO = re.compile(r"^(G\d{17}[\dX]|[LJ][0-9A-Z]{5,29})$")
#: what Excel shows for a long number: 5.22727E+17
SCIENTIFIC = re.compile(r"^\d(\.\d+)?E\+?\d+$", re.IGNORECASE)
#: a cell a spreadsheet would run as a formula (=cmd|' /C calc'!A0, @SUM(...), +A1, -A1...)
FORMULA = re.compile(r"^[=@\t\r]|^[+\-]\s*[^\d\s.]")
FORMULA_FIRST = frozenset("=@\t\r+-")
DATE_TEXT = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
MONTH_TEXT = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?$")
GRADE_WORDS = {
    **{g.value: g for g in Grade},
    **{f"{n}年级": Grade.of_number(n) for n in range(1, 10)},
    **{str(n): Grade.of_number(n) for n in range(1, 10)},
    "初一": Grade.G7,
    "初二": Grade.G8,
    "初三": Grade.G9,
    "初中一年级": Grade.G7,
    "初中二年级": Grade.G8,
    "初中三年级": Grade.G9,
}
GENDER_WORDS = {
    "男": "male",
    "1": "male",
    "male": "male",
    "m": "male",
    "女": "female",
    "2": "female",
    "female": "female",
    "f": "female",
}
RESIDENT_ID_TYPES = {"", "1", "居民身份证", "1-居民身份证", "身份证"}
EXCEL_EPOCH = date(1899, 12, 30)

#: why a row is refused, by code; each message says what to do
REASONS = {
    "name_missing": _l("The name is empty."),
    "name_too_long": _l("The name is longer than 50 characters."),
    "id_missing": _l("The ID number is empty."),
    "id_as_number": _l(
        "The ID number was stored as a number and Excel has changed it (%(shown)s): its last digits are lost. "
        "Format the column as text and type the number again."
    ),
    "id_format": _l("A resident ID number has 18 characters: 17 digits, then a digit or X."),
    "id_birth_date": _l("Characters 7 to 14 of this ID number are not a real date of birth."),
    "id_check_digit": _l("The last character does not fit the others (check digit): look for a typing error."),
    "not_resident_id": _l("Only pupils with a resident ID number can be imported; register the others by hand."),
    "id_duplicate": _l("The same ID number is also on line %(lines)s."),
    "gender_unknown": _l("The gender %(value)s is neither 男 (1) nor 女 (2)."),
    "gender_mismatch": _l("The gender does not match the ID number (its 17th digit)."),
    "birth_unknown": _l("The date of birth %(value)s is not a date: write it as 2014-03-05, 2014/3/5 or 20140305."),
    "birth_mismatch": _l("The date of birth %(value)s does not match the ID number, which says %(in_id)s."),
    "grade_missing": _l("The grade is empty."),
    "grade_unknown": _l("%(value)s is not a grade: write 一年级 to 九年级 (or 1 to 9)."),
    "grade_not_taught": _l("%(school)s does not teach %(grade)s."),
    "school_missing": _l("The school is empty."),
    "school_unknown": _l("%(value)s is not one of your schools (give its name or its 10-digit code)."),
    "school_other": _l("This row is for %(value)s, not for %(school)s."),
    "class_too_long": _l("The class is longer than 16 characters."),
    "student_no_bad": _l(
        'The student registry number %(value)s is not "G" and the ID number, nor begins with "L" or "J".'
    ),
    "village_unknown": _l("%(value)s is not a village of your area: give the village as in 某某镇某某村."),
    "formula": _l(
        "The cell under %(column)s begins like a spreadsheet formula (%(start)s); nothing of it was imported. "
        "Remove the formula."
    ),
    "too_long": _l("The cell under %(column)s is too long."),
}
_ID_REASONS = {"format": "id_format", "birth date": "id_birth_date", "check digit": "id_check_digit"}
_MAX = {"class_name": 16, "guardian_name": 50, "guardian_phone": 20, "household_place": 200, "address": 200}


def reason_text(code, params=None):
    """The message of a refusal, in the user's language."""
    return str(REASONS[code]) % (params or {}) if params else str(REASONS[code])


@dataclass
class Row:
    line: int
    cells: list
    #: the cells as clean text, once (:func:`clean_text`)
    texts: list = field(default_factory=list)
    values: dict = field(default_factory=dict)
    #: [(code, params), ...]; empty when the row is valid
    reasons: list = field(default_factory=list)

    @property
    def is_valid(self):
        return not self.reasons

    def refuse(self, code, **params):
        self.reasons.append((code, {k: str(v) for k, v in params.items()}))


def parse_date(value):
    """A date from a cell: a date cell, an Excel serial number, 2014-03-05, 2014/3/5, 20140305 or
    2014年3月5日; a year and month only (201403, 2014-03) gives ``(year, month)``. None if none."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = int(value)
        if 19000101 <= number <= 21001231:
            return parse_date(str(number))
        if 190001 <= number <= 210012:
            return parse_date(str(number))
        if 1 <= number < 80000 and float(value).is_integer():  # an Excel serial day number
            return EXCEL_EPOCH + timedelta(days=number)
        return None
    text = clean_text(value)
    try:
        if re.fullmatch(r"\d{8}", text):
            return date(int(text[:4]), int(text[4:6]), int(text[6:]))
        if re.fullmatch(r"\d{6}", text):
            return _month(int(text[:4]), int(text[4:]))
        if m := DATE_TEXT.match(text):
            return date(int(m[1]), int(m[2]), int(m[3]))
        if m := MONTH_TEXT.match(text):
            return _month(int(m[1]), int(m[2]))
    except ValueError:
        return None
    return None


def _month(year, month):
    return (year, month) if 1 <= month <= 12 else None


def parse_grade(text):
    text = re.sub(r"\s", "", text)
    return GRADE_WORDS.get(text)


class Places:
    """The schools and villages a batch may name, looked up once per import."""

    def __init__(self, schools, area_path=None, county_ids=()):
        self.schools = list(schools)
        self.by_code = {s.code: s for s in self.schools}
        self.by_name = {s.name: s for s in self.schools}
        self._villages = {}
        self._found = {}
        self.area_path = area_path
        self.county_ids = set(county_ids) | {s.county_id for s in self.schools}

    def school(self, text):
        return self.by_code.get(text) or self.by_name.get(text)

    def _villages_of(self, county_id):
        if county_id not in self._villages:
            rows = db.session.execute(
                select(Area.id, Area.name, Area.code, Area.township_id, Area.path).where(
                    Area.county_id == county_id, Area.level == "village"
                )
            ).all()
            towns = dict(
                db.session.execute(
                    select(Area.id, Area.name).where(Area.county_id == county_id, Area.level == "township")
                ).all()
            )
            self._villages[county_id] = [(r.id, r.name, r.code, towns.get(r.township_id, ""), r.path) for r in rows]
        return self._villages[county_id]

    def village(self, text, county_ids=None):
        """The village ``text`` names (a 12-digit code, or a place written out: "通州镇新场村"),
        among the villages of the counties (inside the area, for a list), or None."""
        if not text:
            return None
        key = (text, tuple(county_ids or ()))
        if key not in self._found:
            self._found[key] = self._village(text, county_ids)
        return self._found[key]

    def _village(self, text, county_ids):
        candidates = []
        for county_id in county_ids or self.county_ids:
            for village in self._villages_of(county_id):
                if self.area_path and not village[4].startswith(self.area_path):
                    continue
                vid, name, code, town, _path = village
                if text == code:
                    return vid
                if name and name in text:
                    candidates.append((vid, town))
        if len(candidates) > 1:
            candidates = [c for c in candidates if c[1] and c[1] in text] or candidates
        return candidates[0][0] if len(candidates) == 1 else None


class Checker:
    """Checks the rows of one import against every rule (DESIGN.md "Roster import")."""

    def __init__(self, kind, mapping, headers, places, *, school=None):
        self.kind = ImportKind(kind)
        self.mapping = {k: int(v) for k, v in mapping.items()}
        self.headers = headers
        self.places = places
        self.school = school

    def cell(self, cells, name):
        index = self.mapping.get(name)
        if index is None or index >= len(cells):
            return None
        return cells[index]

    def text(self, row, name):
        index = self.mapping.get(name)
        if index is None or index >= len(row.texts):
            return ""
        return row.texts[index]

    def raw_id(self, cells):
        """The ID number cell as normalised text (for finding the same number twice in a file)."""
        return idnumber.normalise(clean_text(self.cell(cells, "id_number")))

    def check(self, line, cells) -> Row:
        row = Row(line=line, cells=cells, texts=[clean_text(c) for c in cells])
        self._formulas(row)
        self._name(row)
        self._id_number(row)
        self._gender_and_birth(row)
        if self.kind == ImportKind.ROSTER:
            self._school_and_grade(row)
            self._student_no(row)
        for name, limit in _MAX.items():
            value = self.text(row, name)
            if len(value) > limit:
                row.refuse("class_too_long" if name == "class_name" else "too_long", column=self._header(name))
            row.values[name] = value[:limit]
        place = row.values.get("household_place", "")
        county_ids = [row.values["school"].county_id] if row.values.get("school") else None
        row.values["village_id"] = self.places.village(place, county_ids)
        if self.kind == ImportKind.HOUSEHOLD and row.values["village_id"] is None:
            row.refuse("village_unknown", value=place or "—")
        if self.kind == ImportKind.PUSHED:
            row.values["note"] = self.text(row, "school")[:200]
        return row

    def _header(self, name):
        index = self.mapping.get(name)
        return self.headers[index] if index is not None and index < len(self.headers) else name

    def _formulas(self, row):
        for index, value in enumerate(row.cells):
            if isinstance(value, str) and value:
                text = row.texts[index]
                if value[0] not in FORMULA_FIRST and text[:1] not in FORMULA_FIRST:
                    continue
                if FORMULA.match(text) or FORMULA.match(value):
                    header = self.headers[index] if index < len(self.headers) else f"#{index + 1}"
                    row.refuse("formula", column=header, start=text[:12])

    def _name(self, row):
        name = re.sub(r"\s+", "", self.text(row, "name"))
        if not name:
            row.refuse("name_missing")
        elif len(name) > 50:
            row.refuse("name_too_long")
        row.values["name"] = name[:50]

    def _id_number(self, row):
        raw = self.cell(row.cells, "id_number")
        id_type = self.text(row, "id_type")
        text = self.text(row, "id_number")
        row.values["id_number"] = None
        if id_type not in RESIDENT_ID_TYPES:
            row.refuse("not_resident_id")
            return
        if isinstance(raw, (int, float)) and not isinstance(raw, bool):
            shown = f"{raw:.5E}" if abs(raw) >= 1e11 else clean_text(raw)
            row.refuse("id_as_number", shown=shown)
            return
        if SCIENTIFIC.match(text):
            row.refuse("id_as_number", shown=text)
            return
        if not text:
            row.refuse("id_missing")
            return
        try:
            row.values["id_number"] = idnumber.validate(text)
        except idnumber.InvalidIDNumber as exc:
            row.refuse(_ID_REASONS[str(exc)])

    def _gender_and_birth(self, row):
        number = row.values.get("id_number")
        gender_text = self.text(row, "gender").lower()
        if gender_text:
            gender = GENDER_WORDS.get(gender_text.split("-")[-1]) or GENDER_WORDS.get(gender_text.split("-")[0])
            if gender is None:
                row.refuse("gender_unknown", value=gender_text)
            elif number and gender != idnumber.gender_of(number):
                row.refuse("gender_mismatch")
        raw = self.cell(row.cells, "birth_date")
        shown = self.text(row, "birth_date")
        if shown:
            given = parse_date(raw)
            if given is None:
                row.refuse("birth_unknown", value=shown)
            elif number:
                in_id = idnumber.birth_date_of(number)
                same = (in_id.year, in_id.month) == given if isinstance(given, tuple) else in_id == given
                if not same:
                    row.refuse("birth_mismatch", value=shown, in_id=in_id.isoformat())

    def _school_and_grade(self, row):
        school_text = self.text(row, "school")
        school = self.school
        if school is not None:
            if school_text and school_text not in (school.name, school.code):
                row.refuse("school_other", value=school_text, school=school.name)
        elif not school_text:
            row.refuse("school_missing")
        else:
            school = self.places.school(school_text)
            if school is None:
                row.refuse("school_unknown", value=school_text)
        row.values["school"] = school
        grade_text = self.text(row, "grade")
        grade = parse_grade(grade_text)
        if not grade_text:
            row.refuse("grade_missing")
        elif grade is None:
            row.refuse("grade_unknown", value=grade_text)
        elif school is not None and grade not in GRADES_TAUGHT[SchoolKind(school.kind)]:
            row.refuse("grade_not_taught", school=school.name, grade=grade.value)
        row.values["grade"] = grade.value if grade else None

    def _student_no(self, row):
        value = self.text(row, "student_no").upper().replace(" ", "")
        if value and not STUDENT_NO.match(value):
            row.refuse("student_no_bad", value=value)
        row.values["student_no"] = value or None


def schools_for_batch(user, school_id=None):
    """The schools a roster may name: the chosen one, else all the importer's own (every school
    for the import command)."""
    from caseworks.core import scope

    if school_id:
        return db.session.scalars(select(School).where(School.id == school_id)).all()
    if user is None:
        return db.session.scalars(select(School).where(School.is_active)).all()
    return scope.schools_of(user)
