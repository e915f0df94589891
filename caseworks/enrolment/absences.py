"""Absence reports: a teacher records who is absent, caseworks counts consecutive school days
and, by the county's policy profile, asks the teacher to contact the family (first trigger,
default one day) and opens a suspected case with a planned joint home visit (second trigger,
default three days). School days are Monday to Friday."""

from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from caseworks.cases import operations as case_operations
from caseworks.core import audit, clock, permissions
from caseworks.core.choices import AbsenceReason, CaseSource, ContactTaskKind, EnrolmentStatus, Role
from caseworks.core.errors import Refused
from caseworks.core.policy import profile_for
from caseworks.enrolment.models import Absence, ContactTask
from caseworks.extensions import db

#: the furthest back a run of absences is followed (four school weeks and more)
LOOK_BACK_DAYS = 40


class AbsenceError(Refused):
    """A rule of absence reports refused the change."""


def is_school_day(day):
    return day.weekday() < 5


def previous_school_day(day):
    day -= timedelta(days=1)
    while not is_school_day(day):
        day -= timedelta(days=1)
    return day


def next_school_day(day):
    day += timedelta(days=1)
    while not is_school_day(day):
        day += timedelta(days=1)
    return day


def counts_toward_run(absence):
    """A whole day away without approved leave counts; a half day (the pupil came) or approved
    leave ends the run."""
    return absence is not None and not absence.is_half_day and absence.reason != AbsenceReason.LEAVE


def run_of(enrolment, day):
    """``(first day, number of school days)`` of the run of absences that holds ``day``
    (``(None, 0)`` if ``day`` does not count)."""
    rows = db.session.scalars(
        select(Absence).where(
            Absence.enrolment_id == enrolment.id,
            Absence.absence_date.between(day - timedelta(days=LOOK_BACK_DAYS), day + timedelta(days=LOOK_BACK_DAYS)),
        )
    ).all()
    by_day = {a.absence_date: a for a in rows}
    if not counts_toward_run(by_day.get(day)):
        return None, 0
    first, length = day, 1
    while counts_toward_run(by_day.get(previous_school_day(first))):
        first = previous_school_day(first)
        length += 1
    last = day
    while counts_toward_run(by_day.get(next_school_day(last))):
        last = next_school_day(last)
        length += 1
    return first, length


def record_absences(school, day, marks, by, *, enrolments):
    """Record a class's attendance for one school day: ``marks`` maps an enrolment id to None
    (present) or ``(is_half_day, reason)``. Only the school's own staff record it, for a school
    day that is not in the future, for pupils on the school's roll. Each absence then runs the
    profile's triggers. Returns ``{"absent": n, "tasks": n, "cases": [case, ...]}``."""
    if not permissions.may_record_absence(by, school.id):
        raise AbsenceError(_l("Only the staff of the pupil's school record absences."))
    if day > clock.today():
        raise AbsenceError(_l("Absences cannot be recorded for a day in the future."), "absence_date")
    if not is_school_day(day):
        raise AbsenceError(_l("%(date)s is not a school day.", date=day.isoformat()), "absence_date")
    pupils = {e.id: e for e in enrolments if e.school_id == school.id and e.status == EnrolmentStatus.ENROLLED}
    existing = {
        a.enrolment_id: a
        for a in db.session.scalars(
            select(Absence).where(Absence.absence_date == day, Absence.enrolment_id.in_(list(pupils)))
        )
    }
    changed = []
    for enrolment_id, mark in marks.items():
        enrolment = pupils.get(enrolment_id)
        if enrolment is None:
            continue
        have = existing.get(enrolment_id)
        if mark is None:
            if have is not None:
                db.session.delete(have)
                changed.append(enrolment_id)
            continue
        is_half_day, reason = mark
        reason = AbsenceReason(reason)
        if have is None:
            db.session.add(
                Absence(
                    enrolment_id=enrolment_id,
                    absence_date=day,
                    is_half_day=bool(is_half_day),
                    reason=reason,
                    recorded_by_id=by.id,
                    recorded_dt=clock.now(),
                )
            )
            changed.append(enrolment_id)
        elif (have.is_half_day, have.reason) != (bool(is_half_day), reason):
            have.is_half_day, have.reason = bool(is_half_day), reason
            changed.append(enrolment_id)
    db.session.flush()
    absent = [eid for eid, mark in marks.items() if mark is not None and eid in pupils]
    if changed:
        audit.record(
            "change",
            f"attendance recorded for {day.isoformat()}: {len(absent)} absent",
            module="enrolment",
            actor=by,
            data={"date": day, "school_id": school.id, "absent": len(absent), "changed": len(changed)},
        )
    profile = profile_for(school.county_id)
    summary = {"absent": len(absent), "tasks": 0, "cases": []}
    for enrolment_id in absent:
        tasks, case = apply_triggers(pupils[enrolment_id], day, by, profile)
        summary["tasks"] += tasks
        if case is not None:
            summary["cases"].append(case)
    return summary


