"""Pages of finding children: the register matching (四查三比对), the class attendance sheet and
the contact tasks absences raise."""

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from caseworks.core import clock, permissions
from caseworks.core.choices import AbsenceReason, option
from caseworks.core.numbers import positive_int
from caseworks.core.terms import school_year_label
from caseworks.core.views import page_status, refusals
from caseworks.enrolment import absences, matching, queries
from caseworks.enrolment.blueprint import bp
from caseworks.enrolment.forms import AttendanceForm, MatchOpenForm, TaskDoneForm
from caseworks.enrolment.models import Absence
from caseworks.enrolment.views import _require, _year_arg
from caseworks.extensions import db

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
