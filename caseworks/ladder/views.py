"""Ladder pages: taking a step (with what it needs), notices (issue, print, serve), legal steps
and transfers. Whether a step may happen is decided in caseworks.ladder.transitions, who may do
what in caseworks.core.permissions."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from caseworks.cases import queries as case_queries
from caseworks.cases.operations import reveal_sensitive
from caseworks.core import clock, permissions
from caseworks.core.choices import Line, ServiceMethod, option
from caseworks.core.errors import check_version
from caseworks.core.idnumber import mask_in_text
from caseworks.core.nav import case_panel, posted_form
from caseworks.core.policy import profile_for
from caseworks.core.views import case_roles_only, load_case, page_status, refusals, render_case
from caseworks.extensions import db
from caseworks.ladder import operations, transitions
from caseworks.ladder.blueprint import bp
from caseworks.ladder.forms import (
    AcceptTransferForm,
    ClosureForm,
    DeclineForm,
    JudicialForm,
    LegalStepForm,
    LinesForm,
    NoticeForm,
    ReceiptForm,
    ReturnForm,
    ServeForm,
    TransferForm,
    TransitionForm,
    read_photo,
)
from caseworks.ladder.models import LegalStep, Notice, NoticeReceipt, Transfer
from caseworks.places import picker as place_picker
from caseworks.places.models import School

TRANSITION_FORMS = {
    None: TransitionForm,
    "lines": LinesForm,
    "return": ReturnForm,
    "closure": ClosureForm,
    "legal_step": JudicialForm,
}


@case_panel("ladder/_panel.html", order=5)
def ladder_panel(case, user):
    transfer = operations.open_transfer(case)
    notices = db.session.scalars(select(Notice).where(Notice.case_id == case.id).order_by(Notice.id)).all()
    may_legal_step = permissions.may_record_legal_step(user, case)
    return {
        "options": transitions.options(user, case),
        "notices": notices,
        "lapsed": {n.id for n in notices if n.has_lapsed(clock.today(), case.stage)},
        "legal_steps": db.session.scalars(
            select(LegalStep).where(LegalStep.case_id == case.id).order_by(LegalStep.step_date, LegalStep.id)
        ).all(),
        "closure": transitions.open_closure_request(case),
        "transfer": transfer,
        "may_issue_notice": permissions.may_issue_notice(user, case),
        "legal_form": posted_form("legal_form", LegalStepForm) if may_legal_step else None,
        "may_transfer": permissions.may_transfer(user, case) and transfer is None,
        "may_receive": transfer is not None and permissions.may_decide_transfer(user, transfer),
        "accept_form": posted_form("accept_form", lambda: accept_form(transfer))
        if transfer is not None and permissions.may_decide_transfer(user, transfer)
        else None,
        "receipts": operations.receipts_of([n.id for n in notices]),
    }


def _transition_form(transition, case):
    form = TRANSITION_FORMS[transition.form]()
    if transition.form == "lines":
        asked = transitions.lines_to_ask(current_user, case)
        for line, candidates_for in ((Line.TEACHER, case_queries.teachers_for), (Line.CADRE, case_queries.cadres_for)):
            field = line.case_attr
            if line in asked:
                people = candidates_for(case)
                form[field].choices = [option(0, "—")] + [
                    option(u.id, f"{u.full_name}（{u.place_name}）") for u in people
                ]
            else:
                del form[field]
    if transition.reason_required:
        form.reason.flags.required = True
    if transition.form == "return":
        schools = db.session.scalars(
            select(School).where(School.county_id == case.county_id, School.is_active.is_(True)).order_by(School.code)
        ).all()
        form.school_id.choices = [option(s.id, s.name) for s in schools]
        if request.method == "GET":
            form.school_id.data = case.school_id
            form.class_name.data = f"{case.grade or ''}{case.class_name or ''}"
    return form


@bp.route("/cases/<int:case_id>/transitions/<name>", methods=["GET", "POST"])
@case_roles_only
def take_transition(case_id, name):
    transition = transitions.TRANSITIONS.get(name)
    if transition is None or transition.system_only:
        abort(404)
    case = load_case(case_id, for_update=request.method == "POST")
    if not transition.allowed_for(current_user, case):
        abort(403)
    form = _transition_form(transition, case)
    if request.method == "GET":
        form.version.data = case.version
    done = None
    if form.validate_on_submit():
        with refusals(form) as done:
            check_version(case, form.version.data)
            data = form.step_data() if hasattr(form, "step_data") else {}
            transitions.apply(case, name, current_user, reason=form.reason.data, evidence=form.evidence.data, data=data)
        if done:
            flash(_("Done: %(step)s.", step=transition.label), "success")
            return redirect(url_for("cases.case_detail", case_id=case.id))
    allowed = transition.allowed_for(current_user, case) and case.stage in transition.from_stages
    return render_template(
        "ladder/step.html",
        case=case,
        form=form,
        transition=transition,
        allowed=allowed,
        unmet=transitions.unmet_for(current_user, case, transition) if allowed else [],
    ), page_status(done)


@bp.route("/cases/<int:case_id>/notices/new", methods=["GET", "POST"])
@case_roles_only
def issue_notice(case_id):
    # the case row is locked while a notice is numbered (a double submit waits, then is refused)
    case = load_case(case_id, permissions.may_manage_notices, for_update=request.method == "POST")
    form = NoticeForm()
    if request.method == "GET":
        form.deadline_days.data = profile_for(case.county_id).notice_deadline_days
        if case.child.guardians:
            form.recipient.data = case.child.guardians[0].name
    done = None
    if form.validate_on_submit():
        with refusals(form) as done:
            notice = operations.issue_notice(case, form.data, current_user)
        if done:
            flash(
                _("Notice %(no)s is issued: print it, serve it, then record the service.", no=notice.document_no),
                "success",
            )
            return redirect(url_for("ladder.show_notice", notice_id=notice.id))
    return render_template("ladder/notice_form.html", case=case, form=form), page_status(done)


def _scoped_notice(notice_id, permission=None):
    notice = db.session.get(Notice, notice_id)
    if notice is None:
        abort(404)
    return notice, load_case(notice.case_id, permission)


def _render_notice(notice, case, *, serve_form=None, receipt_form=None, status=200):
    """The notice as printed. Its text carries the child's full ID number: shown (and the look
    audited, even when the page answers a refused form) to those who may see it, masked for
    anyone else who may open the case (a township a transfer waits for)."""
    if permissions.may_see_sensitive(current_user, case):
        reveal_sensitive(case, current_user)
        body = notice.body
    else:
        body = mask_in_text(notice.body)
    may_manage = permissions.may_manage_notices(current_user, case)
    if serve_form is None:
        serve_form = ServeForm(formdata=None)
        serve_form.served_date.data = clock.today()
        serve_form.service_method.data = ServiceMethod.DIRECT.value
        serve_form.served_to.data = notice.recipient
        serve_form.served_by.data = current_user.full_name
    return render_template(
        "ladder/notice.html",
        notice=notice,
        body=body,
        case=case,
        serve_form=serve_form,
        receipt_form=receipt_form or ReceiptForm(formdata=None),
        receipts=operations.receipts_of([notice.id]).get(notice.id, []),
        may_serve=may_manage and notice.served_date is None,
        may_attach=may_manage and notice.served_date is not None,
    ), status


@bp.route("/notices/<int:notice_id>")
@case_roles_only
def show_notice(notice_id):
    """The notice as printed on A4, with its delivery receipt (送达回证)."""
    notice, case = _scoped_notice(notice_id)
    return _render_notice(notice, case)


@bp.route("/notices/<int:notice_id>/serve", methods=["POST"])
@case_roles_only
def serve_notice(notice_id):
    notice, case = _scoped_notice(notice_id, permissions.may_manage_notices)
    form = ServeForm()
    done = None
    if form.validate_on_submit():
        with refusals(form) as done:
            operations.record_service(notice, case, form.data, current_user, receipt=read_photo(form.receipt))
        if done:
            flash(
                _("The service is recorded; the deadline runs until %(date)s.", date=format_date(notice.deadline_date)),
                "success",
            )
            return redirect(url_for("cases.case_detail", case_id=case.id))
    return _render_notice(notice, case, serve_form=form, status=page_status(done))


@bp.route("/notices/<int:notice_id>/receipt", methods=["POST"])
@case_roles_only
def attach_receipt(notice_id):
    """Attach the photographed signed receipt to a notice already served."""
    notice, case = _scoped_notice(notice_id, permissions.may_manage_notices)
    form = ReceiptForm()
    done = None
    if form.validate_on_submit():
        with refusals(form) as done:
            operations.attach_receipt(notice, case, read_photo(form.receipt), current_user)
        if done:
            flash(_("The signed receipt is attached."), "success")
            return redirect(url_for("ladder.show_notice", notice_id=notice.id, _anchor="receipts"))
    return _render_notice(notice, case, receipt_form=form, status=page_status(done))


@bp.route("/notices/receipts/<int:receipt_id>")
@case_roles_only
def receipt_photo(receipt_id):
    """The photograph of a signed receipt, for those who may see its notice's case."""
    receipt = db.session.get(NoticeReceipt, receipt_id)
    if receipt is None:
        abort(404)
    _scoped_notice(receipt.notice_id)
    response = current_app.response_class(receipt.data, mimetype=receipt.content_type)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Content-Disposition"] = "inline"
    return response


