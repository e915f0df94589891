"""The visit cadence: how often a case is visited, by its stage and the county's policy profile.

DESIGN.md "Visits and contacts": at least monthly for every open case (月家访), weekly while the case
is on the ladder, weekly attendance checks during monitoring, and for orphans and de-facto
unsupported children the county-level monthly look (每月一看). Each line (双线控辍: the teacher and
the village cadre) has its own planned visits, at its own cadence (the cadre's defaults to the
teacher's), counted from that line's own last contact; a joint visit counts for both. This module
is the one place that says which; the operations (a visit logged now plans the next) and the
scheduler's sweep both use it.
"""

from datetime import timedelta

from sqlalchemy import and_, exists, select

from caseworks.cases.models import Case, ChildGroup
from caseworks.core.choices import (
    COUNTY_LOOK_GROUPS,
    LADDER_STAGES,
    LINE_OF_VISITOR,
    VISITED_STAGES,
    Line,
    Stage,
    VisitPurpose,
)


def rule_for(stage, profile, line=Line.TEACHER):
    """``(interval_days, purpose)`` of the regular visits of ``line`` on a case in ``stage``, or
    None when the case is not visited."""
    if stage in LADDER_STAGES:
        return profile.interval_days("ladder_visit", line), VisitPurpose.LADDER
    if stage == Stage.RETURNED:
        return profile.interval_days("monitoring_check", line), VisitPurpose.MONITORING
    if stage in VISITED_STAGES:
        return profile.interval_days("visit", line), VisitPurpose.MONTHLY
    return None


def lines_of(visitors):
    """The lines a done visit counts for, from who went (a joint visit: both)."""
    return {LINE_OF_VISITOR[v] for v in visitors or () if v in LINE_OF_VISITOR}


# Who gets the county's monthly look: a case still visited whose child is in one of
# COUNTY_LOOK_GROUPS (orphans, de-facto unsupported). The two functions below say the same thing,
# for one loaded case and as a filter on Case; both are built from those two constants only.


def needs_county_look(case):
    """Whether ``case`` gets the county's monthly look (每月一看)."""
    return case.stage in VISITED_STAGES and any(g in COUNTY_LOOK_GROUPS for g in case.child.groups)


def county_look_case():
    """SQL filter on :class:`Case`: the cases that get the county's monthly look, as
    :func:`needs_county_look` decides for one case."""
    in_group = exists(
        select(ChildGroup.child_id).where(
            ChildGroup.child_id == Case.child_id, ChildGroup.group.in_(COUNTY_LOOK_GROUPS)
        )
    )
    return and_(Case.stage.in_(VISITED_STAGES), in_group)


def next_due(case, profile, line=Line.TEACHER, line_contact=None):
    """``(due_date, purpose)`` of the next regular visit of ``line`` on the case, counted from
    that line's last contact (or from when the case entered its stage, whichever is later), or
    None if the case is not visited. ``case`` may be a loaded case or a row with the same names."""
    rule = rule_for(case.stage, profile, line)
    if rule is None:
        return None
    days, purpose = rule
    base = max(d for d in (line_contact, case.stage_entered_date, case.opened_date) if d is not None)
    return base + timedelta(days=days), purpose


def next_look_due(case, profile, last_look):
    """The due date of the county's next monthly look: the profile's interval after the last
    look that was logged (or after the case opened)."""
    base = max(d for d in (last_look, case.opened_date) if d is not None)
    return base + timedelta(days=profile.county_look_interval_days)


# -- the plan of one case: which planned visits it should have, and how to get there ----------
#
# The operations (one loaded case) and the scheduler's sweep (rows of every case) both work out
# a case's plan here, so that a visit logged now and the nightly sweep leave the same rows.

#: a slot of the plan: ("line", "teacher"), ("line", "cadre"), ("look",) or ("deferral",)
LOOK = ("look",)
DEFERRAL = ("deferral",)
#: a deferral is visited this many days before it ends
DEFERRAL_CHECK_DAYS = 30


def slot_of(visit):
    """The slot an open planned visit fills (None: planned by hand)."""
    if visit.purpose == VisitPurpose.COUNTY_LOOK:
        return LOOK
    if visit.purpose == VisitPurpose.DEFERRAL_CHECK:
        return DEFERRAL
    if visit.purpose == VisitPurpose.MANUAL:
        return None
    return ("line", visit.line or Line.TEACHER.value)


def deferral_check_due(case):
    """When a case closed as a health deferral is visited before the deferral ends (a month
    before its end, not before it was closed), or None."""
    from caseworks.core.choices import ClosedOutcome

    if case.stage != Stage.CLOSED or case.closed_outcome != ClosedOutcome.HEALTH_DEFERRAL or not case.closed_until:
        return None
    due = case.closed_until - timedelta(days=DEFERRAL_CHECK_DAYS)
    return max(due, case.closed_date) if case.closed_date else due


def wanted_visits(case, profile, *, contacts, is_look_case, last_look=None, look_assignee=None, deferral_done=False):
    """``{slot: (due_date, purpose, assignee_id)}``: the planned visits the case should have.

    ``contacts`` maps each line to its last contact; ``last_look`` is the last county look logged
    and ``look_assignee`` the county person the next look goes to by default; ``deferral_done``
    says the visit before the deferral's end was already made."""
    wanted = {}
    for line in Line:
        found = next_due(case, profile, line, contacts.get(line))
        if found is not None:
            due, purpose = found
            wanted[("line", line.value)] = (due, purpose, getattr(case, line.case_attr))
    if is_look_case:
        wanted[LOOK] = (next_look_due(case, profile, last_look), VisitPurpose.COUNTY_LOOK, look_assignee)
    deferral_due = deferral_check_due(case)
    if deferral_due is not None and not deferral_done:
        wanted[DEFERRAL] = (deferral_due, VisitPurpose.DEFERRAL_CHECK, case.teacher_id)
    return wanted


def reconcile(wanted, planned, today, *, visited):
    """What turns the open planned visits ``planned`` (objects or rows with ``purpose``, ``line``,
    ``due_date``, ``assignee_id``) into ``wanted``: ``(inserts, changes, cancels)`` where an insert
    is ``(slot, due, purpose, assignee_id)`` and a change ``(visit, {column: value})``.

    A line's visit always goes to the person who holds the line now; a county look keeps the
    county person it was given to. Visits planned by hand stay while the case is ``visited``."""
    inserts, changes, cancels = [], [], []
    by_slot = {}
    for visit in planned:
        slot = slot_of(visit)
        if slot is None:
            if not visited:
                cancels.append(visit)
            continue
        by_slot.setdefault(slot, []).append(visit)
    for slot, (due, purpose, assignee_id) in wanted.items():
        keep, *extra = by_slot.pop(slot, None) or [None]
        cancels.extend(extra)
        if keep is None:
            inserts.append((slot, due, purpose, assignee_id))
            continue
        values = {}
        if (keep.purpose, keep.due_date) != (purpose, due):
            # a contact was logged, or the case moved to a stage with another cadence: the plan follows
            values.update(purpose=purpose, due_date=due, is_overdue=due < today)
        if slot[0] == "line" and keep.line != slot[1]:
            values["line"] = slot[1]
        if keep.assignee_id != assignee_id and (slot != LOOK or keep.assignee_id is None):
            values["assignee_id"] = assignee_id
        if values:
            changes.append((keep, values))
    for visits in by_slot.values():
        cancels.extend(visits)
    return inserts, changes, cancels
