"""Roster import through the pages: columns by name, every row checked with its reason, a
preview, nothing written before confirmation, re-import a no-op, pupils gone marked left."""

import io
import re
from datetime import date

import openpyxl
import pytest
from sqlalchemy import func, select

from caseworks.cases.models import Child
from caseworks.core import audit
from caseworks.enrolment.models import Enrolment, ImportBatch
from caseworks.extensions import db
from tests.enrolment.helpers import HEADER, csv_bytes, pupil, pupil_id, upload, xlsx_bytes


def _batch(response):
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    batch_id = int(re.search(r"/imports/(\d+)", response.headers["Location"]).group(1))
    return db.session.get(ImportBatch, batch_id)


def _enrolments():
    return db.session.scalar(select(func.count()).select_from(Enrolment))


@pytest.fixture
def principal(client, login, users):
    login(users.school_admin)
    return users.school_admin


def test_a_clean_roster_is_previewed_then_imported_and_a_second_import_changes_nothing(client, principal, places):
    content = xlsx_bytes([pupil(n) for n in range(1, 6)], title_row="通州镇中心小学2026年秋季学生名单")
    batch = _batch(upload(client, content, school_id=places.school_a1.id))
    assert batch.status == "ready"
    assert batch.counts["new"] == 5 and batch.counts["invalid"] == 0
    page = client.get(f"/imports/{batch.id}").get_data(as_text=True)
    assert 'id="count-new">5<' in page
    assert _enrolments() == 0, "nothing is written before the user confirms"

    response = client.post(f"/imports/{batch.id}/confirm", data={})
    assert response.status_code == 302
    assert batch.status == "done"
    assert _enrolments() == 5
    pupil_row = db.session.scalar(select(Enrolment).join(Child).where(Child.id_number == pupil_id(3)))
    assert pupil_row.grade == "三年级" and pupil_row.class_name == "2班"
    assert pupil_row.village_id == places.vil_a1a.id
    assert pupil_row.child.gender == "male" and pupil_row.child.birth_date == date(2016, 3, 5)
    entry = db.session.scalars(select(audit.AuditEntry).where(audit.AuditEntry.kind == "import")).one()
    assert entry.data["sha256"] == batch.sha256 and entry.data["counts"]["new"] == 5

    again = _batch(upload(client, content, school_id=places.school_a1.id))
    assert (again.counts["new"], again.counts["changed"], again.counts["unchanged"]) == (0, 0, 5)
    client.post(f"/imports/{again.id}/confirm", data={})
    assert again.status == "done" and _enrolments() == 5


def test_changes_are_shown_before_and_after_and_a_pupil_gone_is_marked_left(client, principal, places):
    first = _batch(upload(client, xlsx_bytes([pupil(n) for n in range(1, 4)]), school_id=places.school_a1.id))
    client.post(f"/imports/{first.id}/confirm")
    rows = [pupil(1, grade="四年级", class_name="1班"), pupil(2)]
    batch = _batch(upload(client, xlsx_bytes(rows), school_id=places.school_a1.id))
    assert (batch.counts["changed"], batch.counts["unchanged"], batch.counts["left"]) == (1, 1, 1)
    page = client.get(f"/imports/{batch.id}").get_data(as_text=True)
    assert "Grade 3" in page and "Grade 4" in page and "2班" in page and "1班" in page
    client.post(f"/imports/{batch.id}/confirm")
    gone = db.session.scalar(select(Enrolment).join(Child).where(Child.id_number == pupil_id(3)))
    assert gone.status == "left" and gone.left_date == date(2026, 10, 14)
    assert _enrolments() == 3, "a pupil who left is marked, not deleted"


BAD_ROWS = [
    # (row, reason code expected, words of the message)
    (pupil(11, 姓名=""), "The name is empty"),
    (pupil(12, id_number=pupil_id(12)[:-1] + ("0" if pupil_id(12)[-1] != "0" else "1")), "check digit"),
    (pupil(13, 出生日期="2016-04-05"), "does not match the ID number, which says 2016-03-05"),
    (pupil(14, 性别="男"), "gender does not match"),  # 14 is a girl
    (pupil(15, 年级="七年级"), "does not teach 七年级"),
    (pupil(16, 出生日期="2016年13月5日"), "is not a date"),
    (pupil(17, 监护人="=cmd|' /C calc'!A0"), "begins like a spreadsheet formula"),
    (pupil(18, 年级="十年级"), "is not a grade"),
]


