"""Visit pages: logging a visit (from a phone), planning and cancelling, support measures,
"my visits" and the overdue overview."""

import uuid

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from caseworks.core import clock, permissions
from caseworks.core.choices import VISITOR_OF_ROLE, Role, VisitMethod, option
from caseworks.core.nav import case_panel, nav_item, posted_form
from caseworks.core.numbers import positive_int
from caseworks.core.views import case_roles_only, load_case, page_status, refusals, render_case
from caseworks.extensions import db
from caseworks.visits import operations, queries
from caseworks.visits.blueprint import bp
from caseworks.visits.forms import (
    AssignLookForm,
    CancelVisitForm,
    LogVisitForm,
    PlanVisitForm,
    SupportForm,
    image_type,
)
from caseworks.visits.models import Visit, VisitPhoto

nav_item("visits.my_visits", _l("My visits"), (Role.TEACHER, Role.VILLAGE_CADRE, Role.COUNTY_REVIEWER), order=5)
nav_item(
    "visits.overdue", _l("Overdue visits"), (Role.SCHOOL_ADMIN, Role.TOWNSHIP_OFFICIAL, Role.COUNTY_REVIEWER), order=30
)


@case_panel("visits/_panel.html", order=20)
def visits_panel(case, user):
    planned, done = queries.visits_of(case)
    may_log = permissions.may_log_visit(user, case)
    plan_form = None
    if may_log:
        plan_form = posted_form("visit_plan_form", PlanVisitForm)
        plan_form.assignee_id.choices = [option(u.id, u.full_name) for u in operations.people_to_plan_for(case, user)]
    may_look = permissions.may_log_county_look(user, case)
    look_form = None
    if may_look:
        look_form = AssignLookForm()
        look_form.assignee_id.choices = [option(u.id, u.full_name) for u in queries.county_people_for(case)]
    return {
        "planned": planned,
        "may_log_planned": {v.id for v in planned if permissions.may_log_planned_visit(user, case, v)},
        "look_form": look_form,
        "done": done,
        "photos": queries.photos_of([v.id for v in done]),
        "may_log": may_log,
        "plan_form": plan_form,
        "cancel_form": CancelVisitForm() if may_log else None,
        "support": queries.support_of(case),
        "support_form": posted_form("support_form", SupportForm) if permissions.may_edit_case(user, case) else None,
    }


@bp.route("/cases/<int:case_id>/visits/new", methods=["GET", "POST"])
@case_roles_only
def log_visit(case_id):
    case = load_case(case_id)
    planned = None
    if request.args.get("planned"):
        planned = db.session.get(Visit, positive_int(request.args.get("planned"), 0))
        if planned is None or planned.case_id != case.id:
            abort(404)
    if not permissions.may_log_planned_visit(current_user, case, planned):
        abort(403)
    form = LogVisitForm()
    if request.method == "GET":
        form.client_uuid.data = str(uuid.uuid4())
        form.visit_date.data = clock.today()
        if current_user.role in VISITOR_OF_ROLE:
            form.visitors.data = [VISITOR_OF_ROLE[current_user.role]]
        form.visitor_names.data = current_user.full_name
    done = None
    if form.validate_on_submit():
        # the same submission arriving twice at the same moment: the first one stands
        with refusals(form, duplicate=True) as done:
            _visit, created = operations.log_visit(
                case,
                form.data,
                current_user,
                planned=planned,
                client_uuid=form.client_uuid.data or None,
                photos=form.stored_photos,
            )
        if done.duplicate or (done and not created):  # sent again: a double tap, a retried sync
            flash(_("This visit was already recorded."), "info")
            return redirect(url_for("cases.case_detail", case_id=case.id, _anchor="visits"))
        if done:
            if form.method.data == VisitMethod.HOME_VISIT:
                flash(_("The visit is recorded."), "success")
            else:
                flash(_("The contact is recorded."), "success")
            return redirect(url_for("cases.case_detail", case_id=case.id, _anchor="visits"))
    return render_template("visits/log.html", form=form, case=case, planned=planned), page_status(done)


