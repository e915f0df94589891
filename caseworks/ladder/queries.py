"""Reusable conditions of the ladder, for the jobs, the case page, the lists and the dashboards
alike: each is one SQL expression, so that a figure and the list behind it share a definition."""

from collections import defaultdict
from datetime import timedelta

from sqlalchemy import and_, false, not_, or_, select, true

from caseworks.cases.models import Case
from caseworks.core import clock, scope
from caseworks.core.choices import LADDER_STAGES, NOTICE_STAGES, Role, Stage
from caseworks.core.policy import PolicyProfile, defaults
from caseworks.extensions import db
from caseworks.ladder.models import Notice, StageChange, Transfer
from caseworks.places.models import Area


def lapsed_notice(today):
    """A served notice whose deadline passed while its case still waits for the next step
    (:meth:`Notice.has_lapsed` in SQL; the query joins ``Case``)."""
    return and_(Notice.deadline_date < today, Case.stage.in_(NOTICE_STAGES))


def case_with_lapsed_notice(today, *, set_based=False):
    """SQL filter on :class:`Case`: a case with a :func:`lapsed_notice` (no join needed; see
    :func:`caseworks.core.scope.case_has` for ``set_based``)."""
    return and_(
        Case.stage.in_(NOTICE_STAGES),
        scope.case_has(Notice.case_id, Notice.deadline_date < today, set_based=set_based),
    )


def past_stage_limit(today, profiles=None):
    """SQL filter on :class:`Case`: a case on a ladder stage for longer than its county's policy
    profile allows (``max_days_<stage>``). Counties without a profile of their own use the
    defaults. ``profiles`` (every stored profile) is read when not given: one query."""
    if profiles is None:
        profiles = db.session.scalars(select(PolicyProfile)).all()
    own = [p.county_id for p in profiles]
    standard = defaults()
    clauses = []
    for stage in LADDER_STAGES:
        clauses.append(
            and_(
                Case.stage == stage,
                Case.county_id.not_in(own) if own else true(),
                Case.stage_entered_date < today - timedelta(days=standard.max_days_on(stage)),
            )
        )
        by_limit = defaultdict(list)
        for profile in profiles:
            by_limit[profile.max_days_on(stage)].append(profile.county_id)
        for days, counties in sorted(by_limit.items()):
            clauses.append(
                and_(
                    Case.stage == stage,
                    Case.county_id.in_(counties),
                    Case.stage_entered_date < today - timedelta(days=days),
                )
            )
    return or_(*clauses)


# A return is any stage change into "returned"; a relapse is a case going back onto the ladder
# after a return (during monitoring) or after its closure (reopened): both count as 反复辍学.
def returned_change():
    return StageChange.to_stage == Stage.RETURNED


def relapse_change():
    return and_(StageChange.from_stage.in_((Stage.RETURNED, Stage.CLOSED)), StageChange.to_stage.in_(LADDER_STAGES))


def returned_since(day, *, set_based=False):
    """SQL filter on :class:`Case`: the case returned to school on or after local date ``day``."""
    since = StageChange.changed_dt >= clock.local_date_start(day)
    return scope.case_has(StageChange.case_id, returned_change(), since, set_based=set_based)


def relapsed_since(day, *, set_based=False):
    """SQL filter on :class:`Case`: the case went back onto the ladder after a return or a
    closure on or after local date ``day``."""
    since = StageChange.changed_dt >= clock.local_date_start(day)
    return scope.case_has(StageChange.case_id, relapse_change(), since, set_based=set_based)


def closed_since(day, outcome=None):
    """SQL filter on :class:`Case`: closed on or after ``day`` (with ``outcome``, if given)."""
    clause = and_(Case.stage == Stage.CLOSED, Case.closed_date >= day)
    return and_(clause, Case.closed_outcome == outcome) if outcome else clause


def receiving_place(user):
    """SQL filter on :class:`Transfer`: the transfer is addressed to the user's place (their
    township; their school; the townships of the counties a reviewer oversees)."""
    if user.role == Role.TOWNSHIP_OFFICIAL and user.township_id is not None:
        return Transfer.to_township_id == user.township_id
    if user.role == Role.SCHOOL_ADMIN and user.school_id is not None:
        return Transfer.to_school_id == user.school_id
    counties = scope.county_ids(user)
    if counties:
        return Transfer.to_township_id.in_(select(Area.id).where(Area.county_id.in_(counties)))
    return false()


def incoming_transfer(user, *, set_based=False):
    """SQL filter on :class:`Case`: a transfer of the case waits for the user's place to decide."""
    return scope.case_has(Transfer.case_id, Transfer.decided_dt.is_(None), receiving_place(user), set_based=set_based)


def outgoing_transfer(user, *, set_based=False):
    """SQL filter on :class:`Case`: a transfer of the case to another place waits for it to decide."""
    waiting = scope.case_has(Transfer.case_id, Transfer.decided_dt.is_(None), set_based=set_based)
    return and_(waiting, not_(incoming_transfer(user, set_based=set_based)))
