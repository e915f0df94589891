"""Pages of the enrolment register: the register, a pupil entered by hand, and imports (upload,
columns, preview, confirm, error file, progress). The matching and attendance pages are in
:mod:`caseworks.enrolment.finding_views`; the navigation of both is here."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from caseworks.core import clock, permissions, scope
from caseworks.core.choices import (
    EnrolmentStatus,
    Grade,
    ImportKind,
    ImportStatus,
    Role,
    option,
)
from caseworks.core.forms import EmptyForm
from caseworks.core.nav import nav_item
from caseworks.core.numbers import positive_int
from caseworks.core.terms import school_year_label
from caseworks.core.views import page_status, refusals
from caseworks.enrolment import columns, imports, pupils, queries
from caseworks.enrolment.blueprint import bp
from caseworks.enrolment.forms import PupilForm, UploadForm

nav_item("enrolment.register", _l("Enrolment register"), (*permissions.ROSTER_OWNERS,), order=40)
nav_item("enrolment.matching_page", _l("Register matching"), permissions.MATCHERS, order=41)
nav_item("enrolment.attendance", _l("Attendance"), permissions.SCHOOL_STAFF, order=42)

#: the words of the preview's "before → after" columns
CHANGE_LABELS = {
    "name": _l("Child's name"),
    "school_id": _l("School"),
    "grade": _l("Grade"),
    "class_name": _l("Class"),
    "student_no": _l("Student registry number"),
    "village_id": _l("Household village"),
    "household_place": _l("Household registration place"),
    "guardian_name": _l("Guardian"),
    "guardian_phone": _l("Phone"),
    "status": _l("Status"),
    "note": _l("School named"),
    "area_id": _l("List of"),
    "group": _l("Special groups"),
}
#: a running import whose heartbeat is older than this was killed; it may be started again
STALE_SECONDS = 120


def _require(allowed):
    if not current_user.is_authenticated:
        return
    if not allowed:
        abort(403)


def _year_arg():
    years = queries.school_years()
    year = positive_int(request.args.get("year"), queries.current_school_year())
    return year if year in years else queries.current_school_year()


# -- the register ------------------------------------------------------------------------------


@bp.route("/enrolment")
@login_required
def register():
    _require(permissions.may_see_register(current_user))
    year = _year_arg()
    schools = scope.schools_of(current_user)
    school_id = positive_int(request.args.get("school"), 0) or None
    if school_id and all(s.id != school_id for s in schools):
        abort(404)
    status = request.args.get("status") if request.args.get("status") in set(EnrolmentStatus) else None
    grade = request.args.get("grade") if request.args.get("grade") in set(Grade) else None
    pagination = queries.register_page(
        current_user,
        school_id=school_id,
        school_year=year,
        grade=grade,
        status=status,
        page=positive_int(request.args.get("page"), 1),
    )
    return render_template(
        "enrolment/register.html",
        pagination=pagination,
        schools=schools,
        school_id=school_id,
        year=year,
        years=[(y, school_year_label(y)) for y in queries.school_years()],
        status=status,
        grade=grade,
        grades=list(Grade),
        counts=queries.register_counts(current_user, year),
        may_import=permissions.may_import_roster(current_user),
        batches=queries.recent_batches(current_user, limit=10),
    )


@bp.route("/enrolment/new", methods=["GET", "POST"])
@login_required
def new_pupil():
    """Enter a pupil on the register by hand."""
    _require(permissions.may_import_roster(current_user))
    schools = scope.schools_of(current_user)
    form = PupilForm()
    form.school_id.choices = [option(s.id, s.name) for s in schools]
    form.grade.choices = [option(g.value, g.label) for g in Grade]
    done = None
    if form.validate_on_submit():
        school = next(s for s in schools if s.id == form.school_id.data)
        with refusals(form) as done:
            enrolment = pupils.enter_pupil(school, form.data, current_user, school_year=queries.current_school_year())
        if done:
            flash(_("%(name)s is on the register.", name=enrolment.child.name), "success")
            return redirect(url_for("enrolment.register", school=school.id))
    return render_template("enrolment/pupil.html", form=form), page_status(done)


# -- imports -----------------------------------------------------------------------------------


def _kinds_for(user):
    return [k for k in ImportKind if permissions.may_import_list(user, k)]


@bp.route("/imports/new", methods=["GET", "POST"])
@login_required
def new_import():
    kinds = _kinds_for(current_user)
    _require(bool(kinds))
    form = UploadForm()
    form.kind.choices = [option(k.value, k.label) for k in kinds]
    schools = scope.schools_of(current_user)
    form.school_id.choices = [option(s.id, f"{s.name}（{s.code}）") for s in schools]
    if current_user.role != Role.SCHOOL_ADMIN:
        form.school_id.choices.insert(0, option(0, _("Each row names its school (学校 column)")))
    form.school_year.choices = [option(y, school_year_label(y)) for y in queries.school_years()]
    if request.method == "GET":
        form.kind.data = request.args.get("kind") or kinds[0].value
        form.school_year.data = queries.current_school_year()
        if schools and current_user.role == Role.SCHOOL_ADMIN:
            form.school_id.data = schools[0].id
    done = None
    if form.validate_on_submit():
        upload = form.file.data
        content = upload.read()
        school = next((s for s in schools if s.id == form.school_id.data), None)
        with refusals(form) as done:
            batch = imports.receive_file(
                form.kind.data,
                upload.filename,
                content,
                current_user,
                school=school,
                area=imports.importer_area(current_user),
                school_year=form.school_year.data,
                partial=form.partial.data,
            )
            _check_now_or_later(batch)
        if done:
            return redirect(url_for("enrolment.show_import", batch_id=batch.id))
    return render_template("enrolment/upload.html", form=form), page_status(done)


def _check_now_or_later(batch):
    """A small file is checked in the request; a large one by the scheduler process."""
    rows = imports.count_rows(batch)
    if rows > imports.background_rows():
        batch.total_rows = rows
        return
    imports.check_import(batch)


def _load_batch(batch_id):
    """An import through the user's schools and area (404 outside), for the roles that own
    rosters (403 for the others)."""
    _require(current_user.role in permissions.ROSTER_OWNERS)
    batch = queries.batch_or_none(batch_id, current_user)
    if batch is None:
        abort(404)
    return batch


@bp.route("/imports/<int:batch_id>")
@login_required
def show_import(batch_id):
    batch = _load_batch(batch_id)
    context = {"batch": batch, "form": EmptyForm(), "change_labels": CHANGE_LABELS}
    if batch.status == ImportStatus.NEEDS_MAPPING:
        context["columns"] = columns.columns_of(batch.kind)
        context["missing"] = {
            c.field
            for c in columns.missing_required(batch.mapping, batch.kind, school_chosen=batch.school_id is not None)
        }
    if batch.status == ImportStatus.READY:
        context["invalid"] = [(row, imports.reasons_of(row)) for row in batch.preview.get("invalid", [])]
    context["stalled"] = _stalled(batch)
    context["running"] = batch.status in (
        ImportStatus.WAITING_CHECK,
        ImportStatus.CHECKING,
        ImportStatus.WAITING,
        ImportStatus.APPLYING,
    )
    return render_template("enrolment/import.html", **context)


def _stalled(batch):
    if batch.status not in (ImportStatus.CHECKING, ImportStatus.APPLYING) or batch.heartbeat_dt is None:
        return False
    return (clock.now() - batch.heartbeat_dt).total_seconds() > STALE_SECONDS


@bp.route("/imports/<int:batch_id>/progress.json")
@login_required
def import_progress(batch_id):
    batch = _load_batch(batch_id)
    return {
        "status": batch.status,
        "done_rows": batch.done_rows,
        "total_rows": batch.total_rows,
        "percent": batch.percent,
        "counts": batch.counts,
    }


@bp.route("/imports/<int:batch_id>/columns", methods=["POST"])
@login_required
def map_columns(batch_id):
    batch = _load_batch(batch_id)
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    if batch.user_id != current_user.id:
        abort(403)
    width = len(batch.headers or [])
    mapping = {}
    for column in columns.columns_of(batch.kind):
        value = positive_int(request.form.get(f"col_{column.field}"), 0)
        if 1 <= value <= width:
            mapping[column.field] = value - 1
    with refusals() as done:
        imports.set_mapping(batch, mapping)
        _check_now_or_later(batch)
    return redirect(url_for("enrolment.show_import", batch_id=batch.id)) if done else (show_import(batch_id), 422)


@bp.route("/imports/<int:batch_id>/confirm", methods=["POST"])
@login_required
def confirm_import(batch_id):
    batch = _load_batch(batch_id)
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    only_valid = request.form.get("only_valid") == "1"
    with refusals() as done:
        imports.confirm_import(batch, current_user, only_valid=only_valid)
        if batch.total_rows <= imports.background_rows():
            imports.apply_import(batch)
    if done and batch.status == ImportStatus.DONE:
        counts = batch.counts
        flash(
            _(
                "Imported: %(new)s new, %(changed)s changed, %(left)s marked left.",
                new=counts.get("new", 0),
                changed=counts.get("changed", 0),
                left=counts.get("left", 0),
            ),
            "success",
        )
    return redirect(url_for("enrolment.show_import", batch_id=batch.id)), (302 if done else 303)


@bp.route("/imports/<int:batch_id>/restart", methods=["POST"])
@login_required
def restart_import(batch_id):
    """Start again an import that failed or whose run was killed: nothing of it was written."""
    batch = _load_batch(batch_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if batch.user_id != current_user.id:
        abort(403)
    with refusals() as done:
        imports.restart_import(batch, stalled=_stalled(batch))
    return redirect(url_for("enrolment.show_import", batch_id=batch.id)), (302 if done else 303)


@bp.route("/imports/<int:batch_id>/errors.xlsx")
@login_required
def error_file(batch_id):
    batch = _load_batch(batch_id)
    if not (batch.counts or {}).get("invalid"):
        abort(404)
    content = imports.error_workbook(batch, current_user)
    stem = batch.filename.rsplit(".", 1)[0]
    name = _("%(file)s - invalid rows", file=stem) + ".xlsx"
    from urllib.parse import quote

    return (
        content,
        200,
        {
            "Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "Content-Disposition": f"attachment; filename=\"errors.xlsx\"; filename*=UTF-8''{quote(name)}",
        },
    )
