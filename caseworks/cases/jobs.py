"""Scheduled jobs of cases: flag the cases nobody has been in contact with for too long."""

from collections import defaultdict
from datetime import timedelta

from sqlalchemy import func, select, update

from caseworks.cases.models import Case
from caseworks.core import audit
from caseworks.core.choices import VISITED_STAGES
from caseworks.core.policy import profiles_by_county
from caseworks.extensions import db
from caseworks.scheduler.registry import scheduled_job

NO_SYNC = {"synchronize_session": False}


def last_contact():
    """The date a case was last in contact: its last visit or contact, else when it opened."""
    return func.coalesce(Case.last_contact_date, Case.opened_date)


@scheduled_job(
    "flag_stale_cases", description="Flag open cases with no contact for too long", order=30, hour=1, minute=0
)
def flag_stale_cases(today):
    """A visited case (not pending review or closed: nobody is expected to visit those) is
    stale when its last contact lies more than its county's ``stale_after_days`` back; the
    flag comes off as soon as that is no longer true."""
    visited = Case.stage.in_(VISITED_STAGES)
    counties = db.session.scalars(select(Case.county_id).where(visited).distinct()).all()
    by_days = defaultdict(list)
    for county_id, profile in profiles_by_county(counties).items():
        by_days[profile.stale_after_days].append(county_id)
    flagged = cleared = 0
    for days, county_ids in by_days.items():
        cutoff = today - timedelta(days=days)
        in_counties = Case.county_id.in_(county_ids)
        flagged += db.session.execute(
            update(Case)
            .where(visited, in_counties, last_contact() < cutoff, Case.is_stale.is_(False))
            .values(is_stale=True),
            execution_options=NO_SYNC,
        ).rowcount
        cleared += db.session.execute(
            update(Case)
            .where(visited, in_counties, last_contact() >= cutoff, Case.is_stale.is_(True))
            .values(is_stale=False),
            execution_options=NO_SYNC,
        ).rowcount
    cleared += db.session.execute(
        update(Case).where(Case.stage.not_in(VISITED_STAGES), Case.is_stale.is_(True)).values(is_stale=False),
        execution_options=NO_SYNC,
    ).rowcount
    summary = {"flagged": flagged, "cleared": cleared}
    if flagged or cleared:
        audit.record(
            "job", f"flag_stale_cases: {flagged} flagged, {cleared} cleared", module="cases", actor=None, data=summary
        )
    return summary
