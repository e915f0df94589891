"""County review pages: the queue of closures waiting for a decision, one case's evidence with
approve and send back, spot checks, a case's history and the audit trail with its export."""

from datetime import timedelta
from io import BytesIO

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from caseworks.cases import queries as case_queries
from caseworks.core import clock, permissions
from caseworks.core.choices import ClosedOutcome, Role, Stage
from caseworks.core.nav import nav_item
from caseworks.core.numbers import positive_int
from caseworks.core.policy import profile_for
from caseworks.core.views import case_roles_only, load_case, page_status, refusals, reviewers_only
from caseworks.extensions import db
from caseworks.ladder.forms import OUTCOME_NEEDS
from caseworks.review import export, operations, queries
from caseworks.review.blueprint import bp
from caseworks.review.forms import ApproveForm, DrawSpotCheckForm, SendBackForm, SpotCheckResultForm
from caseworks.review.models import SpotCheckItem
from caseworks.review.readable import KIND_LABELS, MODULE_LABELS, field_label, format_value, readable_entries

nav_item("review.queue", _l("Review queue"), (Role.COUNTY_REVIEWER,), order=15)
nav_item("review.audit_log", _l("Audit trail"), (Role.COUNTY_REVIEWER,), order=70)

PER_PAGE = 25
ENTRIES_PER_PAGE = 50
#: a new draw offers the approvals of the last this many days
DEFAULT_PERIOD_DAYS = 30


def _page_arg():
    return positive_int(request.args.get("page"), 1)


# -- the queue and one case ------------------------------------------------------------------


@bp.route("/review")
@reviewers_only
def queue():
    townships = case_queries.filter_options(current_user)["townships"]
    township = positive_int(request.args.get("township"))
    township = township if any(t.id == township for t in townships) else None
    outcome = request.args.get("outcome") if request.args.get("outcome") in set(ClosedOutcome) else None
    pagination, rows = queries.queue_page(current_user, _page_arg(), PER_PAGE, township=township, outcome=outcome)
    filters = {k: v for k, v in (("township", township), ("outcome", outcome)) if v}
    return render_template(
        "review/queue.html",
        pagination=pagination,
        rows=rows,
        townships=townships,
        outcomes=list(OUTCOME_NEEDS),
        filters=filters,
    )


def _render_review(case, *, approve_form=None, send_back_form=None, status=200):
    case = case_queries.load_case_details(case)
    evidence = queries.evidence_for(case)
    approve_form = approve_form or ApproveForm(formdata=None)
    send_back_form = send_back_form or SendBackForm(formdata=None)
    # the forms always carry the version the page shows
    approve_form.version.data = case.version
    send_back_form.version.data = case.version
    request_ = evidence.request
    return render_template(
        "review/case.html",
        case=case,
        evidence=evidence,
        approve_form=approve_form,
        send_back_form=send_back_form,
        is_pending=case.stage == Stage.PENDING_REVIEW and request_ is not None,
        is_requester=request_ is not None and not permissions.may_decide_closure(current_user, request_),
        decided=queries.last_decision(case) if request_ is None else None,
        field_label=field_label,
        format_value=format_value,
    ), status


@bp.route("/review/<int:case_id>")
@reviewers_only
def review_case(case_id):
    return _render_review(load_case(case_id))


def _decide(case_id, form, decide, done_message):
    case = load_case(case_id)
    forms = {"approve_form": form} if isinstance(form, ApproveForm) else {"send_back_form": form}
    if not form.validate_on_submit():
        return _render_review(case, status=422, **forms)
    with refusals(form) as done:
        decide(case, form)
    if not done:
        return _render_review(case, status=done.status, **forms)
    flash(done_message(case), "success")
    return redirect(url_for("review.queue"))


@bp.route("/review/<int:case_id>/approve", methods=["POST"])
@reviewers_only
def approve(case_id):
    return _decide(
        case_id,
        ApproveForm(),
        lambda case, form: operations.approve_closure(
            case, current_user, version=form.version.data, note=form.note.data
        ),
        lambda case: _("The closure of %(name)s is approved; the case is closed.", name=case.child.name),
    )


@bp.route("/review/<int:case_id>/send-back", methods=["POST"])
@reviewers_only
def send_back(case_id):
    return _decide(
        case_id,
        SendBackForm(),
        lambda case, form: operations.send_back(case, current_user, version=form.version.data, reason=form.reason.data),
        lambda case: _(
            "The case of %(name)s is sent back to %(stage)s; the people on it are told.",
            name=case.child.name,
            stage=Stage.label_of(case.stage),
        ),
    )


# -- spot checks ---------------------------------------------------------------------------


@bp.route("/review/spot-checks", methods=["GET", "POST"])
@reviewers_only
def spot_checks():
    form = DrawSpotCheckForm()
    done = None
    if request.method == "GET":
        today = clock.today()
        form.end_date.data = today
        form.start_date.data = today - timedelta(days=DEFAULT_PERIOD_DAYS)
        form.percent.data = profile_for(current_user.county_id).spot_check_percent
    elif form.validate_on_submit():
        start, end = form.start_date.data, form.end_date.data
        with refusals(form) as done:
            population = queries.approved_returns(current_user, start, end)
            spot_check = operations.draw_spot_check(
                current_user, population, start=start, end=end, percent=form.percent.data
            )
        if done:
            flash(
                _(
                    "%(k)s of %(n)s approved returns were drawn for field verification.",
                    k=spot_check.sample_size,
                    n=spot_check.population_size,
                ),
                "success",
            )
            return redirect(url_for("review.spot_check", spot_check_id=spot_check.id))
    pagination = queries.spot_checks_page(current_user, _page_arg(), PER_PAGE)
    return render_template(
        "review/spot_checks.html",
        form=form,
        pagination=pagination,
        progress=queries.progress_of([s.id for s in pagination.items]),
    ), page_status(done)


