"""Every change to visits, contacts and support measures. Each function checks its rule,
changes the objects, flushes, writes the audit entry and never commits."""

from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from caseworks.core import audit, clock, permissions
from caseworks.core.choices import VISITOR_OF_ROLE, Line, VisitPurpose
from caseworks.core.errors import Refused
from caseworks.core.policy import profile_for
from caseworks.extensions import db
from caseworks.visits import cadence, queries
from caseworks.visits.models import SupportMeasure, Visit, VisitPhoto
from caseworks.visits.queries import open_planned_visit, visit_by_client_uuid


class VisitError(Refused):
    """A rule of visits and contacts refused the change."""


class SubmissionReused(VisitError):
    """A ``client_uuid`` already recorded on another case: one submission cannot be two visits."""


#: what a done visit records, as handed over by the form or the API
VISIT_FIELDS = (
    "visit_date",
    "method",
    "visitors",
    "visitor_names",
    "met_with",
    "findings",
    "guardian_attitude",
    "child_willingness",
    "outcome",
    "agreed_return_date",
    "next_step",
    "latitude",
    "longitude",
)


def open_planned_visits(case):
    """The case's planned visits not yet done or cancelled, earliest first."""
    return db.session.scalars(
        select(Visit).where(Visit.case_id == case.id, open_planned_visit()).order_by(Visit.due_date, Visit.id)
    ).all()


def _look_assignee(case, last_look):
    """Who the next county look goes to: the county person who made the last one, while they
    still work for the county on this case."""
    from caseworks.accounts.models import User

    if last_look is None or last_look[1] is None:
        return None
    person = db.session.get(User, last_look[1])
    if person is not None and permissions.may_log_county_look(person, case):
        return person.id
    return None


def ensure_planned(case, profile=None):
    """Keep the case's planned visits as the cadence wants them: one regular visit ahead for
    each line (the teacher and the village cadre, each due by its own cadence from its own last
    contact, each for the person holding the line), the county's monthly look for orphans and
    de-facto unsupported children, and the visit before a health deferral ends. Visits planned by
    hand stay while the case is visited; everything else is cancelled. Returns the open planned
    visits, earliest first. Idempotent: calling it twice changes nothing the second time."""
    profile = profile or profile_for(case.county_id)
    contacts = {line: day for (_case_id, line), day in queries.line_contact_dates([case.id]).items()}
    is_look_case = cadence.needs_county_look(case)
    last_look = queries.last_county_looks([case.id]).get(case.id) if is_look_case else None
    wanted = cadence.wanted_visits(
        case,
        profile,
        contacts=contacts,
        is_look_case=is_look_case,
        last_look=last_look[0] if last_look else None,
        look_assignee=_look_assignee(case, last_look),
        deferral_done=_deferral_checked(case),
    )
    now, today = clock.now(), clock.today()
    inserts, changes, cancels = cadence.reconcile(
        wanted, open_planned_visits(case), today, visited=cadence.rule_for(case.stage, profile) is not None
    )
    for visit in cancels:
        visit.cancelled_dt = now
    for visit, values in changes:
        for name, value in values.items():
            setattr(visit, name, value)
    for slot, due, purpose, assignee_id in inserts:
        db.session.add(
            Visit(
                case_id=case.id,
                due_date=due,
                purpose=purpose,
                line=slot[1] if slot[0] == "line" else None,
                assignee_id=assignee_id,
                planned_dt=now,
                is_overdue=due < today,
            )
        )
    db.session.flush()
    return open_planned_visits(case)


def _deferral_checked(case):
    """Whether the visit before the end of the case's health deferral was made."""
    due = cadence.deferral_check_due(case)
    if due is None:
        return False
    return (
        db.session.scalar(
            select(Visit.id)
            .where(
                Visit.case_id == case.id,
                Visit.purpose == VisitPurpose.DEFERRAL_CHECK,
                Visit.due_date == due,
                Visit.done_dt.is_not(None),
            )
            .limit(1)
        )
        is not None
    )


