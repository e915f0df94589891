"""The columns of each kind of import, and the header names they go by in practice
(DOMAIN.md "Roster and registry formats")."""

import re
import unicodedata
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from caseworks.core.choices import ImportKind


@dataclass(frozen=True)
class Column:
    field: str
    label: object
    #: header names, compared after removing spaces, "*" and bracketed notes
    names: tuple
    required: bool = False


NAME = Column("name", _l("Child's name"), ("姓名", "学生姓名", "儿童姓名", "名字", "学生名称", "name"), True)
ID_NUMBER = Column(
    "id_number",
    _l("Resident ID number"),
    ("身份证号", "身份证件号", "公民身份号码", "身份证号码", "身份证件号码", "证件号码", "证件号", "身份证"),
    True,
)
ID_TYPE = Column("id_type", _l("ID type"), ("身份证件类型", "证件类型"))
GENDER = Column("gender", _l("Gender"), ("性别",))
BIRTH = Column("birth_date", _l("Date of birth"), ("出生日期", "出生年月日", "出生年月", "生日"))
STUDENT_NO = Column("student_no", _l("Student registry number"), ("学籍号", "全国学籍号", "学籍编号", "学籍辅号"))
GRADE = Column("grade", _l("Grade"), ("年级", "就读年级", "所在年级"))
CLASS = Column("class_name", _l("Class"), ("班级", "班级名称", "所在班级", "班"))
GUARDIAN = Column("guardian_name", _l("Guardian"), ("监护人", "监护人姓名", "家长姓名", "家长", "户主姓名", "户主"))
PHONE = Column(
    "guardian_phone",
    _l("Phone"),
    ("联系电话", "监护人电话", "监护人联系电话", "家长电话", "家长联系电话", "手机号", "手机号码", "电话"),
)
PLACE = Column(
    "household_place",
    _l("Household registration place"),
    ("户籍地", "户口所在地", "户籍所在地", "户籍地址", "户籍所在村", "户籍村", "所在村", "村(社区)", "村", "村居"),
)
SCHOOL = Column("school", _l("School"), ("学校", "学校名称", "就读学校", "学校标识码", "学校代码", "原就读学校"))
ADDRESS = Column("address", _l("Address"), ("现住址", "家庭住址", "居住地址", "住址"))

COLUMNS = {
    ImportKind.ROSTER: (
        NAME,
        ID_NUMBER,
        Column(GRADE.field, GRADE.label, GRADE.names, True),
        CLASS,
        STUDENT_NO,
        GENDER,
        BIRTH,
        ID_TYPE,
        GUARDIAN,
        PHONE,
        PLACE,
        ADDRESS,
        SCHOOL,
    ),
    ImportKind.HOUSEHOLD: (
        NAME,
        ID_NUMBER,
        Column(PLACE.field, PLACE.label, PLACE.names, True),
        GENDER,
        BIRTH,
        GUARDIAN,
        PHONE,
        ADDRESS,
    ),
    ImportKind.POVERTY: (NAME, ID_NUMBER, GENDER, BIRTH, PLACE, GUARDIAN, PHONE),
    ImportKind.PUSHED: (NAME, ID_NUMBER, GENDER, BIRTH, PLACE, SCHOOL, GUARDIAN, PHONE),
}
#: header words that say a column is about an adult, not the child
_ADULT = ("监护人", "家长", "父亲", "母亲", "户主")
_NOTE = re.compile(r"[(\[【（].*?[)\]】）]")


def columns_of(kind):
    return COLUMNS[ImportKind(kind)]


def normalise_header(text) -> str:
    text = unicodedata.normalize("NFKC", str(text or "")).strip()
    text = _NOTE.sub("", text) if _NOTE.sub("", text) else text
    return re.sub(r"[\s*:：]", "", text).lower()


def recognise(headers, kind) -> dict:
    """``{field: column index}`` for the columns whose header is one of their names (exactly,
    else containing it; a column about the guardian never counts as the child's)."""
    columns = columns_of(kind)
    normalised = [normalise_header(h) for h in headers]
    mapping = {}
    taken = set()
    for column in columns:
        names = {normalise_header(n) for n in column.names}
        for index, header in enumerate(normalised):
            if index not in taken and header in names:
                mapping[column.field] = index
                taken.add(index)
                break
    for column in columns:
        if column.field in mapping:
            continue
        best = None
        for index, header in enumerate(normalised):
            if index in taken or not header:
                continue
            if column.field in ("name", "id_number", "gender", "birth_date") and any(a in header for a in _ADULT):
                continue
            hits = [n for n in column.names if len(n) > 1 and normalise_header(n) in header]
            if hits:
                length = max(len(n) for n in hits)
                if best is None or length > best[0]:
                    best = (length, index)
        if best is not None:
            mapping[column.field] = best[1]
            taken.add(best[1])
    return mapping


def missing_required(mapping, kind, *, school_chosen=True):
    missing = [c for c in columns_of(kind) if c.required and c.field not in mapping]
    if kind == ImportKind.ROSTER and not school_chosen and "school" not in mapping:
        missing.append(SCHOOL)
    return missing


def find_header(rows, kind):
    """The index (in ``rows``) of the header row: the first of the top rows in which the most
    columns are recognised."""
    best, best_count = 0, -1
    for i, (_line, cells) in enumerate(rows[:10]):
        count = len(recognise(cells, kind))
        if count > best_count:
            best, best_count = i, count
        if count >= 3:
            return i
    return best
