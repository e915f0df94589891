"""What the case register adds to a case's timeline: the opening, assignments and the plan."""

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from caseworks.cases.models import Assignment, PlanItem
from caseworks.core import clock
from caseworks.core.timeline import TimelineItem, timeline_source
from caseworks.extensions import db


@timeline_source
def opening(case):
    opener = case.opened_by.full_name if case.opened_by else ""
    yield TimelineItem(
        clock.local_date_start(case.opened_date),
        "opened",
        _("Case opened: %(kind)s", kind=case.kind_enum.label),
        case.situation,
        opener,
        has_time=False,
    )


@timeline_source
def assignments(case):
    rows = db.session.scalars(
        select(Assignment)
        .where(Assignment.case_id == case.id)
        .options(joinedload(Assignment.user), joinedload(Assignment.assigned_by))
    )
    for row in rows:
        title = (
            _("Teacher assigned: %(name)s", name=row.user.full_name)
            if row.line == "teacher"
            else _("Village cadre assigned: %(name)s", name=row.user.full_name)
        )
        yield TimelineItem(row.assigned_dt, "assignment", title, "", row.assigned_by.full_name)


@timeline_source
def plan_items(case):
    rows = db.session.scalars(
        select(PlanItem).where(PlanItem.case_id == case.id).options(joinedload(PlanItem.created_by))
    )
    for row in rows:
        yield TimelineItem(
            row.created_dt,
            "plan",
            _("Plan measure added"),
            f"{row.measure}（{row.responsible}）",
            row.created_by.full_name if row.created_by else "",
        )
