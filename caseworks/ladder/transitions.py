"""Every stage change of a case, in one place.

A transition is named, has a guard (what must be true of the case) and a role rule (who may make
it). :func:`apply` checks both, moves the stage, records a :class:`StageChange` and an audit
entry, and never commits. No form or view writes ``Case.stage`` itself.
"""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from caseworks.core import audit, clock
from caseworks.core.choices import CaseKind, ClosedOutcome, Role, Stage
from caseworks.core.permissions import is_assignee
from caseworks.extensions import db
from caseworks.ladder.models import StageChange


class TransitionRefused(Exception):
    """The transition may not happen now; ``message`` says why and what to do."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


@dataclass(frozen=True)
class Transition:
    name: str
    label: object
    from_stages: tuple
    to_stage: Stage
    #: roles that may make it; assignees (teacher, cadre) only on their own cases
    roles: tuple
    reason_required: bool = False
    #: what happens to the case besides the stage (set kind, closing fields...)
    effect: object = None

    def allowed_for(self, user, case):
        if user.role not in self.roles:
            return False
        if user.role in (Role.TEACHER, Role.VILLAGE_CADRE):
            return is_assignee(user, case)
        return True


def _confirm(case, reason):
    case.kind = CaseKind.DROPPED_OUT


def _dismiss(case, reason):
    case.closed_outcome = ClosedOutcome.DISMISSED
    case.closed_date = clock.today()
    case.dismissed_reason = reason


TRANSITIONS = {
    t.name: t
    for t in (
        Transition(
            "confirm_dropout",
            _l("Confirm the dropout"),
            (Stage.VERIFICATION,),
            Stage.SCHOOL_PERSUASION,
            (Role.TEACHER, Role.VILLAGE_CADRE, Role.SCHOOL_ADMIN, Role.TOWNSHIP_OFFICIAL),
            effect=_confirm,
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
            (Role.TEACHER, Role.VILLAGE_CADRE, Role.SCHOOL_ADMIN, Role.TOWNSHIP_OFFICIAL),
            reason_required=True,
            effect=_confirm,
        ),
    )
}


def available(user, case):
    """The transitions ``user`` may make on ``case`` in its current stage."""
    return [t for t in TRANSITIONS.values() if case.stage in t.from_stages and t.allowed_for(user, case)]


def apply(case, name, user, *, reason="", evidence=""):
    """Make transition ``name`` on ``case`` for ``user``.

    Refuses (TransitionRefused) a transition from another stage, one the user's role may not
    make, and one that needs a reason given none.
    """
    transition = TRANSITIONS.get(name)
    if transition is None or case.stage not in transition.from_stages:
        raise TransitionRefused(_l("This step is not possible in the case's current stage."))
    if not transition.allowed_for(user, case):
        raise TransitionRefused(_l("Your role may not take this step on this case."))
    reason = (reason or "").strip()
    if transition.reason_required and not reason:
        raise TransitionRefused(_l("Give the reason for this step."))
    from_stage = case.stage
    before = {"stage": case.stage, "kind": case.kind}
    case.stage = transition.to_stage
    case.stage_entered_date = clock.today()
    if transition.effect is not None:
        transition.effect(case, reason)
    change = StageChange(case_id=case.id, transition=name, from_stage=from_stage, to_stage=transition.to_stage,
                         actor_id=user.id, changed_dt=clock.now(), reason=reason, evidence=(evidence or "").strip())
    db.session.add(change)
    db.session.flush()
    audit.record("transition", f"{name}: {from_stage} → {transition.to_stage}", module="ladder", actor=user,
                 target=case, case=case,
                 data={**audit.changes(before, {"stage": case.stage, "kind": case.kind}), "reason": reason})
    return change
