"""Every stage change of a case, in one place.

A transition is named, has a guard (what must be true of the case, read against the county's
policy profile) and a role rule (who may make it). :func:`apply` checks both, moves the stage,
records a :class:`StageChange` and an audit entry, and never commits. No form or view writes
``Case.stage`` itself. :func:`options` tells the case page which steps the user may take now
and, for the others, which guard is unmet and what to do.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from markupsafe import escape
from sqlalchemy import func, select

from caseworks.core import audit, clock, permissions
from caseworks.core.choices import LADDER_STAGES, CaseKind, ClosedOutcome, Line, Role, Stage
from caseworks.core.errors import Refused
from caseworks.core.policy import profile_for
from caseworks.extensions import db
from caseworks.ladder.models import ClosureRequest, Notice, StageChange
from caseworks.ladder.operations import record_legal_step


class TransitionRefused(Refused):
    """The transition may not happen now; ``message`` says why and what to do."""


@dataclass(frozen=True)
class Transition:
    name: str
    label: object
    from_stages: tuple
    #: the stage it leads to; None when it depends on the case (back to the stage it left)
    to_stage: Stage | None
    #: roles that may make it; assignees (teacher, cadre) only on their own cases
    roles: tuple
    reason_required: bool = False
    #: ``guard(case, profile) -> [unmet messages]``
    guard: object = None
    #: ``effect(case, actor, data, reason) -> stage or None``: what happens besides the stage
    effect: object = None
    #: which extra form the step needs (return, closure, legal_step), if any
    form: str | None = None
    #: made by the scheduler, never by a person
    system_only: bool = False

    def allowed_for(self, user, case):
        """Whether ``user`` may take it on ``case`` (:func:`permissions.may_take_transition`)."""
        return permissions.may_take_transition(user, case, self)

    def unmet(self, case, profile=None):
        if self.guard is None:
            return []
        return self.guard(case, profile or profile_for(case.county_id))


# -- guards --------------------------------------------------------------------------------


@dataclass(frozen=True)
class MissingLine:
    """An unmet guard: nobody holds one of the case's two lines yet. A step that asks for the
    lines (``form="lines"``) lets a user who may assign that line choose the person right there."""

    line: Line
    message: object

    def __str__(self):
        return str(self.message)

    def __html__(self):
        return str(escape(str(self.message)))


def _assigned(case, profile=None):
    """Both lines are held (双线控辍): DESIGN.md's rule for a case leaving its first stage. The
    messages say who assigns each line."""
    unmet = []
    if case.teacher_id is None:
        unmet.append(
            MissingLine(
                Line.TEACHER,
                _l("No assigned teacher yet (双线控辍): the school administrator of the case's school assigns one."),
            )
        )
    if case.cadre_id is None:
        unmet.append(
            MissingLine(
                Line.CADRE, _l("No village cadre yet (双线控辍): the official of the case's township assigns one.")
            )
        )
    return unmet


def lines_to_ask(user, case):
    """The lines nobody holds on ``case`` that ``user`` may assign (a step asks for them)."""
    lines = []
    if case.teacher_id is None and permissions.may_assign_teacher(user, case):
        lines.append(Line.TEACHER)
    if case.cadre_id is None and permissions.may_assign_cadre(user, case):
        lines.append(Line.CADRE)
    return lines


def persuasion_counts(case, stage=Stage.SCHOOL_PERSUASION):
    """(contacts, home visits) recorded while the case stood at ``stage``."""
    from caseworks.core.choices import VisitMethod
    from caseworks.visits.models import Visit

    contacts, home = db.session.execute(
        select(func.count(), func.count().filter(Visit.method == VisitMethod.HOME_VISIT)).where(
            Visit.case_id == case.id, Visit.done_dt.is_not(None), Visit.stage_at_visit == stage
        )
    ).one()
    return contacts, home


def _school_persuasion_done(case, profile):
    unmet = _assigned(case)
    contacts, home = persuasion_counts(case)
    if contacts < profile.min_persuasion_contacts:
        unmet.append(
            _l(
                "At least %(n)s persuasion contacts must be recorded at school persuasion (%(have)s so far): "
                "log visits and calls.",
                n=profile.min_persuasion_contacts,
                have=contacts,
            )
        )
    if home < profile.min_home_visits:
        unmet.append(
            _l("At least %(n)s of them must be home visits (%(have)s so far).", n=profile.min_home_visits, have=home)
        )
    return unmet


def served_notices(case):
    """The served notices of ``case``, latest first."""
    return db.session.scalars(
        select(Notice)
        .where(Notice.case_id == case.id, Notice.served_date.is_not(None))
        .order_by(Notice.served_date.desc(), Notice.id.desc())
    ).all()


def _notice_served(case, profile):
    unmet = _assigned(case)
    if not served_notices(case):
        unmet.append(
            _l(
                "A written notice with a deadline must be issued and its service recorded first: "
                "issue the notice, print it, serve it, then record the served date."
            )
        )
    return unmet


def _deadline_lapsed(case, profile):
    notices = served_notices(case)
    if not notices:
        return [_l("No served notice: the judicial procedure follows a notice whose deadline has passed.")]
    latest = notices[0]
    if latest.deadline_date >= clock.today():
        return [
            _l(
                "The deadline of notice %(no)s runs until %(date)s; the judicial procedure may start after it.",
                no=latest.document_no,
                date=format_date(latest.deadline_date),
            )
        ]
    return []


def _monitoring_over(case, profile):
    if case.monitoring_until is None or case.monitoring_until > clock.today():
        return [
            _l(
                "The monitoring period runs until %(date)s.",
                date=format_date(case.monitoring_until) if case.monitoring_until else "—",
            )
        ]
    return []


def open_closure_request(case):
    """The closure request of ``case`` waiting for a decision, or None."""
    return db.session.scalar(
        select(ClosureRequest).where(ClosureRequest.case_id == case.id, ClosureRequest.decided_dt.is_(None))
    )


def _deferral_expired(case, profile):
    if case.closed_until is None or case.closed_until >= clock.today():
        return [_l("The deferral has not expired.")]
    return []


# -- effects -------------------------------------------------------------------------------


def _confirm(case, actor, data, reason):
    case.kind = CaseKind.DROPPED_OUT


def _dismiss(case, actor, data, reason):
    case.closed_outcome = ClosedOutcome.DISMISSED
    case.closed_date = clock.today()
    case.dismissed_reason = reason


def _start_judicial(case, actor, data, reason):
    """The judicial procedure starts with its first legal step, recorded with it."""
    record_legal_step(case, data, actor)


def _record_return(case, actor, data, reason):
    """The school confirms the child is back: the monitoring period starts."""
    return_date = data["return_date"]
    if return_date > clock.today():
        raise TransitionRefused(_l("The return date lies in the future."), "return_date")
    if return_date < case.opened_date:
        raise TransitionRefused(_l("The return date lies before the case was opened."), "return_date")
    profile = profile_for(case.county_id)
    case.resume_stage = case.stage
    case.return_date = return_date
    case.return_school_id = data["school_id"]
    case.return_class = data.get("class_name") or None
    case.return_confirmed_by = data["confirmed_by"].strip()
    case.monitoring_until = return_date + timedelta(days=profile.monitoring_days)


def _relapse(case, actor, data, reason):
    """The child stopped again during monitoring: back to the stage they left, counted."""
    case.relapse_count += 1
    case.monitoring_until = None
    return case.resume_stage or Stage.SCHOOL_PERSUASION


def _request(case, actor, outcome, details):
    came_from = case.resume_stage if case.stage == Stage.RETURNED else case.stage
    request = ClosureRequest(
        case_id=case.id,
        outcome=outcome,
        details=audit.jsonable(details or {}),
        from_stage=came_from or Stage.SCHOOL_PERSUASION,
        requested_by_id=actor.id if actor else None,
        requested_dt=clock.now(),
    )
    db.session.add(request)


def _end_monitoring(case, actor, data, reason):
    _request(
        case,
        None,
        ClosedOutcome.RETURNED_TO_SCHOOL,
        {"return_date": case.return_date, "monitoring_until": case.monitoring_until},
    )


def _request_closure(case, actor, data, reason):
    if data["outcome"] == ClosedOutcome.RETURNED_TO_SCHOOL and case.stage != Stage.SUPPORT:
        raise TransitionRefused(
            _l("A return is recorded with “Record the return to school” and monitored before the county reviews it."),
            "outcome",
        )
    if data["outcome"] == ClosedOutcome.DISMISSED:
        raise TransitionRefused(_l("Only a suspected case is dismissed, at verification."), "outcome")
    _request(case, actor, data["outcome"], data.get("details"))


def _decide(case, actor, decision, reason):
    request = open_closure_request(case)
    if request is None:
        raise TransitionRefused(_l("There is no closure request to decide."))
    if actor is not None and not permissions.may_decide_closure(actor, request):
        raise TransitionRefused(_l("You asked for this closure: another reviewer must decide it."))
    request.decided_by_id = actor.id
    request.decided_dt = clock.now()
    request.decision = decision
    request.decision_reason = reason
    return request


def _approve(case, actor, data, reason):
    request = _decide(case, actor, "approved", reason)
    case.closed_outcome = request.outcome
    case.closed_date = clock.today()
    until = (request.details or {}).get("until")
    case.closed_until = date.fromisoformat(until) if until else None


def _send_back(case, actor, data, reason):
    request = _decide(case, actor, "sent_back", reason)
    return request.from_stage


def _reopen(case, actor, data, reason):
    case.closed_outcome = None
    case.closed_date = None
    case.closed_until = None
    case.relapse_count += 1
    return case.resume_stage or Stage.SCHOOL_PERSUASION


def _deferral_review(case, actor, data, reason):
    _request(case, None, ClosedOutcome.HEALTH_DEFERRAL, {"expired": case.closed_until})
    case.closed_outcome = None
    case.closed_date = None


def _no_open_request(case, profile):
    if open_closure_request(case) is not None:
        return [_l("A closure request is already waiting for review.")]
    return []


def _reviewable(case, profile):
    request = open_closure_request(case)
    return [] if request is not None else [_l("There is no closure request to decide.")]


BEFORE_REVIEW = (Stage.VERIFICATION, Stage.SUPPORT, *LADDER_STAGES, Stage.RETURNED)

TRANSITIONS = {
    t.name: t
    for t in (
        Transition(
            "confirm_dropout",
            _l("Confirm the dropout"),
            (Stage.VERIFICATION,),
            Stage.SCHOOL_PERSUASION,
            permissions.CASE_WORKERS,
            guard=_assigned,
            effect=_confirm,
            form="lines",
        ),
        Transition(
            "dismiss_suspicion",
            _l("Dismiss the suspicion"),
            (Stage.VERIFICATION,),
            Stage.CLOSED,
            (Role.SCHOOL_ADMIN, Role.TOWNSHIP_OFFICIAL),
            reason_required=True,
            effect=_dismiss,
        ),
        Transition(
            "stopped_attending",
            _l("Report that the child stopped attending"),
            (Stage.SUPPORT,),
            Stage.SCHOOL_PERSUASION,
            permissions.CASE_WORKERS,
            reason_required=True,
            guard=_assigned,
            effect=_confirm,
            form="lines",
        ),
        Transition(
            "escalate_township",
            _l("Escalate to township persuasion"),
            (Stage.SCHOOL_PERSUASION,),
            Stage.TOWNSHIP_PERSUASION,
            (Role.SCHOOL_ADMIN,),
            reason_required=True,
            guard=_school_persuasion_done,
        ),
        Transition(
            "escalate_administrative",
            _l("Start the administrative procedure"),
            (Stage.TOWNSHIP_PERSUASION,),
            Stage.ADMINISTRATIVE,
            (Role.TOWNSHIP_OFFICIAL,),
            reason_required=True,
            guard=_notice_served,
        ),
        Transition(
            "escalate_judicial",
            _l("Start the judicial procedure"),
            (Stage.ADMINISTRATIVE,),
            Stage.JUDICIAL,
            (Role.TOWNSHIP_OFFICIAL, Role.COUNTY_REVIEWER),
            reason_required=True,
            guard=_deadline_lapsed,
            effect=_start_judicial,
            form="legal_step",
        ),
        Transition(
            "record_return",
            _l("Record the return to school"),
            (Stage.VERIFICATION, *LADDER_STAGES),
            Stage.RETURNED,
            (Role.SCHOOL_ADMIN, Role.TOWNSHIP_OFFICIAL),
            effect=_record_return,
            form="return",
        ),
        Transition(
            "relapse",
            _l("The child stopped attending again"),
            (Stage.RETURNED,),
            None,
            (Role.TEACHER, Role.SCHOOL_ADMIN, Role.TOWNSHIP_OFFICIAL),
            reason_required=True,
            effect=_relapse,
        ),
        Transition(
            "end_monitoring",
            _l("End of monitoring: to county review"),
            (Stage.RETURNED,),
            Stage.PENDING_REVIEW,
            (),
            guard=_monitoring_over,
            effect=_end_monitoring,
            system_only=True,
        ),
        Transition(
            "request_closure",
            _l("Ask to close the case"),
            BEFORE_REVIEW,
            Stage.PENDING_REVIEW,
            (Role.SCHOOL_ADMIN, Role.TOWNSHIP_OFFICIAL),
            reason_required=True,
            guard=_no_open_request,
            effect=_request_closure,
            form="closure",
        ),
        Transition(
            "approve_closure",
            _l("Approve the closure"),
            (Stage.PENDING_REVIEW,),
            Stage.CLOSED,
            (Role.COUNTY_REVIEWER,),
            guard=_reviewable,
            effect=_approve,
        ),
        Transition(
            "send_back",
            _l("Send back"),
            (Stage.PENDING_REVIEW,),
            None,
            (Role.COUNTY_REVIEWER,),
            reason_required=True,
            guard=_reviewable,
            effect=_send_back,
        ),
        Transition(
            "reopen",
            _l("Reopen the case"),
            (Stage.CLOSED,),
            None,
            (Role.COUNTY_REVIEWER,),
            reason_required=True,
            effect=_reopen,
        ),
        Transition(
            "deferral_expired",
            _l("Deferral expired: to county review"),
            (Stage.CLOSED,),
            Stage.PENDING_REVIEW,
            (),
            guard=_deferral_expired,
            effect=_deferral_review,
            system_only=True,
        ),
    )
}


def options(user, case):
    """``[(transition, unmet messages)]`` for the steps of the case's stage that the user's role
    may take: an empty list of messages means the step can be taken now."""
    if user is None:
        return []
    profile = profile_for(case.county_id)
    found = []
    for t in TRANSITIONS.values():
        if case.stage in t.from_stages and t.allowed_for(user, case):
            found.append((t, unmet_for(user, case, t, profile)))
    return found


def unmet_for(user, case, transition, profile=None):
    """The guards of ``transition`` still unmet for ``user``: a missing line that the step's own
    form lets the user fill in is not in the way."""
    unmet = transition.unmet(case, profile)
    if transition.form == "lines":
        fillable = set(lines_to_ask(user, case))
        unmet = [m for m in unmet if not (isinstance(m, MissingLine) and m.line in fillable)]
    return unmet


def available(user, case):
    """The transitions ``user`` may make on ``case`` now (guards met)."""
    return [t for t, unmet in options(user, case) if not unmet]


def apply(case, name, user, *, reason="", evidence="", data=None):
    """Make transition ``name`` on ``case``. ``user`` None is the scheduler.

    Refuses (TransitionRefused, with the reason and what to do) a transition from another
    stage, one the user's role may not make, one whose guard is unmet, and one that needs a
    reason given none.
    """
    transition = TRANSITIONS.get(name)
    if transition is None or case.stage not in transition.from_stages:
        raise TransitionRefused(_l("This step is not possible in the case's current stage."))
    if user is None:
        if not transition.system_only:
            raise TransitionRefused(_l("This step needs a person to take it."))
    elif not transition.allowed_for(user, case):
        raise TransitionRefused(_l("Your role may not take this step on this case."))
    reason = (reason or "").strip()
    if transition.reason_required and not reason:
        raise TransitionRefused(_l("Give the reason for this step."), "reason")
    if transition.form == "lines":
        _assign_lines(case, user, data or {})
    unmet = transition.unmet(case)
    if unmet:
        raise TransitionRefused(getattr(unmet[0], "message", unmet[0]))
    from_stage = case.stage
    before = {"stage": case.stage, "kind": case.kind, "closed_outcome": case.closed_outcome}
    to_stage = transition.to_stage
    if transition.effect is not None:
        to_stage = transition.effect(case, user, data or {}, reason) or to_stage
    case.stage = to_stage
    case.stage_entered_date = clock.today()
    change = StageChange(
        case_id=case.id,
        transition=name,
        from_stage=from_stage,
        to_stage=to_stage,
        actor_id=user.id if user else None,
        changed_dt=clock.now(),
        reason=reason,
        evidence=(evidence or "").strip(),
    )
    db.session.add(change)
    db.session.flush()
    after = {"stage": case.stage, "kind": case.kind, "closed_outcome": case.closed_outcome}
    audit.record(
        "transition",
        f"{name}: {from_stage} → {to_stage}",
        module="ladder",
        actor=user,
        target=case,
        case=case,
        data={
            "transition": name,
            **audit.changes(before, after),
            "reason": reason,
            "details": audit.jsonable(data or {}),
        },
    )
    _after_transition(case, name, user, reason, change)
    return change


def _assign_lines(case, user, data):
    """The people a step was given for the lines nobody held (``teacher_id``, ``cadre_id``),
    assigned as the case page would assign them."""
    from caseworks.cases import operations as case_ops

    for line, assign in ((Line.TEACHER, case_ops.assign_teacher), (Line.CADRE, case_ops.assign_cadre)):
        person_id = data.get(line.case_attr)
        if not person_id or getattr(case, line.case_attr) is not None:
            continue
        if line not in lines_to_ask(user, case):
            raise TransitionRefused(_l("Your role may not assign this line."), line.case_attr)
        person = case_ops.user_by_id(person_id)
        if person is None:
            raise TransitionRefused(_l("Choose a person from the list."), line.case_attr)
        try:
            assign(case, person, user, case.version)
        except Refused as refused:
            raise TransitionRefused(refused.message, line.case_attr) from None


def _after_transition(case, name, user, reason, change):
    """Keep the visit plan in step with the stage, and hand the case to whoever it now waits
    for (inbox): the township and the village cadre on township persuasion, the county's
    reviewers on pending review, the people on the case when a closure is decided."""
    from caseworks.inbox import handoffs
    from caseworks.inbox.operations import notify
    from caseworks.visits.operations import ensure_planned

    ensure_planned(case)
    if name == "escalate_township":
        handoffs.township_persuasion(case, change)
    if case.stage == Stage.PENDING_REVIEW:
        handoffs.pending_review(case, change)
    if name == "approve_closure":
        request = _last_request(case)
        handoffs.closure_approved(case, request, {case.teacher_id, case.cadre_id, request.requested_by_id})
    if name == "send_back":
        for user_id in {case.teacher_id, case.cadre_id, _last_requester(case)} - {None}:
            notify(
                user_id,
                "sent_back",
                _l("A closure was sent back: %(name)s", name=case.child.name),
                body=reason,
                case_id=case.id,
                dedupe_key=f"sent_back:{case.id}:{case.version}:{user_id}",
            )


def _last_request(case):
    return db.session.scalar(
        select(ClosureRequest).where(ClosureRequest.case_id == case.id).order_by(ClosureRequest.id.desc()).limit(1)
    )


def _last_requester(case):
    return db.session.scalar(
        select(ClosureRequest.requested_by_id)
        .where(ClosureRequest.case_id == case.id)
        .order_by(ClosureRequest.id.desc())
        .limit(1)
    )
