"""The case register's pages: the list, registering a child, the case, its changes and people."""

import json

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from caseworks.cases import operations, queries
from caseworks.cases.blueprint import bp
from caseworks.cases.forms import AssignForm, EditCaseForm, PlanItemForm, RegisterCaseForm
from caseworks.core import permissions
from caseworks.core.choices import CaseFlag, CaseKind, ClosedOutcome, Role, SchoolKind, SpecialGroup, Stage, option
from caseworks.core.nav import nav_item
from caseworks.core.views import case_roles_only, load_case, page_status, refusals, render_case

nav_item("cases.list_cases", _l("Cases"), permissions.CASE_ROLES, order=10)
nav_item("cases.new_case", _l("Register a child"), permissions.CASE_WORKERS, order=20)


@bp.route("/cases")
@case_roles_only
def list_cases():
    filters = queries.CaseFilters.from_args(request.args)
    pagination = queries.case_page(current_user, filters, current_app.config["CASES_PER_PAGE"])
    return render_template(
        "cases/list.html",
        pagination=pagination,
        filters=filters,
        options=queries.filter_options(current_user),
        stages=list(Stage),
        kinds=list(CaseKind),
        groups=list(SpecialGroup),
        flags=list(CaseFlag),
        described=_described(filters),
        may_open=permissions.may_open_case(current_user),
        may_export=permissions.may_export_ledgers(current_user),
    )


#: how the list names a date filter it was opened with (from a dashboard figure)
DATE_FILTER_TEXT = {
    "opened_since": _l("opened on or after %(date)s"),
    "returned_since": _l("returned to school on or after %(date)s"),
    "relapsed_since": _l("dropped out again on or after %(date)s"),
    "closed_since": _l("closed on or after %(date)s"),
}


def _described(filters):
    """The filters the form does not show (set by a dashboard link), in words."""
    described = []
    for name, text in DATE_FILTER_TEXT.items():
        day = getattr(filters, name)
        if day is not None:
            described.append(text % {"date": format_date(day, "long")})
    if filters.outcome:
        described.append(ClosedOutcome.label_of(filters.outcome))
    return described


def _place_choices(form, user):
    villages = queries.villages_for(user)
    schools = queries.schools_for(user)
    form.village_id.choices = village_options(villages)
    form.school_id.choices = [option(s.id, s.name) for s in schools]
    if permissions.may_register_unenrolled(user):
        form.school_id.choices.append(option(0, _("None (not enrolled)")))
    return villages, schools


@bp.route("/cases/new", methods=["GET", "POST"])
@login_required
def new_case():
    if not permissions.may_open_case(current_user):
        abort(403)
    form = RegisterCaseForm()
    villages, schools = _place_choices(form, current_user)
    if request.method == "GET":
        if current_user.role in (Role.TEACHER, Role.SCHOOL_ADMIN) and schools:
            form.school_id.data = schools[0].id
        if current_user.role == Role.VILLAGE_CADRE:
            form.village_id.data = current_user.area_id
    done = None
    if form.validate_on_submit():
        # the same child registered at the same moment by another request (or a double click)
        duplicate = operations.CaseError(_l("A child with this ID number is already registered."), "id_number")
        with refusals(form, duplicate=duplicate) as done:
            case = operations.register_case(form.data, current_user, villages=villages, schools=schools)
        if done:
            flash(_("%(name)s is registered and the case is open.", name=case.child.name), "success")
            return redirect(url_for("cases.case_detail", case_id=case.id))
    return render_template("cases/new.html", form=form, grades_by_school=_grades_by_school(schools)), page_status(done)


def _grades_by_school(schools):
    """``{school id: [grades it teaches]}`` for the form's script (the operation checks it too)."""
    return json.dumps({s.id: [g.value for g in SchoolKind(s.kind).grades] for s in schools}, ensure_ascii=False)


@bp.route("/cases/<int:case_id>")
@case_roles_only
def case_detail(case_id):
    return render_case(load_case(case_id))


@bp.route("/cases/<int:case_id>/reveal", methods=["POST"])
@case_roles_only
def reveal(case_id):
    """Show the full ID number and phone numbers once; every look is written to the audit trail."""
    case = load_case(case_id, permissions.may_see_sensitive)
    operations.reveal_sensitive(case, current_user)
    return render_case(case, revealed=True)


