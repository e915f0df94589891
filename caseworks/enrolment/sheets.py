"""Writing an .xlsx whose every cell is inert text: a cell that begins like a formula
(=cmd|' /C calc'!A0) is stored as a string, never as a formula, and characters that XML cannot
hold are removed. (A shared export helper is meant to do this for every spreadsheet; until then
the import's error file uses this one.)"""

import io

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

#: first characters a spreadsheet reads as the start of a formula
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def text_cell(sheet, value):
    """A write-only cell holding ``value`` as a string (data type "s"), whatever it looks like."""
    text = "" if value is None else ILLEGAL_CHARACTERS_RE.sub("", str(value))
    cell = WriteOnlyCell(sheet, value=None)
    cell.value = text
    cell.data_type = "s"
    if text[:1] in FORMULA_STARTS:
        # Excel's leading apostrophe: the cell stays text when someone edits and saves it again
        cell.quotePrefix = True
    return cell


def write_workbook(title, headers, rows) -> bytes:
    """One sheet: a header row, then the rows; streamed (write-only mode)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31] or "Sheet1")
    sheet.append([text_cell(sheet, h) for h in headers])
    for row in rows:
        sheet.append([text_cell(sheet, v) for v in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
