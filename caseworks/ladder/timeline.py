"""Stage changes on a case's timeline."""

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from caseworks.core.choices import Stage
from caseworks.core.timeline import TimelineItem, timeline_source
from caseworks.extensions import db
from caseworks.ladder.models import StageChange


@timeline_source
def stage_changes(case):
    rows = db.session.scalars(select(StageChange).where(StageChange.case_id == case.id)
                              .options(joinedload(StageChange.actor)))
    for row in rows:
        title = _("Stage: %(from)s → %(to)s", **{"from": Stage.label_of(row.from_stage), "to": Stage.label_of(row.to_stage)})
        detail = "；".join(x for x in (row.reason, row.evidence) if x)
        yield TimelineItem(row.changed_dt, "stage", title, detail, row.actor.full_name if row.actor else "")
