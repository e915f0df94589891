"""Pages of the enrolment register: the register, imports (upload, columns, preview, confirm,
error file, progress), the register matching (四查三比对), the attendance sheet and contact tasks."""

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from caseworks.core import clock, permissions, scope
from caseworks.core.choices import (
    AbsenceReason,
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
from caseworks.enrolment import absences, columns, imports, matching, pupils, queries
from caseworks.enrolment.blueprint import bp
from caseworks.enrolment.forms import AttendanceForm, MatchOpenForm, PupilForm, TaskDoneForm, UploadForm
from caseworks.enrolment.models import Absence
from caseworks.extensions import db

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


# -- register matching (四查三比对) ---------------------------------------------------------------


@bp.route("/matching")
@login_required
def matching_page():
    _require(permissions.may_run_matching(current_user))
    year = _year_arg()
    result = matching.match(current_user, year)
    villages = matching.villages_of(result.area) if any(i.village is None for i in result.suspected) else []
    form = MatchOpenForm()
    form.school_year.choices = [option(y, school_year_label(y)) for y in queries.school_years()]
    form.school_year.data = year
    return render_template(
        "enrolment/matching.html",
        result=result,
        year=year,
        years=[(y, school_year_label(y)) for y in queries.school_years()],
        villages=villages,
        form=form,
        may_open=permissions.may_open_found_cases(current_user),
    )


@bp.route("/matching/open", methods=["POST"])
@login_required
def open_found():
    _require(permissions.may_open_found_cases(current_user))
    form = MatchOpenForm()
    form.school_year.choices = [option(y, school_year_label(y)) for y in queries.school_years()]
    if not form.validate_on_submit():
        abort(400)
    chosen = {}
    for value in request.form.getlist("child"):
        child_id = positive_int(value, 0)
        if child_id:
            chosen[child_id] = positive_int(request.form.get(f"village_{child_id}"), 0) or None
    if not chosen:
        flash(_("Choose at least one child."), "error")
        return redirect(url_for("enrolment.matching_page", year=form.school_year.data))
    cases, refused = matching.open_found_cases(current_user, form.school_year.data, chosen)
    if cases:
        flash(
            _(
                "%(count)s suspected cases opened, in verification: %(names)s.",
                count=len(cases),
                names="、".join(c.child.name for c in cases),
            ),
            "success",
        )
    for name, message in refused:
        flash(f"{name}: {message}", "error")
    if len(cases) == 1 and not refused:
        return redirect(url_for("cases.case_detail", case_id=cases[0].id))
    return redirect(url_for("enrolment.matching_page", year=form.school_year.data))


# -- attendance ---------------------------------------------------------------------------------


def _staff_school():
    _require(permissions.may_record_absence(current_user))
    school = current_user.school
    if school is None:
        abort(403)
    return school


@bp.route("/attendance", methods=["GET", "POST"])
@login_required
def attendance():
    school = _staff_school()
    year = queries.current_school_year()
    classes = queries.classes_of(school.id, year)
    wanted = request.values.get("class", "")
    grade, _sep, class_name = wanted.partition("|")
    form = AttendanceForm()
    if request.method == "GET":
        form.absence_date.data = _date_arg() or clock.today()
    pupils = queries.class_roll(school.id, year, grade, class_name) if wanted else []
    done = None
    if pupils and form.validate_on_submit():
        marks = {}
        for enrolment in pupils:
            mark = request.form.get(f"mark_{enrolment.id}", "present")
            reason = request.form.get(f"reason_{enrolment.id}", AbsenceReason.UNKNOWN)
            if reason not in set(AbsenceReason):
                reason = AbsenceReason.UNKNOWN
            marks[enrolment.id] = None if mark == "present" else (mark == "half", reason)
        with refusals(form) as done:
            summary = absences.record_absences(school, form.absence_date.data, marks, current_user, enrolments=pupils)
        if done:
            flash(_("Attendance saved: %(count)s absent.", count=summary["absent"]), "success")
            if summary["tasks"]:
                flash(_("%(count)s families to contact are on your visits list.", count=summary["tasks"]), "warning")
            for case in summary["cases"]:
                flash(
                    _(
                        "%(name)s has been absent for days in a row: a suspected case is open with a joint home visit.",
                        name=case.child.name,
                    ),
                    "warning",
                )
            return redirect(
                url_for("enrolment.attendance", **{"class": wanted, "date": form.absence_date.data.isoformat()})
            )
    marks = {}
    day = form.absence_date.data
    if pupils and day:
        for a in db.session.scalars(
            db.select(Absence).where(Absence.absence_date == day, Absence.enrolment_id.in_([p.id for p in pupils]))
        ):
            marks[a.enrolment_id] = a
    return render_template(
        "enrolment/attendance.html",
        form=form,
        school=school,
        classes=classes,
        wanted=wanted,
        pupils=pupils,
        marks=marks,
        reasons=list(AbsenceReason),
    ), page_status(done)


def _date_arg():
    try:
        return date.fromisoformat(request.args.get("date", ""))
    except ValueError:
        return None


@bp.route("/contact-tasks/<int:task_id>/done", methods=["POST"])
@login_required
def task_done(task_id):
    task = queries.task_or_none(task_id, current_user)
    if task is None:
        abort(404)
    form = TaskDoneForm()
    if not form.validate_on_submit():
        abort(400)
    with refusals() as done:
        absences.complete_task(task, current_user, form.note.data)
    if done:
        flash(_("The task is done."), "success")
    return redirect(url_for("visits.my_visits"))