@bp.route("/cases/<int:case_id>/edit", methods=["GET", "POST"])
@case_roles_only
def edit_case(case_id):
    case = queries.load_case_details(load_case(case_id, permissions.may_edit_case))
    form = EditCaseForm()
    villages, schools = _place_choices(form, current_user)
    _keep_current_places(form, case, villages)
    if request.method == "GET":
        _fill_edit_form(form, case)
        operations.reveal_sensitive(case, current_user)  # the form shows the full numbers
    done = None
    if form.validate_on_submit():
        duplicate = operations.CaseError(_l("Another child is registered with this ID number."), "id_number")
        with refusals(form, duplicate=duplicate) as done:
            operations.update_case(
                case,
                form.data,
                current_user,
                villages=_with_current_village(villages, case),
                schools=_with_current_school(schools, case),
                version=form.version.data,
            )
        if done:
            flash(_("The case is saved."), "success")
            return redirect(url_for("cases.case_detail", case_id=case.id))
    return render_template(
        "cases/edit.html",
        form=form,
        case=case,
        grades_by_school=_grades_by_school(_with_current_school(schools, case)),
    ), page_status(done)


def _with_current_village(villages, case):
    """Editing keeps the case's village valid even if it lies outside the editor's own list."""
    if any(case.village_id == vid for group in villages.values() for vid, _name in group):
        return villages
    return {**villages, case.township.name: [(case.village_id, case.village.name)]}


def _with_current_school(schools, case):
    if case.school is None or any(s.id == case.school_id for s in schools):
        return schools
    return [*schools, case.school]


def village_options(villages):
    return [option(vid, name, township) for township, group in villages.items() for vid, name in group]


def _keep_current_places(form, case, villages):
    form.village_id.choices = village_options(_with_current_village(villages, case))
    if case.school is not None and all(c.value != case.school_id for c in form.school_id.choices):
        form.school_id.choices.insert(0, option(case.school_id, case.school.name))


def _fill_edit_form(form, case):
    child = case.child
    for name in ("name", "gender", "birth_date", "id_number", "student_no", "address", "disability_type"):
        getattr(form, name).data = getattr(child, name)
    form.village_id.data = case.village_id
    form.groups.data = child.groups
    for name in ("grade", "class_name", "dropout_date", "situation", "plan_summary"):
        getattr(form, name).data = getattr(case, name)
    form.school_id.data = case.school_id or 0
    form.reasons.data = case.reasons
    form.version.data = case.version
    while len(form.guardians.entries) < len(child.guardians):
        form.guardians.append_entry()
    for entry, guardian in zip(form.guardians.entries, child.guardians, strict=False):
        entry.form.name.data = guardian.name
        entry.form.relation.data = guardian.relation
        entry.form.phone.data = guardian.phone
        entry.form.is_working_away.data = guardian.is_working_away


ASSIGN_LINES = {
    "teacher": (
        permissions.may_assign_teacher,
        queries.teachers_for,
        operations.assign_teacher,
        _l("Assign the teacher"),
    ),
    "cadre": (
        permissions.may_assign_cadre,
        queries.cadres_for,
        operations.assign_cadre,
        _l("Assign the village cadre"),
    ),
}


@bp.route("/cases/<int:case_id>/assign/<line>", methods=["GET", "POST"])
@case_roles_only
def assign(case_id, line):
    if line not in ASSIGN_LINES:
        abort(404)
    may_assign, candidates_for, assign_person, title = ASSIGN_LINES[line]
    case = load_case(case_id, may_assign)
    candidates = candidates_for(case)
    form = AssignForm()
    form.user_id.choices = [option(u.id, f"{u.full_name}（{u.place_name}）") for u in candidates]
    if request.method == "GET":
        form.version.data = case.version
        form.user_id.data = case.teacher_id if line == "teacher" else case.cadre_id
    done = None
    if form.validate_on_submit():
        # the form accepts only the listed people
        person = next(u for u in candidates if u.id == form.user_id.data)
        with refusals(form) as done:
            assign_person(case, person, current_user, version=form.version.data)
        if done:
            flash(_("%(name)s is assigned to the case.", name=person.full_name), "success")
            return redirect(url_for("cases.case_detail", case_id=case.id))
    return render_template(
        "cases/assign.html", form=form, case=case, title=title, line=line, candidates=candidates
    ), page_status(done)


@bp.route("/cases/<int:case_id>/plan", methods=["POST"])
@case_roles_only
def add_plan_item(case_id):
    case = load_case(case_id, permissions.may_edit_case)
    form = PlanItemForm()
    if form.validate_on_submit():
        operations.add_plan_item(case, form.data, current_user)
        flash(_("The measure is added to the plan."), "success")
        return redirect(url_for("cases.case_detail", case_id=case.id, _anchor="plan"))
    return render_case(case, status=422, plan_form=form)
