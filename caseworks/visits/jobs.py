"""Scheduled jobs of visits: keep one visit planned ahead for every open case, and flag the
planned visits whose due date has passed.

Both work set-based over the whole database (province data: 100,000 open cases, 1,000,000
visits): a handful of queries load what is needed, the plan is worked out in memory with the
same cadence rule that :func:`caseworks.visits.operations.ensure_planned` uses, and the
differences are written back in batches.
"""

from collections import defaultdict
from datetime import timedelta

from sqlalchemy import func, insert, not_, select, update

from caseworks.cases.models import Case
from caseworks.core import audit, clock
from caseworks.core.choices import Stage, VisitPurpose
from caseworks.core.policy import profiles_by_county
from caseworks.extensions import db
from caseworks.scheduler.registry import scheduled_job
from caseworks.visits import cadence
from caseworks.visits.models import Visit
from caseworks.visits.queries import open_planned_visit, overdue_visit

#: rows per statement when writing back
BATCH = 5000

NO_SYNC = {"synchronize_session": False}
COUNTY_LOOK = VisitPurpose.COUNTY_LOOK.value


def _chunks(items, size=BATCH):
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start : start + size]


class _Plan:
    """The differences between the planned visits there are and those there should be."""

    def __init__(self, now, today):
        self.now = now
        self.today = today
        self.inserts = []
        self.updates = []
        self.cancels = []
        self.counts = defaultdict(int)

    def add(self, case_id, due, purpose, assignee_id, counter):
        self.inserts.append(
            {
                "case_id": case_id,
                "due_date": due,
                "purpose": purpose,
                "assignee_id": assignee_id,
                "planned_dt": self.now,
                "is_overdue": due < self.today,
            }
        )
        self.counts[counter] += 1

    def change(self, visit, counter, **values):
        row = {
            "id": visit.id,
            "purpose": visit.purpose,
            "due_date": visit.due_date,
            "is_overdue": visit.is_overdue,
            "assignee_id": visit.assignee_id,
        }
        row.update(values)
        self.updates.append(row)
        self.counts[counter] += 1

    def cancel(self, visits, counter):
        self.cancels.extend(v.id for v in visits)
        self.counts[counter] += len(visits)

    def write(self):
        for chunk in _chunks(self.inserts):
            # Core executemany (pipelined by psycopg), not the ORM's bulk insert: that splits the
            # rows into many small statements wherever a value is None (an unassigned visit)
            db.session.execute(insert(Visit.__table__), chunk)
        for chunk in _chunks(self.updates):
            db.session.execute(update(Visit), chunk)
        for chunk in _chunks(self.cancels):
            db.session.execute(
                update(Visit).where(Visit.id.in_(chunk)).values(cancelled_dt=self.now), execution_options=NO_SYNC
            )


def _plan_regular(plan, case, profile, planned):
    """What :func:`ensure_planned` does for one case, recorded in ``plan`` instead of done."""
    wanted = cadence.next_due(case, profile)
    if wanted is None:
        plan.cancel(planned, "cancelled")
        return
    due, purpose = wanted
    assignee_id = case.teacher_id or case.cadre_id
    if not planned:
        plan.add(case.id, due, purpose, assignee_id, "planned")
        return
    keep, *extra = planned
    plan.cancel(extra, "cancelled")
    values = {}
    if (keep.purpose, keep.due_date) != (purpose, due):
        # a contact was logged, or the stage changed: the plan follows
        values.update(purpose=purpose, due_date=due, is_overdue=due < plan.today)
    if keep.assignee_id is None and assignee_id is not None:
        values["assignee_id"] = assignee_id
    if values:
        plan.change(keep, "moved" if "due_date" in values else "assigned", **values)


def _plan_county_look(plan, case, profile, planned, last_look):
    """The county-level monthly look (每月一看): one planned visit with no assignee, due the
    profile's interval after the last look was done (or after the case opened)."""
    base = max(d for d in (last_look, case.opened_date) if d is not None)
    due = base + timedelta(days=profile.county_look_interval_days)
    if not planned:
        plan.add(case.id, due, VisitPurpose.COUNTY_LOOK, None, "looks_planned")
        return
    keep, *extra = planned
    plan.cancel(extra, "looks_cancelled")
    if keep.due_date != due:
        plan.change(keep, "looks_moved", due_date=due, is_overdue=due < plan.today)


