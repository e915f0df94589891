"""The visit cadence: how often a case is visited, by its stage and the county's policy profile.

DESIGN.md "Visits and contacts": at least monthly for every open case (月家访), weekly while the case
is on the ladder, weekly attendance checks during monitoring, and for orphans and de-facto
unsupported children the county-level monthly look (每月一看). This module is the one place that
says which; the operations (a visit logged now plans the next) and the scheduler's sweep both use it.
"""

from datetime import timedelta

from caseworks.core.choices import COUNTY_LOOK_GROUPS, LADDER_STAGES, Stage
from caseworks.visits.models import VisitPurpose

#: stages whose cases are visited at all (verification, support, ladder, monitoring)
VISITED_STAGES = tuple(s for s in Stage if s not in (Stage.PENDING_REVIEW, Stage.CLOSED))


def rule_for(stage, profile):
    """``(interval_days, purpose)`` of the regular visits of a case in ``stage``, or None."""
    if stage in LADDER_STAGES:
        return profile.ladder_visit_interval_days, VisitPurpose.LADDER
    if stage == Stage.RETURNED:
        return profile.monitoring_check_interval_days, VisitPurpose.MONITORING
    if stage in VISITED_STAGES:
        return profile.visit_interval_days, VisitPurpose.MONTHLY
    return None


def needs_county_look(case):
    return case.stage in VISITED_STAGES and any(g in COUNTY_LOOK_GROUPS for g in case.child.groups)


def next_due(case, profile):
    """``(due_date, purpose)`` of the case's next regular visit, counted from its last contact
    (or from when it entered its stage, whichever is later), or None if it is not visited."""
    rule = rule_for(case.stage, profile)
    if rule is None:
        return None
    days, purpose = rule
    base = max(d for d in (case.last_contact_date, case.stage_entered_date, case.opened_date) if d is not None)
    return base + timedelta(days=days), purpose
