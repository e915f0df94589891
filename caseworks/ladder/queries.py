"""Reusable conditions of the ladder, for the jobs, the case page and the lists alike."""

from datetime import timedelta

from sqlalchemy import and_, or_, select

from caseworks.cases.models import Case
from caseworks.core.choices import LADDER_STAGES, NOTICE_STAGES
from caseworks.core.policy import PolicyProfile, defaults
from caseworks.extensions import db
from caseworks.ladder.models import Notice


def lapsed_notice(today):
    """A served notice whose deadline passed while its case still waits for the next step
    (:meth:`Notice.has_lapsed` in SQL; the query joins ``Case``)."""
    return and_(Notice.deadline_date < today, Case.stage.in_(NOTICE_STAGES))


def past_stage_limit(today):
    """SQL filter on :class:`Case`: a case on a ladder stage longer than its county's policy
    profile allows (``max_days_<stage>``). The one definition for the daily digest, the case
    list's ``late=stage_time`` filter and anything that counts such cases."""
    profiles = db.session.scalars(select(PolicyProfile)).all()
    default = defaults()
    profiled = [p.county_id for p in profiles]
    clauses = []
    for stage in LADDER_STAGES:
        own_rule = [Case.county_id.not_in(profiled)] if profiled else []
        cutoff = today - timedelta(days=default.max_days_on(stage))
        clauses.append(and_(Case.stage == stage, Case.stage_entered_date < cutoff, *own_rule))
        for profile in profiles:
            cutoff = today - timedelta(days=profile.max_days_on(stage))
            clauses.append(
                and_(Case.county_id == profile.county_id, Case.stage == stage, Case.stage_entered_date < cutoff)
            )
    return or_(*clauses)
