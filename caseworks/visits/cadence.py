"""The visit cadence: how often a case is visited, by its stage and the county's policy profile.

DESIGN.md "Visits and contacts": at least monthly for every open case (月家访), weekly while the case
is on the ladder, weekly attendance checks during monitoring, and for orphans and de-facto
unsupported children the county-level monthly look (每月一看). This module is the one place that
says which; the operations (a visit logged now plans the next) and the scheduler's sweep both use it.
"""

from datetime import timedelta

from sqlalchemy import and_, exists, select

from caseworks.cases.models import Case, ChildGroup
from caseworks.core.choices import COUNTY_LOOK_GROUPS, LADDER_STAGES, VISITED_STAGES, Stage, VisitPurpose


def rule_for(stage, profile):
    """``(interval_days, purpose)`` of the regular visits of a case in ``stage``, or None."""
    if stage in LADDER_STAGES:
        return profile.ladder_visit_interval_days, VisitPurpose.LADDER
    if stage == Stage.RETURNED:
        return profile.monitoring_check_interval_days, VisitPurpose.MONITORING
    if stage in VISITED_STAGES:
        return profile.visit_interval_days, VisitPurpose.MONTHLY
    return None


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


def next_due(case, profile):
    """``(due_date, purpose)`` of the case's next regular visit, counted from its last contact
    (or from when it entered its stage, whichever is later), or None if it is not visited."""
    rule = rule_for(case.stage, profile)
    if rule is None:
        return None
    days, purpose = rule
    base = max(d for d in (case.last_contact_date, case.stage_entered_date, case.opened_date) if d is not None)
    return base + timedelta(days=days), purpose
