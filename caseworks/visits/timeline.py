"""Visits, contacts and support measures on a case's timeline."""

from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from caseworks.core import clock
from caseworks.core.choices import SupportKind, VisitMethod, VisitOutcome
from caseworks.core.timeline import TimelineItem, timeline_source
from caseworks.extensions import db
from caseworks.visits.models import SupportMeasure, Visit


@timeline_source
def done_visits(case):
    rows = db.session.scalars(
        select(Visit).where(Visit.case_id == case.id, Visit.done_dt.is_not(None)).options(joinedload(Visit.logged_by))
    )
    for visit in rows:
        title = _(
            "%(method)s: %(outcome)s",
            method=VisitMethod.label_of(visit.method),
            outcome=VisitOutcome.label_of(visit.outcome),
        )
        if visit.agreed_return_date:
            title += _(" (return agreed for %(date)s)", date=format_date(visit.agreed_return_date))
        detail = "\n".join(
            x for x in (visit.findings, visit.next_step and _("Next: %(step)s", step=visit.next_step)) if x
        )
        yield TimelineItem(
            clock.local_date_start(visit.visit_date),
            "visit",
            title,
            detail,
            visit.visitor_names or (visit.logged_by.full_name if visit.logged_by else ""),
            has_time=False,
        )


@timeline_source
def support_measures(case):
    rows = db.session.scalars(
        select(SupportMeasure).where(SupportMeasure.case_id == case.id).options(joinedload(SupportMeasure.created_by))
    )
    for row in rows:
        yield TimelineItem(
            clock.local_date_start(row.start_date),
            "support",
            _("Support: %(kind)s", kind=SupportKind.label_of(row.kind)),
            f"{row.detail}（{row.responsible}）",
            row.created_by.full_name if row.created_by else "",
            has_time=False,
        )
