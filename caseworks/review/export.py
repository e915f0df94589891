"""The audit trail as an Excel workbook (one row per entry), worded as the audit page words it:
the sentence, labels and names of :mod:`caseworks.review.readable`, never stored codes."""

from io import BytesIO

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from caseworks.core import clock
from caseworks.extensions import db
from caseworks.review.queries import child_names
from caseworks.review.readable import changes_text, readable_entries

#: the most rows one export holds; a wider request is cut to the newest and says so
MAX_ROWS = 50_000
#: entries read and formatted at a time (names are looked up once per batch)
BATCH = 2_000


def audit_workbook(stmt, *, limit=MAX_ROWS):
    """``(xlsx bytes, rows written, total matching)`` for the entries of ``stmt`` (newest
    first), at most ``limit`` of them."""
    from sqlalchemy import func, select

    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Audit trail"))
    sheet.column_dimensions["A"].width = 20
    sheet.column_dimensions["B"].width = 18
    sheet.column_dimensions["C"].width = 16
    sheet.column_dimensions["D"].width = 40
    sheet.column_dimensions["E"].width = 10
    sheet.column_dimensions["F"].width = 12
    sheet.column_dimensions["G"].width = 70
    bold = Font(bold=True)
    if total > limit:
        note = WriteOnlyCell(
            sheet,
            _(
                "Only the newest %(n)s of %(total)s entries are included: narrow the filters to export the rest.",
                n=limit,
                total=total,
            ),
        )
        note.font = bold
        sheet.append([note])
    headers = [
        _("Time (Beijing)"),
        _("Person"),
        _("Kind"),
        _("Summary"),
        _("Case"),
        _("Child"),
        _("Before → after"),
    ]
    header_cells = []
    for text in headers:
        cell = WriteOnlyCell(sheet, text)
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    written = 0
    offset = 0
    while written < min(total, limit):
        batch = db.session.scalars(stmt.offset(offset).limit(min(BATCH, limit - written))).all()
        if not batch:
            break
        children = child_names(e.case_id for e in batch)
        for item in readable_entries(batch):
            entry = item.entry
            local = entry.logged_dt.astimezone(clock.LOCAL_TZ).replace(tzinfo=None)
            sheet.append(
                [
                    local,
                    item.actor,
                    f"{item.kind} · {item.module}",
                    item.summary,
                    entry.case_id,
                    children.get(entry.case_id),
                    changes_text(item),
                ]
            )
        written += len(batch)
        offset += len(batch)
    out = BytesIO()
    book.save(out)
    return out.getvalue(), written, total