@scheduled_job("plan_visits", description="Keep one visit planned ahead for every open case", order=10, minute=5)
def plan_visits(today):
    """Every open case gets exactly one regular planned visit ahead, due by the cadence, as
    :func:`ensure_planned` would leave it; cases no longer visited (pending review, closed) lose
    their planned visits; orphans and de-facto unsupported children get the county look."""
    plan = _Plan(clock.now(), today)
    cases = {
        row.id: row
        for row in db.session.execute(
            select(
                Case.id,
                Case.stage,
                Case.county_id,
                Case.last_contact_date,
                Case.stage_entered_date,
                Case.opened_date,
                Case.teacher_id,
                Case.cadre_id,
            ).where(Case.stage != Stage.CLOSED)
        )
    }
    profiles = profiles_by_county({row.county_id for row in cases.values()})
    look_cases = set(db.session.scalars(select(Case.id).where(cadence.county_look_case())))
    last_looks = dict(
        db.session.execute(
            select(Visit.case_id, func.max(Visit.visit_date))
            .where(Visit.purpose == VisitPurpose.COUNTY_LOOK, Visit.done_dt.is_not(None))
            .group_by(Visit.case_id)
        ).all()
    )
    regular, looks, by_hand = defaultdict(list), defaultdict(list), defaultdict(list)
    for visit in db.session.execute(
        select(Visit.id, Visit.case_id, Visit.due_date, Visit.purpose, Visit.assignee_id, Visit.is_overdue)
        .where(open_planned_visit())
        .order_by(Visit.case_id, Visit.due_date, Visit.id)
    ):
        group = looks if visit.purpose == COUNTY_LOOK else by_hand if visit.purpose == VisitPurpose.MANUAL else regular
        group[visit.case_id].append(visit)

    for case in cases.values():
        profile = profiles[case.county_id]
        _plan_regular(plan, case, profile, regular.pop(case.id, []))
        if case.id in look_cases:
            _plan_county_look(plan, case, profile, looks.pop(case.id, []), last_looks.get(case.id))
        if cadence.rule_for(case.stage, profile) is not None:
            by_hand.pop(case.id, None)  # a visit planned by hand stays while the case is visited
    # what is left belongs to cases no longer visited, or no longer getting the county look
    for visits in regular.values():
        plan.cancel(visits, "cancelled")
    for visits in looks.values():
        plan.cancel(visits, "looks_cancelled")
    for visits in by_hand.values():
        plan.cancel(visits, "cancelled")
    plan.write()

    summary = {"open_cases": len(cases), "county_look_cases": len(look_cases)}
    for key in ("planned", "moved", "assigned", "cancelled", "looks_planned", "looks_moved", "looks_cancelled"):
        summary[key] = plan.counts[key]
    if plan.inserts or plan.updates or plan.cancels:
        audit.record(
            "job",
            "plan_visits: {planned} planned, {moved} moved, {cancelled} cancelled".format(**summary),
            module="visits",
            actor=None,
            data=summary,
        )
    return summary


@scheduled_job("flag_overdue_visits", description="Flag planned visits whose due date has passed", order=20, minute=10)
def flag_overdue_visits(today):
    """Planned visits still open after their due date are overdue; the flag comes off a visit
    that was done, cancelled, or moved to a later date."""
    flagged = db.session.execute(
        update(Visit).where(overdue_visit(today), Visit.is_overdue.is_(False)).values(is_overdue=True),
        execution_options=NO_SYNC,
    ).rowcount
    cleared = db.session.execute(
        update(Visit).where(Visit.is_overdue.is_(True), not_(overdue_visit(today))).values(is_overdue=False),
        execution_options=NO_SYNC,
    ).rowcount
    summary = {"flagged": flagged, "cleared": cleared}
    if flagged or cleared:
        audit.record(
            "job",
            f"flag_overdue_visits: {flagged} flagged, {cleared} cleared",
            module="visits",
            actor=None,
            data=summary,
        )
    return summary
