"""The ledgers: the persuasion ledger of the case list's filter, and the monthly report (page,
printable on A4, and workbook)."""

from flask import abort, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from caseworks.cases.queries import CaseFilters
from caseworks.core import clock, permissions
from caseworks.core.choices import CaseKind, ClosedOutcome, Role, SpecialGroup, Stage
from caseworks.core.nav import nav_item
from caseworks.core.views import case_roles_only
from caseworks.extensions import db
from caseworks.ledgers import monthly, operations, queries, rosters, workbooks
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
    return book.response(f"ledger-{clock.today():%Y%m%d}.xlsx")


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


nav_item("ledgers.monthly_report", _l("Monthly report"), permissions.OVERSEERS, order=40)
nav_item("ledgers.village_sheet", _l("Village sheet"), (Role.VILLAGE_CADRE,), order=40)

FIGURE_LABELS = {
    "new": _l("New cases"),
    "returned": _l("Returned"),
    "relapsed": _l("Relapsed"),
    "closed": _l("Closed"),
    "still_out": _l("Still out at the month's end"),
}


def _monthly(current):
    if not permissions.may_export_ledgers(current):
        abort(403)
    month = monthly.parse_month(request.args.get("month")) or monthly.last_month()
    return month, monthly.monthly_report(current, month)


@bp.route("/reports/monthly")
@case_roles_only
def monthly_report():
    """The monthly report (月报) of the user's area: the month's totals by school, township and
    county, and every case open during the month."""
    month, report = _monthly(current_user)
    return render_template(
        "ledgers/monthly.html", report=report, month=month, figures=FIGURE_LABELS, outcome=ClosedOutcome.label_of
    )


@bp.route("/reports/monthly.xlsx")
@case_roles_only
def monthly_workbook():
    month, report = _monthly(current_user)
    book = workbooks.monthly_workbook(report, FIGURE_LABELS, place=current_user.place_name)
    operations.record_ledger_export(
        current_user,
        what="monthly_report",
        filters=CaseFilters(),
        rows=len(report.rows),
        full_ids=False,
        month=month.strftime("%Y-%m"),
    )
    return book.response(f"monthly-{month:%Y%m}.xlsx")


@bp.route("/reports/village-sheet")
@case_roles_only
def village_sheet():
    """The village sheet (村级台账): the open cases of the user's area by village, printable."""
    if not permissions.may_print_rosters(current_user):
        abort(403)
    return render_template("ledgers/village_sheet.html", villages=rosters.village_sheet(current_user))


@bp.route("/reports/sign-off")
@case_roles_only
def sign_off_roster():
    """The sign-off roster (签字确认名册) of this school year: dropouts, returned, not returned,
    with the lines the responsible people sign."""
    if not permissions.may_print_rosters(current_user):
        abort(403)
    return render_template("ledgers/sign_off.html", roster=rosters.sign_off_roster(current_user))


@bp.route("/reports/village-sheet.xlsx")
@case_roles_only
def village_workbook():
    if not permissions.may_print_rosters(current_user):
        abort(403)
    villages = rosters.village_sheet(current_user)
    book = workbooks.village_workbook(villages, place=current_user.place_name)
    rows = sum(len(lines) for lines in villages.values())
    operations.record_ledger_export(
        current_user, what="village_sheet", filters=CaseFilters(), rows=rows, full_ids=False
    )
    return book.response(f"village-sheet-{clock.today():%Y%m%d}.xlsx")


@bp.route("/reports/sign-off.xlsx")
@case_roles_only
def sign_off_workbook():
    if not permissions.may_print_rosters(current_user):
        abort(403)
    roster = rosters.sign_off_roster(current_user)
    book = workbooks.sign_off_workbook(roster, place=current_user.place_name)
    rows = len(roster.dropouts)
    operations.record_ledger_export(
        current_user, what="sign_off_roster", filters=CaseFilters(), rows=rows, full_ids=False
    )
    return book.response(f"sign-off-{clock.today():%Y%m%d}.xlsx")