def people_to_plan_for(case, by):
    """Who a visit on ``case`` may be planned for: its teacher and its village cadre, and ``by``
    themselves when their role goes on visits (a school leader, a township official)."""
    people = [u for u in (case.teacher, case.cadre) if u is not None]
    if by.role in VISITOR_OF_ROLE and all(u.id != by.id for u in people):
        people.append(by)
    return people


def plan_visit(case, data, by):
    """Plan a visit by hand (who should go, by when): not due in the past, and only for one of
    :func:`people_to_plan_for`."""
    if data["due_date"] < clock.today():
        raise VisitError(_l("A planned visit cannot be due in the past."), "due_date")
    if all(u.id != data["assignee_id"] for u in people_to_plan_for(case, by)):
        raise VisitError(
            _l("A visit can be planned only for the case's teacher or village cadre, or for yourself."),
            "assignee_id",
        )
    visit = Visit(
        case_id=case.id,
        due_date=data["due_date"],
        assignee_id=data["assignee_id"],
        purpose=VisitPurpose.MANUAL,
        planned_dt=clock.now(),
    )
    db.session.add(visit)
    db.session.flush()
    audit.record(
        "create",
        "visit planned",
        module="visits",
        actor=by,
        target=visit,
        case=case,
        data={"after": {"due_date": visit.due_date, "assignee_id": visit.assignee_id}},
    )
    return visit


def assign_county_look(visit, case, person, by):
    """Give the county's monthly look to a named county staff member: an active county reviewer
    who holds the case. Once logged, the look is done; a look already logged is refused."""
    if not visit.is_county_look or visit.done_dt or visit.cancelled_dt:
        raise VisitError(_l("This planned visit was already logged or cancelled."))
    if not person.is_active or not permissions.may_log_county_look(person, case):
        raise VisitError(_l("Choose a county staff member who works on this case."), "assignee_id")
    before = visit.assignee_id
    visit.assignee_id = person.id
    db.session.flush()
    audit.record(
        "assign",
        f"county look given to {person.full_name}",
        module="visits",
        actor=by,
        target=visit,
        case=case,
        data={"before": {"assignee_id": before}, "after": {"assignee_id": person.id}},
    )
    return visit


def record_phones_shown(cases, by):
    """Record that ``by`` was shown the guardians' phone numbers of ``cases`` (the visit cards of
    "my visits" carry them, to call from the field): one audit entry per case."""
    for case in {c.id: c for c in cases}.values():
        audit.record(
            "view_sensitive",
            "guardian phones shown on my visits",
            module="visits",
            actor=by,
            target=case,
            case=case,
        )


