"""Stage changes, notices, legal steps and transfers on a case's timeline."""

from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from caseworks.core import clock
from caseworks.core.choices import LegalStepKind, Stage
from caseworks.core.timeline import TimelineItem, timeline_source
from caseworks.extensions import db
from caseworks.ladder.models import LegalStep, Notice, StageChange, Transfer


@timeline_source
def stage_changes(case):
    rows = db.session.scalars(
        select(StageChange).where(StageChange.case_id == case.id).options(joinedload(StageChange.actor))
    )
    for row in rows:
        title = _(
            "Stage: %(from)s → %(to)s", **{"from": Stage.label_of(row.from_stage), "to": Stage.label_of(row.to_stage)}
        )
        detail = "；".join(x for x in (row.reason, row.evidence) if x)
        yield TimelineItem(row.changed_dt, "stage", title, detail, row.actor.full_name if row.actor else _("System"))


@timeline_source
def notices(case):
    rows = db.session.scalars(select(Notice).where(Notice.case_id == case.id).options(joinedload(Notice.issued_by)))
    for row in rows:
        yield TimelineItem(
            row.issued_dt,
            "notice",
            _("Notice issued: %(title)s %(no)s", title=row.title, no=row.document_no),
            "",
            row.issued_by.full_name,
        )
        if row.served_date:
            yield TimelineItem(
                clock.local_date_start(row.served_date),
                "notice",
                _(
                    "Notice served on %(who)s; deadline %(date)s",
                    who=row.served_to,
                    date=format_date(row.deadline_date),
                ),
                "",
                row.served_by or "",
                has_time=False,
            )


@timeline_source
def legal_steps(case):
    rows = db.session.scalars(
        select(LegalStep).where(LegalStep.case_id == case.id).options(joinedload(LegalStep.recorded_by))
    )
    for row in rows:
        yield TimelineItem(
            clock.local_date_start(row.step_date),
            "legal",
            f"{LegalStepKind.label_of(row.kind)} · {row.authority}",
            "；".join(x for x in (row.document_no, row.result) if x),
            row.recorded_by.full_name,
            has_time=False,
        )


@timeline_source
def transfers(case):
    rows = db.session.scalars(
        select(Transfer)
        .where(Transfer.case_id == case.id)
        .options(joinedload(Transfer.to_village), joinedload(Transfer.requested_by))
    )
    for row in rows:
        yield TimelineItem(
            row.requested_dt,
            "transfer",
            _("Transfer asked to %(place)s", place=row.to_village.name),
            row.reason,
            row.requested_by.full_name,
        )
        if row.decided_dt:
            title = _("Transfer accepted") if row.accepted else _("Transfer declined")
            yield TimelineItem(row.decided_dt, "transfer", title, row.decline_reason, "")
