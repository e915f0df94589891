"""Building roster files as schools make them."""

import csv
import io
from datetime import date

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from caseworks.core import idnumber

HEADER = ["姓名", "身份证号", "性别", "出生日期", "全国学籍号", "年级", "班级", "监护人", "联系电话", "户籍地"]


def pupil_id(n, birth=date(2016, 3, 5), region="522727"):
    """A valid ID number; odd ``n`` is a boy."""
    return idnumber.make(region, birth, n)


def pupil(n, *, name=None, birth=date(2016, 3, 5), grade="三年级", class_name="2班", place="通州镇新场村", **over):
    number = over.pop("id_number", pupil_id(n, birth))
    row = {
        "姓名": name or f"学生{n:03d}",
        "身份证号": number,
        "性别": "男" if idnumber.gender_of(number) == "male" else "女",
        "出生日期": birth.isoformat(),
        "全国学籍号": "G" + number,
        "年级": grade,
        "班级": class_name,
        "监护人": "王大山",
        "联系电话": "13800138000",
        "户籍地": place,
    }
    row.update(over)
    return row


def csv_bytes(rows, header=HEADER, encoding="utf-8"):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(h, "") for h in header])
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows, header=HEADER, title_row=None):
    workbook = Workbook()
    sheet = workbook.active
    if title_row:
        sheet.append([title_row])
    sheet.append(header)
    for row in rows:
        sheet.append([_cell(sheet, row.get(h)) for h in header])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _cell(sheet, value):
    """Text stays text, as in a column formatted as text (openpyxl would make "=..." a formula)."""
    if isinstance(value, str):
        cell = WriteOnlyCell(sheet, value=None)
        cell.value, cell.data_type = value, "s"
        return cell
    return value


def upload(client, content, filename="roster.xlsx", *, kind="roster", school_id=0, school_year=2026):
    return client.post(
        "/imports/new",
        data={
            "kind": kind,
            "school_id": school_id,
            "school_year": school_year,
            "file": (io.BytesIO(content), filename),
        },
        content_type="multipart/form-data",
    )