def test_each_bad_row_is_refused_with_its_reason(client, principal, places):
    good = [pupil(1), pupil(2)]
    duplicate = [pupil(30), pupil(31, id_number=pupil_id(30))]
    rows = good + [r for r, _ in BAD_ROWS] + duplicate
    batch = _batch(upload(client, csv_bytes(rows), "roster.csv", school_id=places.school_a1.id))
    assert batch.counts["new"] == 2
    assert batch.counts["invalid"] == len(BAD_ROWS) + 2
    reasons = {row["line"]: " ".join(_texts(row)) for row in batch.preview["invalid"]}
    for line, (_row, words) in enumerate(BAD_ROWS, start=4):
        assert words in reasons[line], (line, reasons[line])
    last = 3 + len(BAD_ROWS)
    assert f"also on line {last + 2}" in reasons[last + 1]
    assert f"also on line {last + 1}" in reasons[last + 2]
    page = client.get(f"/imports/{batch.id}").get_data(as_text=True)
    assert "Import only the valid rows" in page and 'id="error-file"' in page

    refused = client.post(f"/imports/{batch.id}/confirm", data={})
    assert refused.status_code == 303 and _enrolments() == 0
    client.post(f"/imports/{batch.id}/confirm", data={"only_valid": "1"})
    assert batch.status == "done" and _enrolments() == 2


def _texts(row):
    from caseworks.enrolment.imports import reasons_of

    return reasons_of(row)


def test_id_numbers_stored_as_numbers_in_excel_are_refused_with_the_reason(client, principal, places):
    number = pupil_id(21)
    rows = [pupil(20), pupil(21, 身份证号=int(number[:-1] + "0") if number[-1] != "X" else float(number[:-1]))]
    batch = _batch(upload(client, xlsx_bytes(rows), school_id=places.school_a1.id))
    assert batch.counts["invalid"] == 1
    (row,) = batch.preview["invalid"]
    assert "stored as a number" in " ".join(_texts(row)) and "E+17" in " ".join(_texts(row))
    # and the same damage in a .csv saved by Excel
    rows = [pupil(20), pupil(21, 身份证号="5.22727E+17")]
    batch = _batch(upload(client, csv_bytes(rows), "roster.csv", school_id=places.school_a1.id))
    assert "stored as a number" in " ".join(_texts(batch.preview["invalid"][0]))


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig", "utf-8"])
def test_csv_in_gbk_and_utf8_with_or_without_bom(client, principal, places, encoding):
    rows = [pupil(1, name="张三丰"), pupil(2, name="李小龙", 户籍地="平塘县通州镇平里村")]
    batch = _batch(upload(client, csv_bytes(rows, encoding=encoding), "名单.csv", school_id=places.school_a1.id))
    assert batch.status == "ready" and batch.counts["new"] == 2, batch.preview
    client.post(f"/imports/{batch.id}/confirm")
    names = set(db.session.scalars(select(Child.name)))
    assert {"张三丰", "李小龙"} <= names
    village = db.session.scalar(select(Enrolment.village_id).join(Child).where(Child.name == "李小龙"))
    assert village == places.vil_a1b.id


def test_header_variants_and_registry_codes_are_read(client, principal, places):
    header = [
        "学生姓名",
        "公民身份号码",
        "性别",
        "出生日期",
        "学籍号",
        "年级",
        "班级名称",
        "监护人姓名",
        "监护人联系电话",
        "户口所在地",
    ]
    rows = []
    for n in (1, 2):
        p = pupil(n)
        rows.append(
            {
                "学生姓名": p["姓名"],
                "公民身份号码": p["身份证号"],
                "性别": "1" if n % 2 else "2",
                "出生日期": "20160305",
                "学籍号": p["全国学籍号"],
                "年级": "3",
                "班级名称": "(2)班",
                "监护人姓名": "王大山",
                "监护人联系电话": "13800138000",
                "户口所在地": "贵州省黔南州平塘县通州镇新场村",
            }
        )
    rows[1]["出生日期"] = "2016/3/5"
    batch = _batch(upload(client, xlsx_bytes(rows, header=header), school_id=places.school_a1.id))
    assert batch.counts["new"] == 2 and batch.counts["invalid"] == 0, batch.preview
    assert set(batch.mapping) >= {"name", "id_number", "gender", "birth_date", "student_no", "grade", "class_name"}
    assert batch.mapping["guardian_phone"] == 8 and batch.mapping["guardian_name"] == 7