@bp.route("/cases/<int:case_id>/legal-steps", methods=["POST"])
@case_roles_only
def add_legal_step(case_id):
    case = load_case(case_id, permissions.may_record_legal_step)
    form = LegalStepForm()
    if form.validate_on_submit():
        with refusals(form) as done:
            operations.record_legal_step(case, form.data, current_user)
        if done:
            flash(_("The legal step is recorded."), "success")
            return redirect(url_for("cases.case_detail", case_id=case.id, _anchor="ladder"))
    return render_case(case, status=422, legal_form=form)


@bp.route("/cases/<int:case_id>/transfer", methods=["GET", "POST"])
@case_roles_only
def transfer_case(case_id):
    case = load_case(case_id, permissions.may_transfer)
    form = TransferForm()
    picker = place_picker.build("village", request.args, county=case.county)
    schools = place_picker.build("school", {"county": str(picker.county.id)} if picker.county else {})
    done = None
    if form.validate_on_submit():
        with refusals(form) as done:
            transfer = operations.request_transfer(case, form.data, current_user)
        if done:
            flash(_("The case waits for %(place)s to accept it.", place=transfer.to_village.full_name), "success")
            return redirect(url_for("cases.case_detail", case_id=case.id))
    return render_template(
        "ladder/transfer.html",
        case=case,
        form=form,
        picker=picker,
        villages=place_picker.with_current(picker.options, form.village_code.data),
        schools=place_picker.with_current(schools.options, form.school_code.data),
    ), page_status(done)


