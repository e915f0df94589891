"""Reading a spreadsheet as schools and the registry system export them: .xlsx / .xls (through
calamine, which reads a 100,000-row workbook in seconds) and .csv in UTF-8 (with or without
BOM) or GB18030/GBK, told apart by decoding, not asked."""

import csv
import io
import unicodedata
from datetime import date, datetime

from flask_babel import lazy_gettext as _l

from caseworks.core.errors import Refused

EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls")
#: rows looked at for the header (a roster often has a title row or two above it)
HEADER_SEARCH_ROWS = 10


class UnreadableFile(Refused):
    """The file is not a spreadsheet we can read."""


def decode_text(content: bytes) -> str:
    """UTF-8 (a BOM is dropped) if the bytes are UTF-8, else GB18030 (a superset of GBK and
    GB2312). A GBK file of Chinese text is practically never valid UTF-8, so trying UTF-8 first
    tells the two apart without guessing; anything that is neither is refused."""
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("gb18030")
    except UnicodeDecodeError:
        raise UnreadableFile(
            _l("The file is neither UTF-8 nor GB18030 (GBK) text; save it as .xlsx or UTF-8 .csv.")
        ) from None


def read_sheet(filename: str, content: bytes) -> list:
    """``[(line, [cell, ...]), ...]`` for every row of the file's first sheet: cells are str,
    int, float, date, datetime or None, lines numbered as the user sees them."""
    name = (filename or "").lower()
    if name.endswith(EXCEL_SUFFIXES):
        return _read_excel(content)
    if name.endswith((".csv", ".txt")):
        return _read_csv(content)
    raise UnreadableFile(_l("Choose an .xlsx, .xls or .csv file."))


def _read_excel(content):
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(content))
        sheet = workbook.get_sheet_by_index(0)
        rows = sheet.to_python(skip_empty_area=False)
    except (CalamineError, ValueError, IndexError, OSError):
        raise UnreadableFile(_l("This file cannot be read as a spreadsheet; save it again as .xlsx.")) from None
    return [(n, row) for n, row in enumerate(rows, start=1)]


def _read_csv(content):
    text = decode_text(content)
    try:
        sample = text[:4096]
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t") if sample else csv.excel
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        return [(reader.line_num, row) for row in reader]
    except csv.Error:
        raise UnreadableFile(_l("This .csv file is damaged (a quote is never closed).")) from None


def clean_text(value) -> str:
    """A cell as text: full-width characters made ASCII (NFKC), spaces trimmed; a whole number
    stored as a float loses its ".0"."""
    if type(value) is str:  # most cells: checked first, a roster has a million of them
        if value.isascii() or unicodedata.is_normalized("NFKC", value):
            return value.strip()
        return unicodedata.normalize("NFKC", value).strip()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return clean_text(str(value))


def is_blank(cells) -> bool:
    return all(clean_text(c) == "" for c in cells)