def _load_spot_check(spot_check_id):
    spot_check = queries.spot_check_or_none(current_user, spot_check_id)
    if spot_check is None:
        abort(404)
    return spot_check


def _render_spot_check(spot_check, *, form_for=None, status=200):
    items = queries.items_of(spot_check)
    forms = {}
    for item in items:
        if item.is_recorded:
            continue
        if form_for is not None and form_for[0] == item.id:
            forms[item.id] = form_for[1]
        else:
            blank = SpotCheckResultForm(formdata=None, prefix=f"item{item.id}")
            blank.checked_date.data = clock.today()
            forms[item.id] = blank
    # the draw again from its seed: the same population must give the same cases
    population = queries.approved_returns(current_user, spot_check.period_start_date, spot_check.period_end_date)
    reproduced = (
        len(population) == spot_check.population_size
        and operations.sample_ids(population, spot_check.percent, spot_check.seed) == spot_check.case_ids
    )
    return render_template(
        "review/spot_check.html", spot_check=spot_check, items=items, forms=forms, reproduced=reproduced
    ), status


@bp.route("/review/spot-checks/<int:spot_check_id>")
@reviewers_only
def spot_check(spot_check_id):
    return _render_spot_check(_load_spot_check(spot_check_id))


@bp.route("/review/spot-checks/<int:spot_check_id>/print")
@reviewers_only
def print_spot_check(spot_check_id):
    """The drawn sample as a field-check list to print and take along (A4)."""
    spot_check = _load_spot_check(spot_check_id)
    items = queries.items_of(spot_check, with_guardians=True)
    return render_template("review/spot_check_print.html", spot_check=spot_check, items=items)


@bp.route("/review/spot-checks/<int:spot_check_id>/items/<int:item_id>", methods=["POST"])
@reviewers_only
def record_result(spot_check_id, item_id):
    spot_check = _load_spot_check(spot_check_id)
    item = db.session.get(SpotCheckItem, item_id)
    if item is None or item.spot_check_id != spot_check.id:
        abort(404)
    # the sampled case must still be one the reviewer can see (a transfer may have moved it)
    load_case(item.case_id)
    form = SpotCheckResultForm(prefix=f"item{item.id}")
    if not form.validate_on_submit():
        return _render_spot_check(spot_check, form_for=(item.id, form), status=422)
    with refusals(form) as done:
        operations.record_spot_check_result(
            item, current_user, result=form.result.data, notes=form.notes.data, checked_date=form.checked_date.data
        )
    if not done:
        return _render_spot_check(spot_check, form_for=(item.id, form), status=422)
    if item.is_reopened:
        flash(
            _(
                "The result is recorded. The child was not found in school: the case of %(name)s is reopened.",
                name=item.case.child.name,
            ),
            "warning",
        )
    else:
        flash(_("The result is recorded."), "success")
    return redirect(url_for("review.spot_check", spot_check_id=spot_check.id, _anchor=f"item-{item.id}"))


# -- history and audit trail -----------------------------------------------------------------


@bp.route("/cases/<int:case_id>/history")
@case_roles_only
def case_history(case_id):
    case = load_case(case_id)
    pagination = queries.case_entries_page(case, _page_arg(), ENTRIES_PER_PAGE)
    return render_template(
        "review/history.html",
        case=case,
        pagination=pagination,
        entries=readable_entries(pagination.items),
        may_review=current_user.role == Role.COUNTY_REVIEWER,
    )


def _audit_filters():
    return queries.AuditFilters.from_args(request.args, kinds=KIND_LABELS, modules=MODULE_LABELS)


@bp.route("/audit")
@reviewers_only
def audit_log():
    filters = _audit_filters()
    pagination = db.paginate(
        queries.filtered_entries(current_user, filters), page=filters.page, per_page=ENTRIES_PER_PAGE, error_out=False
    )
    entries = readable_entries(pagination.items)
    return render_template(
        "review/audit.html",
        filters=filters,
        pagination=pagination,
        entries=entries,
        child_names=queries.child_names(e.case_id for e in pagination.items),
        kinds=[(k, str(v)) for k, v in KIND_LABELS.items()],
        modules=[(k, str(v)) for k, v in MODULE_LABELS.items()],
        max_rows=export.MAX_ROWS,
    )


@bp.route("/audit/export")
@reviewers_only
def export_audit():
    filters = _audit_filters()
    data, written, total = export.audit_workbook(queries.filtered_entries(current_user, filters))
    operations.record_export(current_user, filters=filters.as_args(), rows=written, truncated=total > written)
    if total > written:
        current_app.logger.info("audit export cut to %s of %s rows", written, total)
    stamp = clock.now().astimezone(clock.LOCAL_TZ).strftime("%Y%m%d-%H%M")
    return send_file(
        BytesIO(data),
        as_attachment=True,
        download_name=f"audit-{stamp}.xlsx",
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