def test_excel_date_cells_are_read(client, principal, places):
    rows = [pupil(1, 出生日期=date(2016, 3, 5)), pupil(2, 出生日期=date(2016, 3, 6))]
    batch = _batch(upload(client, xlsx_bytes(rows), school_id=places.school_a1.id))
    assert batch.counts["new"] == 1 and batch.counts["invalid"] == 1


def test_an_unrecognised_required_column_asks_for_the_mapping(client, principal, places):
    header = ["姓名", "证件编码", "年级", "班级"]
    rows = [{"姓名": "张三", "证件编码": pupil_id(1), "年级": "三年级", "班级": "1班"}]
    batch = _batch(upload(client, xlsx_bytes(rows, header=header), school_id=places.school_a1.id))
    assert batch.status == "needs_mapping"
    page = client.get(f"/imports/{batch.id}").get_data(as_text=True)
    assert "Match the columns" in page and "证件编码" in page
    response = client.post(
        f"/imports/{batch.id}/columns", data={"col_name": 1, "col_id_number": 2, "col_grade": 3, "col_class_name": 4}
    )
    assert response.status_code == 302
    assert batch.status == "ready" and batch.counts["new"] == 1


def test_the_error_file_holds_each_invalid_row_with_its_reason_as_inert_text(client, principal, places):
    formula = "=cmd|' /C calc'!A0"
    rows = [pupil(1), pupil(2, 姓名=""), pupil(3, 监护人=formula)]
    batch = _batch(upload(client, csv_bytes(rows), "roster.csv", school_id=places.school_a1.id))
    response = client.get(f"/imports/{batch.id}/errors.xlsx")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    table = [[c for c in row] for row in sheet.iter_rows()]
    assert [c.value for c in table[0]] == HEADER + ["Why the row is refused"]
    assert len(table) == 3
    for row in table:
        for cell in row:
            if cell.value not in (None, ""):
                assert cell.data_type == "s", (cell.coordinate, cell.value)
    empty_name, injected = table[1], table[2]
    assert empty_name[0].value is None or empty_name[0].value == ""
    assert empty_name[1].value == pupil_id(2)
    assert "The name is empty." in empty_name[-1].value
    assert injected[7].value == "'" + formula and injected[7].data_type == "s"  # inert: never a formula
    assert "formula" in injected[-1].value
    assert db.session.scalars(select(audit.AuditEntry).where(audit.AuditEntry.kind == "export")).one()


def test_a_township_imports_a_roster_naming_each_rows_school(client, login, users, places):
    login(users.township_official)
    header = HEADER + ["学校"]
    rows = [
        pupil(1, 学校="通州镇中心小学"),
        pupil(2, 学校="2152000102", 年级="七年级"),  # by its code (a junior secondary school)
        pupil(3, 学校="克度镇中心小学"),  # another township's school
    ]
    batch = _batch(upload(client, xlsx_bytes(rows, header=header), school_id=0))
    assert batch.counts["new"] == 2 and batch.counts["invalid"] == 1, batch.preview
    assert "is not one of your schools" in " ".join(_texts(batch.preview["invalid"][0]))
    client.post(f"/imports/{batch.id}/confirm", data={"only_valid": "1"})
    schools = set(db.session.scalars(select(Enrolment.school_id)))
    assert schools == {places.school_a1.id, places.school_a1j.id}


def test_a_corrected_error_file_adds_its_rows_and_marks_nobody_left(client, principal, places):
    rows = [pupil(1), pupil(2), pupil(3, 姓名="")]
    batch = _batch(upload(client, csv_bytes(rows), "roster.csv", school_id=places.school_a1.id))
    client.post(f"/imports/{batch.id}/confirm", data={"only_valid": "1"})
    assert _enrolments() == 2
    workbook = openpyxl.load_workbook(io.BytesIO(client.get(f"/imports/{batch.id}/errors.xlsx").data))
    workbook.active["A2"] = "王小三"
    corrected = io.BytesIO()
    workbook.save(corrected)
    again = _batch(upload(client, corrected.getvalue(), "errors.xlsx", school_id=places.school_a1.id))
    assert again.is_partial
    assert (again.counts["new"], again.counts["invalid"], again.counts["left"]) == (1, 0, 0)
    client.post(f"/imports/{again.id}/confirm")
    assert _enrolments() == 3
    assert db.session.scalar(select(func.count()).select_from(Enrolment).where(Enrolment.status == "left")) == 0