def log_visit(case, data, by, *, planned=None, client_uuid=None, photos=()):
    """Record a visit or contact as done: fills in ``planned`` if given, else logs an unplanned
    contact. Returns ``(visit, created)``.

    A submission whose ``client_uuid`` was already recorded on this case returns that visit with
    ``created`` False and changes nothing (a retried sync never logs a visit twice); one recorded
    on another case is refused (:class:`SubmissionReused`). The visit may not be dated in the
    future or before the case opened, and needs an outcome; a planned visit is logged once. The
    case's last contact moves on and its next visit is planned by the cadence."""
    existing = visit_by_client_uuid(client_uuid)
    if existing is not None:
        if existing.case_id != case.id:
            raise SubmissionReused(_l("This submission was already recorded on another case."))
        return existing, False
    visit_date = data["visit_date"]
    if visit_date > clock.today():
        raise VisitError(_l("A visit that has been done cannot be dated in the future."), "visit_date")
    if visit_date < case.opened_date:
        raise VisitError(
            _l(
                "The case was opened on %(date)s; a visit before that belongs to no case.",
                date=format_date(case.opened_date),
            ),
            "visit_date",
        )
    if not data.get("outcome"):
        raise VisitError(_l("Choose the outcome of the visit."), "outcome")
    if planned is not None and (planned.case_id != case.id or planned.done_dt or planned.cancelled_dt):
        raise VisitError(_l("This planned visit was already logged or cancelled."))
    if not permissions.may_log_planned_visit(by, case, planned):
        if planned is not None and planned.is_county_look:
            raise VisitError(_l("The county's monthly look is logged by the county staff who made it."))
        raise VisitError(_l("This planned visit is another person's: log a visit of your own instead."))
    visit = planned or Visit(case_id=case.id, purpose=VisitPurpose.MANUAL)
    for name in VISIT_FIELDS:
        setattr(visit, name, data.get(name) if data.get(name) not in ("", None) else _empty(name))
    lines = cadence.lines_of(visit.visitors)
    if not lines and by.role in VISITOR_OF_ROLE:  # nobody ticked: the person logging it went
        lines = cadence.lines_of([VISITOR_OF_ROLE[by.role]])
    visit.is_teacher_line = Line.TEACHER in lines
    visit.is_cadre_line = Line.CADRE in lines
    visit.client_uuid = client_uuid or None
    visit.done_dt = clock.now()
    visit.logged_by_id = by.id
    visit.is_overdue = False
    visit.stage_at_visit = case.stage
    if planned is None:
        db.session.add(visit)
    db.session.flush()
    for photo in photos:
        db.session.add(
            VisitPhoto(
                visit_id=visit.id,
                filename=photo["filename"][:200],
                content_type=photo["content_type"],
                data=photo["data"],
                uploaded_dt=clock.now(),
            )
        )
    if case.last_contact_date is None or visit_date > case.last_contact_date:
        case.last_contact_date = visit_date
    case.is_stale = False
    audit.record(
        "create",
        f"visit logged: {visit.method} ({visit.outcome})",
        module="visits",
        actor=by,
        target=visit,
        case=case,
        data={
            "after": {
                name: getattr(visit, name)
                for name in ("visit_date", "method", "outcome", "visitors", "agreed_return_date")
            },
            "planned_visit_id": planned.id if planned else None,
        },
    )
    ensure_planned(case)
    return visit, True


def _empty(name):
    return {"visitors": [], "visitor_names": "", "met_with": "", "findings": "", "next_step": ""}.get(name)


def cancel_visit(visit, case, by, reason):
    """Cancel a planned visit, with a reason; one already logged or cancelled is refused. The
    cadence then plans the next regular visit."""
    if visit.done_dt or visit.cancelled_dt:
        raise VisitError(_l("This planned visit was already logged or cancelled."))
    visit.cancelled_dt = clock.now()
    visit.extra = {**(visit.extra or {}), "cancel_reason": reason}
    db.session.flush()
    audit.record(
        "change", "planned visit cancelled", module="visits", actor=by, target=visit, case=case, data={"reason": reason}
    )
    ensure_planned(case)


def add_support_measure(case, data, by):
    """Record a support measure on the case, with who is responsible and from when; it may not
    end before it starts."""
    if data.get("end_date") and data["end_date"] < data["start_date"]:
        raise VisitError(_l("The end date lies before the start date."), "end_date")
    measure = SupportMeasure(
        case_id=case.id,
        kind=data["kind"],
        detail=data.get("detail") or "",
        department=data.get("department") or "",
        responsible=data["responsible"].strip(),
        start_date=data["start_date"],
        end_date=data.get("end_date"),
        created_by_id=by.id,
        created_dt=clock.now(),
    )
    db.session.add(measure)
    db.session.flush()
    audit.record(
        "create",
        f"support measure added: {measure.kind}",
        module="visits",
        actor=by,
        target=measure,
        case=case,
        data={
            "after": {
                "kind": measure.kind,
                "responsible": measure.responsible,
                "start_date": measure.start_date,
                "end_date": measure.end_date,
            }
        },
    )
    return measure
