"""The one way a spreadsheet leaves caseworks: every export (audit trail, ledgers, reports, and
those still to come) writes its rows through :class:`ExportBook`.

- Text cells are inert. A text beginning with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
  return is what spreadsheet programs take for a formula (or run through DDE); such a text is
  written as a string cell with a leading apostrophe (OWASP's "CSV injection" advice), so it
  stays text when the file is opened, edited, or saved again as CSV. Numbers, dates and
  booleans stay what they are.
- Characters that XML 1.0 forbids (control characters other than tab, newline and carriage
  return) would make the whole workbook unwritable: they are replaced by U+FFFD, so one odd
  address never turns an export into a server error.
- Rows are written with openpyxl's write-only mode (constant memory) into a temporary file that
  is streamed to the user, not built in memory.
"""

import re
import tempfile
from datetime import date, datetime
from decimal import Decimal

from flask import send_file
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.worksheet.views import Pane, Selection

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: what spreadsheet programs read as the start of a formula
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: characters XML 1.0 does not allow (openpyxl refuses them)
ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
#: the longest text a cell holds (Excel's limit)
MAX_CELL_TEXT = 32_767
#: spooled in memory up to this size, then on disk
SPOOL_BYTES = 8 * 1024 * 1024


def safe_text(value) -> str:
    """``value`` as text that no spreadsheet program runs and every XML parser reads."""
    text = ILLEGAL_XML.sub("\ufffd", str(value))
    if text.startswith(FORMULA_STARTS):
        text = "'" + text
    return text[:MAX_CELL_TEXT]


def safe_value(value):
    """Numbers, dates and booleans as they are; everything else as :func:`safe_text`."""
    if value is None or isinstance(value, (bool, int, float, Decimal, date, datetime)):
        if isinstance(value, datetime) and value.tzinfo is not None:
            raise ValueError("convert aware datetimes to local time before writing them")
        return value
    return safe_text(value)


class ExportSheet:
    def __init__(self, book, sheet):
        self._book = book
        self._sheet = sheet

    def widths(self, *widths):
        """Column widths, from column A on."""
        from openpyxl.utils import get_column_letter

        for index, width in enumerate(widths, 1):
            self._sheet.column_dimensions[get_column_letter(index)].width = width

    def _cell(self, value, font=None):
        cell = WriteOnlyCell(self._sheet, safe_value(value))
        if isinstance(cell.value, str):
            cell.data_type = "s"  # never a formula, whatever openpyxl guesses
        if font is not None:
            cell.font = font
        return cell

    def heading(self, values):
        """A row in bold (column headings, a note above them)."""
        self._sheet.append([self._cell(v, self._book.bold) for v in values])

    def row(self, values):
        self._sheet.append([self._cell(v) for v in values])


class ExportBook:
    """A workbook written row by row::

    book = ExportBook()
    sheet = book.sheet("审计记录")
    sheet.heading(["时间", "人员"])
    for entry in entries:
        sheet.row([entry.when, entry.who])
    return book.response("audit.xlsx")
    """

    def __init__(self):
        self._workbook = Workbook(write_only=True)
        self.bold = Font(bold=True)

    def sheet(self, title, *, frozen_rows=0):
        """A new sheet; its first ``frozen_rows`` rows (a title, the headings) stay in view while
        the rest scrolls."""
        # sheet titles may not hold []:*?/\ and are at most 31 characters
        title = re.sub(r"[\[\]:*?/\\]", " ", ILLEGAL_XML.sub(" ", str(title)))[:31] or "Sheet"
        sheet = self._workbook.create_sheet(title)
        if frozen_rows:
            # a write-only sheet writes its view with its first row: the pane is set up front
            first = f"A{frozen_rows + 1}"
            sheet.sheet_view.pane = Pane(ySplit=frozen_rows, topLeftCell=first, activePane="bottomLeft", state="frozen")
            sheet.sheet_view.selection = [Selection(pane="bottomLeft", activeCell=first, sqref=first)]
        return ExportSheet(self, sheet)

    def save(self):
        """The finished workbook as a file object positioned at its start."""
        out = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
        self._workbook.save(out)
        out.seek(0)
        return out

    def to_bytes(self):
        with self.save() as out:
            return out.read()

    def response(self, download_name):
        """The workbook as a download, streamed from its temporary file."""
        return send_file(self.save(), as_attachment=True, download_name=download_name, mimetype=XLSX_MIMETYPE)
