"""Scheduled jobs of visits: keep one visit planned ahead for every open case, and flag the
planned visits whose due date has passed.

Both work set-based over the whole database (province data: 100,000 open cases, 1,000,000
visits): a handful of queries load what is needed, the plan is worked out in memory with the
same cadence rule that :func:`caseworks.visits.operations.ensure_planned` uses, and the
differences are written back in batches.
"""

from collections import defaultdict

from sqlalchemy import insert, not_, or_, select, update

from caseworks.cases.models import Case
from caseworks.core import audit, clock
from caseworks.core.choices import Line, Role, Stage, VisitPurpose
from caseworks.core.policy import profiles_by_county
from caseworks.extensions import db
from caseworks.scheduler.registry import scheduled_job
from caseworks.visits import cadence, queries
from caseworks.visits.models import Visit
from caseworks.visits.queries import open_planned_visit, overdue_visit

#: rows per statement when writing back
BATCH = 5000

NO_SYNC = {"synchronize_session": False}


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

    def add(self, case_id, due, purpose, line, assignee_id, counter):
        self.inserts.append(
            {
                "case_id": case_id,
                "due_date": due,
                "purpose": purpose,
                "line": line,
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
            "line": visit.line,
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


@scheduled_job("plan_visits", description="Keep one visit planned ahead for every open case", order=10, minute=5)
def plan_visits(today):
    """Every open case gets the planned visits :func:`ensure_planned` would leave it: one regular
    visit ahead for each line (teacher and village cadre), the county look for orphans and
    de-facto unsupported children, the visit before a health deferral ends; cases no longer
    visited lose the rest."""
    plan = _Plan(clock.now(), today)
    cases = {
        row.id: row
        for row in db.session.execute(
            select(
                Case.id,
                Case.stage,
                Case.county_id,
                Case.stage_entered_date,
                Case.opened_date,
                Case.teacher_id,
                Case.cadre_id,
                Case.closed_outcome,
                Case.closed_date,
                Case.closed_until,
            ).where(or_(Case.stage != Stage.CLOSED, Case.closed_until.is_not(None)))
        )
    }
    profiles = profiles_by_county({row.county_id for row in cases.values()})
    look_cases = set(db.session.scalars(select(Case.id).where(cadence.county_look_case())))
    contacts = queries.line_contact_dates(None)
    last_looks = queries.last_county_looks(None)
    reviewers = _county_people()
    deferrals_done = set(
        db.session.execute(
            select(Visit.case_id, Visit.due_date).where(
                Visit.purpose == VisitPurpose.DEFERRAL_CHECK, Visit.done_dt.is_not(None)
            )
        ).all()
    )
    planned = defaultdict(list)
    for visit in db.session.execute(
        select(Visit.id, Visit.case_id, Visit.due_date, Visit.purpose, Visit.line, Visit.assignee_id, Visit.is_overdue)
        .where(open_planned_visit())
        .order_by(Visit.case_id, Visit.due_date, Visit.id)
    ):
        planned[visit.case_id].append(visit)

    for case in cases.values():
        profile = profiles[case.county_id]
        is_look_case = case.id in look_cases
        last_look = last_looks.get(case.id)
        look_assignee = None
        if is_look_case and last_look and last_look[1] in reviewers.get(case.county_id, ()):
            look_assignee = last_look[1]
        deferral_due = cadence.deferral_check_due(case)
        wanted = cadence.wanted_visits(
            case,
            profile,
            contacts={line: contacts.get((case.id, line)) for line in Line},
            is_look_case=is_look_case,
            last_look=last_look[0] if last_look else None,
            look_assignee=look_assignee,
            deferral_done=(case.id, deferral_due) in deferrals_done,
        )
        inserts, changes, cancels = cadence.reconcile(
            wanted, planned.pop(case.id, []), today, visited=cadence.rule_for(case.stage, profile) is not None
        )
        for slot, due, purpose, assignee_id in inserts:
            plan.add(
                case.id, due, purpose, slot[1] if slot[0] == "line" else None, assignee_id, _counter(slot, "planned")
            )
        for visit, values in changes:
            plan.change(
                visit, _counter(cadence.slot_of(visit), "moved" if "due_date" in values else "assigned"), **values
            )
        for visit in cancels:
            plan.cancel([visit], _counter(cadence.slot_of(visit), "cancelled"))
    # what is left belongs to closed cases
    for visits in planned.values():
        for visit in visits:
            plan.cancel([visit], _counter(cadence.slot_of(visit), "cancelled"))
    plan.write()

    summary = {"open_cases": sum(c.stage != Stage.CLOSED for c in cases.values()), "county_look_cases": len(look_cases)}
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


def _counter(slot, what):
    """The summary's counter: county looks are counted apart from the other planned visits."""
    return f"looks_{what}" if slot == cadence.LOOK else what


def _county_people():
    """``{county_id: {user ids}}`` of the active county reviewers placed at a county (the people
    a county look can go to by default)."""
    from caseworks.accounts.models import User
    from caseworks.places.models import Area

    found = defaultdict(set)
    rows = db.session.execute(
        select(User.id, Area.county_id)
        .join(Area, Area.id == User.area_id)
        .where(User.role == Role.COUNTY_REVIEWER, User.is_active.is_(True), Area.county_id.is_not(None))
    )
    for user_id, county_id in rows:
        found[county_id].add(user_id)
    return found


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
