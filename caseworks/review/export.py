"""The audit trail as an Excel workbook (one row per entry), worded as the audit page words it:
the sentence, labels and names of :mod:`caseworks.review.readable`, never stored codes."""

from flask_babel import gettext as _

from caseworks.core import clock
from caseworks.core.export import ExportBook
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
    book = ExportBook()
    sheet = book.sheet(_("Audit trail"))
    sheet.widths(20, 18, 16, 40, 10, 12, 70)
    if total > limit:
        sheet.heading(
            [
                _(
                    "Only the newest %(n)s of %(total)s entries are included: narrow the filters to export the rest.",
                    n=limit,
                    total=total,
                )
            ]
        )
    sheet.heading(
        [_("Time (Beijing)"), _("Person"), _("Kind"), _("Summary"), _("Case"), _("Child"), _("Before → after")]
    )
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
            sheet.row(
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
    return book.to_bytes(), written, total