@bp.route("/visits/<int:visit_id>/assign", methods=["POST"])
@case_roles_only
def assign_county_look(visit_id):
    """Give the county's monthly look of a case to a named county staff member."""
    visit = queries.scoped_visit_or_none(visit_id, current_user)
    if visit is None or not visit.is_county_look:
        abort(404)
    case = load_case(visit.case_id, permissions.may_log_county_look)
    form = AssignLookForm()
    people = queries.county_people_for(case)
    form.assignee_id.choices = [option(u.id, u.full_name) for u in people]
    if form.validate_on_submit():
        with refusals() as done:
            person = next(u for u in people if u.id == form.assignee_id.data)
            operations.assign_county_look(visit, case, person, current_user)
        if done:
            flash(_("The county look is given to %(name)s.", name=person.full_name), "success")
    else:
        flash(_("Choose a person of the county."), "error")
    return redirect(url_for("cases.case_detail", case_id=case.id, _anchor="visits"))


@bp.route("/cases/<int:case_id>/visits/plan", methods=["POST"])
@case_roles_only
def plan_visit(case_id):
    case = load_case(case_id, permissions.may_log_visit)
    form = PlanVisitForm()
    people = operations.people_to_plan_for(case, current_user)
    form.assignee_id.choices = [option(u.id, u.full_name) for u in people]
    if form.validate_on_submit():
        with refusals(form) as done:
            operations.plan_visit(case, form.data, current_user)
        if done:
            flash(_("The visit is planned."), "success")
            return redirect(url_for("cases.case_detail", case_id=case.id, _anchor="visits"))
    return render_case(case, status=422, visit_plan_form=form)


@bp.route("/visits/<int:visit_id>/cancel", methods=["POST"])
@case_roles_only
def cancel_visit(visit_id):
    visit = queries.scoped_visit_or_none(visit_id, current_user)
    if visit is None:
        abort(404)
    case = load_case(visit.case_id, permissions.may_log_visit)
    form = CancelVisitForm()
    if form.validate_on_submit():
        with refusals() as done:
            operations.cancel_visit(visit, case, current_user, form.reason.data.strip())
        if done:
            flash(_("The planned visit is cancelled."), "success")
    else:
        flash(_("Give the reason for cancelling the visit."), "error")
    return redirect(url_for("cases.case_detail", case_id=case.id, _anchor="visits"))


@bp.route("/cases/<int:case_id>/support", methods=["POST"])
@case_roles_only
def add_support(case_id):
    case = load_case(case_id, permissions.may_edit_case)
    form = SupportForm()
    if form.validate_on_submit():
        with refusals(form) as done:
            operations.add_support_measure(case, form.data, current_user)
        if done:
            flash(_("The support measure is recorded."), "success")
            return redirect(url_for("cases.case_detail", case_id=case.id, _anchor="support"))
    return render_case(case, status=422, support_form=form)


@bp.route("/visits/photos/<int:photo_id>")
@case_roles_only
def photo(photo_id):
    row = db.session.get(VisitPhoto, photo_id)
    if row is None or queries.scoped_visit_or_none(row.visit_id, current_user) is None:
        abort(404)
    response = current_app.response_class(row.data, mimetype=image_type(row.data) or "application/octet-stream")
    response.headers["Cache-Control"] = "private, no-store"
    # an image and nothing else, whatever is inside it
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Content-Disposition"] = "inline"
    return response


@bp.route("/visits/mine")
@case_roles_only
def my_visits():
    from caseworks.enrolment.forms import TaskDoneForm
    from caseworks.enrolment.queries import open_contact_tasks

    groups = queries.my_visits(current_user)
    cases = [v.case for group in groups.values() for v in group]
    if cases:
        # the cards carry the guardians' phone numbers to call from: each look is audited
        operations.record_phones_shown(cases, current_user)
    untaken = queries.untaken_county_looks(current_user) if current_user.role == Role.COUNTY_REVIEWER else []
    return render_template(
        "visits/mine.html",
        groups=groups,
        untaken=untaken,
        contact_tasks=open_contact_tasks(current_user),
        task_form=TaskDoneForm(),
    )


@bp.route("/visits/overdue")
@case_roles_only
def overdue():
    if current_user.role not in (Role.SCHOOL_ADMIN, Role.TOWNSHIP_OFFICIAL, Role.COUNTY_REVIEWER):
        abort(403)
    args = {k: positive_int(request.args.get(k)) for k in ("school", "village", "person")}
    counts = queries.overdue_counts(current_user)
    page = queries.overdue_page(current_user, positive_int(request.args.get("page"), 1), 25, counts=counts, **args)
    return render_template(
        "visits/overdue.html",
        counts=counts,
        pagination=page,
        args={k: v for k, v in args.items() if v},
    )
