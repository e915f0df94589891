"""The one way caseworks writes a spreadsheet.

Every export is data about children, opened by officials in Excel. So every text cell is written
as text that Excel shows and never runs (a name typed as ``=HYPERLINK(...)`` stays a name),
characters that XML cannot hold are replaced instead of breaking the file, and rows are written
in openpyxl's write-only mode to a temporary file, so memory stays bounded whatever the row count.
"""

import re
import tempfile
from datetime import date, datetime

from flask import send_file
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.views import Pane, Selection

#: what spreadsheet programs read as the start of a formula (or of a command in CSV)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: control characters that XML 1.0 cannot carry (tab, newline and carriage return it can)
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_BOLD = Font(bold=True)
_WRAP = Alignment(wrap_text=True, vertical="top")


def clean_text(value):
    """``value`` with the characters a workbook cannot hold replaced by "?"."""
    return _ILLEGAL.sub("?", value)


def cell(sheet, value, *, bold=False, number_format=None, wrap=False):
    """One write-only cell: text always stored as text (a leading ``=``, ``+``, ``-``, ``@``, tab
    or carriage return is kept as typed but never becomes a formula); dates as dates."""
    if isinstance(value, str):
        text = clean_text(value)
        out = WriteOnlyCell(sheet, text)
        out.data_type = "s"  # openpyxl would otherwise store "=..." as a formula
        if text.startswith(FORMULA_STARTS):
            out.quotePrefix = True
    else:
        out = WriteOnlyCell(sheet, value)
        if isinstance(value, datetime):
            out.number_format = "yyyy-mm-dd hh:mm"
        elif isinstance(value, date):
            out.number_format = "yyyy-mm-dd"
    if number_format:
        out.number_format = number_format
    if bold:
        out.font = _BOLD
    if wrap:
        out.alignment = _WRAP
    return out


class Sheet:
    """A write-only worksheet: title rows, a header, then row after row. The first
    ``frozen_rows`` rows (the title and the header) stay in view while the rest scrolls."""

    def __init__(self, book, title, widths, *, frozen_rows=0):
        self.sheet = book.create_sheet(clean_text(title)[:31])
        for index, width in enumerate(widths):
            self.sheet.column_dimensions[get_column_letter(index + 1)].width = width
        if frozen_rows:
            # a write-only sheet writes its view with the first row: the pane is set up front
            first = f"A{frozen_rows + 1}"
            view = self.sheet.sheet_view
            view.pane = Pane(ySplit=frozen_rows, topLeftCell=first, activePane="bottomLeft", state="frozen")
            view.selection = [Selection(pane="bottomLeft", activeCell=first, sqref=first)]

    def title_row(self, text):
        self.sheet.append([cell(self.sheet, text, bold=True)])

    def header(self, names):
        self.sheet.append([cell(self.sheet, str(n), bold=True) for n in names])

    def row(self, values):
        self.sheet.append([cell(self.sheet, v) for v in values])


def new_workbook():
    return Workbook(write_only=True)


def send_workbook(book, filename):
    """Save ``book`` to a temporary file (rows already flushed by write-only mode) and send it
    as a download; the file is removed when the response is closed."""
    spool = tempfile.TemporaryFile(suffix=".xlsx")
    book.save(spool)
    spool.seek(0)
    return send_file(spool, as_attachment=True, download_name=filename, mimetype=XLSX_MIMETYPE)