def _incoming(transfer_id):
    """A transfer waiting for the user's township (404 for any other: it is not theirs to see)."""
    transfer = db.session.get(Transfer, transfer_id)
    if transfer is None or not permissions.may_decide_transfer(current_user, transfer):
        abort(404)
    return transfer


def accept_form(transfer, formdata=None):
    """The form that accepts ``transfer``: the school in the new place and the village cadre."""
    form = AcceptTransferForm(formdata=formdata)
    schools = operations.receiving_schools(transfer)
    form.school_id.choices = [option(0, _("Not enrolled yet"))] + [
        option(s.id, s.name, s.township.name) for s in schools
    ]
    form.cadre_id.choices = [option(0, _("Assign later"))] + [
        option(u.id, f"{u.full_name}（{u.place_name}）")
        for u in case_queries.cadres_of(transfer.to_township_id, transfer.to_village_id)
    ]
    if formdata is None:
        form.school_id.data = transfer.to_school_id or 0
        form.cadre_id.data = 0
    return form


@bp.route("/transfers/<int:transfer_id>/accept", methods=["POST"])
@case_roles_only
def accept_transfer(transfer_id):
    transfer = _incoming(transfer_id)
    form = accept_form(transfer, request.form)
    if form.validate_on_submit():
        with refusals(form) as done:
            operations.accept_transfer(transfer, current_user, form.data)
        if done:
            flash(
                _("The case is now held by your township: the school and the village cadre take it from here."),
                "success",
            )
            return redirect(url_for("cases.case_detail", case_id=transfer.case_id))
    return render_case(load_case(transfer.case_id), status=422, accept_form=form)


@bp.route("/transfers/<int:transfer_id>/decline", methods=["POST"])
@case_roles_only
def decline_transfer(transfer_id):
    transfer = _incoming(transfer_id)
    form = DeclineForm()
    if not form.validate_on_submit():
        flash(_("Give the reason for declining."), "error")
        return redirect(url_for("cases.case_detail", case_id=transfer.case_id))
    with refusals() as done:
        operations.decline_transfer(transfer, current_user, form.reason.data)
    if not done:
        return redirect(url_for("cases.case_detail", case_id=transfer.case_id))
    flash(_("The transfer is declined; the case stays where it was."), "info")
    return redirect(url_for("cases.list_cases"))
