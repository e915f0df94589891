"""Downloads of the ledgers: the persuasion ledger of the case list's filter."""

from flask import abort, request
from flask_login import current_user

from caseworks.cases.queries import CaseFilters
from caseworks.core import clock, permissions
from caseworks.core.choices import CaseKind, SpecialGroup, Stage
from caseworks.core.export import send_workbook
from caseworks.core.views import case_roles_only
from caseworks.extensions import db
from caseworks.ledgers import operations, queries, workbooks
from caseworks.ledgers.blueprint import bp
from caseworks.places.models import Area, School


@bp.route("/cases/ledger.xlsx")
@case_roles_only
def ledger():
    """The cases the list shows for the same query parameters, one row each, with their
    persuasion attempts on a second sheet."""
    if not permissions.may_export_ledgers(current_user):
        abort(403)
    filters = CaseFilters.from_args(request.args)
    full_ids = permissions.may_export_full_ids(current_user)
    title = workbooks.ledger_title(current_user.place_name, describe(filters))
    book, written = workbooks.ledger_workbook(
        queries.ledger_cases(current_user, filters), title=title, full_ids=full_ids
    )
    operations.record_ledger_export(current_user, what="ledger", filters=filters, rows=written, full_ids=full_ids)
    return send_workbook(book, f"ledger-{clock.today():%Y%m%d}.xlsx")


def describe(filters):
    """The filter in words, for the ledger's title."""
    parts = []
    if filters.stage:
        parts.append(str(Stage.label_of(filters.stage)))
    if filters.kind:
        parts.append(str(CaseKind.label_of(filters.kind)))
    if filters.group:
        parts.append(str(SpecialGroup.label_of(filters.group)))
    if filters.q:
        parts.append(f"“{filters.q}”")
    for model, place_id in ((Area, filters.township), (Area, filters.village), (School, filters.school)):
        place = db.session.get(model, place_id) if place_id else None
        if place is not None:
            parts.append(place.name)
    return "，".join(parts) or "全部案件"
