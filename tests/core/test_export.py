"""Every spreadsheet goes through one export helper: text cells are inert, characters XML does
not allow are replaced, rows are streamed."""

from datetime import date
from io import BytesIO

import pytest
from openpyxl import load_workbook

from caseworks.core import audit
from caseworks.core.export import ExportBook, safe_text, safe_value

HOSTILE = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


@pytest.mark.parametrize("text", HOSTILE)
def test_formula_starts_are_made_text(text):
    assert safe_text(text) == "'" + text


@pytest.mark.parametrize("text", ["王小明", "a=b", "3-2", "", "'quoted"])
def test_ordinary_text_is_kept(text):
    assert safe_text(text) == text


def test_illegal_xml_characters_are_replaced():
    assert safe_text("a\x01b\x00c\x1fd\ne\tf") == "a\ufffdb\ufffdc\ufffdd\ne\tf"


def test_numbers_and_dates_stay_values():
    assert safe_value(3) == 3 and safe_value(2.5) == 2.5
    assert safe_value(date(2026, 1, 2)) == date(2026, 1, 2)
    assert safe_value(None) is None
    assert safe_value(-5) == -5


def test_a_book_holds_no_formula_and_opens(app):
    book = ExportBook()
    sheet = book.sheet("审计/记录[1]")
    sheet.heading(["名字", "地址"])
    for text in HOSTILE:
        sheet.row([text, "a\x01b", 7, date(2026, 1, 2)])
    opened = load_workbook(BytesIO(book.to_bytes()))
    cells = [c for row in opened.active.iter_rows(min_row=2) for c in row]
    assert all(c.data_type != "f" for c in cells)
    assert [c.value for c in cells[:3]] == ["'" + HOSTILE[0], "a\ufffdb", 7]


def test_the_audit_export_survives_a_formula_name_and_a_control_character(client, login, users, make_case):
    """A user named like a formula and an address holding \\x01 (both written to the trail)."""
    case = make_case()
    audit.record(
        "change",
        "case facts changed: address",
        module="cases",
        actor=users.teacher,
        actor_name='=HYPERLINK("http://x")',
        case=case,
        data={"before": {"address": "a"}, "after": {"address": "a\x01b"}},
    )
    users.teacher.full_name = '=HYPERLINK("http://x")'
    login(users.county_reviewer)
    response = client.get("/audit/export", query_string={"case": case.id})
    assert response.status_code == 200
    book = load_workbook(BytesIO(response.data))
    cells = [c for row in book.active.iter_rows() for c in row if c.value is not None]
    assert all(c.data_type != "f" for c in cells)
    assert not any(isinstance(c.value, str) and c.value.startswith("=") for c in cells)
    assert any("a\ufffdb" in str(c.value) for c in cells)