def apply_triggers(enrolment, day, by, profile=None):
    """The profile's triggers for the run of absences holding ``day``: at
    ``absence_contact_days`` a task on the recorder's "my visits" to contact the family; at
    ``absence_report_days`` a suspected case (source: absence report) with a joint home visit
    planned for today, unless the child already has an open case. Without a known household
    village the case cannot be placed: the recorder is asked to register it by hand. Idempotent:
    one task of each kind per run. Returns ``(tasks made, case opened or None)``."""
    profile = profile or profile_for(enrolment.school.county_id)
    first, length = run_of(enrolment, day)
    if length == 0:
        return 0, None
    made, case = 0, None
    if length >= profile.absence_contact_days:
        made += _task(enrolment, ContactTaskKind.CONTACT_FAMILY, first, by)
    if length >= profile.absence_report_days:
        child = enrolment.child
        if case_operations.open_case_for(child) is None:
            village = enrolment.village or child.household_village
            if village is None:
                made += _task(enrolment, ContactTaskKind.OPEN_CASE_BY_HAND, first, by)
            else:
                case = _open_case(enrolment, village, first, length, by)
    return made, case


def _task(enrolment, kind, first, by):
    exists = db.session.scalar(
        select(ContactTask.id).where(
            ContactTask.enrolment_id == enrolment.id, ContactTask.kind == kind, ContactTask.run_start == first
        )
    )
    if exists is not None:
        return 0
    task = ContactTask(
        enrolment_id=enrolment.id,
        kind=kind,
        run_start=first,
        assignee_id=by.id,
        due_date=clock.today(),
        created_dt=clock.now(),
    )
    db.session.add(task)
    db.session.flush()
    audit.record(
        "create",
        f"contact task: {kind}",
        module="enrolment",
        actor=by,
        target=task,
        data={"enrolment_id": enrolment.id, "run_start": first},
    )
    return 1


def _open_case(enrolment, village, first, length, by):
    from caseworks.accounts.models import User
    from caseworks.visits import operations as visit_operations

    case = case_operations.open_suspected_case(
        enrolment.child,
        by,
        village=village,
        school=enrolment.school,
        grade=enrolment.grade,
        class_name=enrolment.class_name,
        source=CaseSource.ABSENCES,
        source_date=first,
        guardian=(enrolment.guardian_name, enrolment.guardian_phone),
        situation=str(_l("Absent %(days)s school days in a row from %(date)s.", days=length, date=first.isoformat())),
    )
    # the joint visit goes with the village's cadre, when the village has one
    cadres = db.session.scalars(
        select(User).where(User.role == Role.VILLAGE_CADRE, User.area_id == village.id, User.is_active)
    ).all()
    if len(cadres) == 1:
        case_operations.assign_cadre(case, cadres[0], by, case.version)
    visit = visit_operations.plan_visit(case, {"due_date": clock.today(), "assignee_id": by.id}, by)
    visit.extra = {"joint": True, "reason": "absences"}
    db.session.flush()
    return case


def complete_task(task, by, note):
    """The teacher contacted the family (or registered the child): the task leaves their list."""
    if task.assignee_id != by.id:
        raise AbsenceError(_l("This task is someone else's."))
    if task.done_dt is not None:
        raise AbsenceError(_l("This task is already done."))
    task.done_dt = clock.now()
    task.done_by_id = by.id
    task.note = (note or "").strip()[:2000]
    db.session.flush()
    audit.record("change", f"contact task done: {task.kind}", module="enrolment", actor=by, target=task)
    return task
