"""The registers officials work from: notices with their deadlines, transfers in and out, and the
steps of the judicial procedure. Each row belongs to a case in the user's scope and links to it."""

from dataclasses import dataclass

from sqlalchemy import and_, func, not_, select
from sqlalchemy.orm import contains_eager, joinedload

from caseworks.cases.models import Case
from caseworks.cases.queries import Page
from caseworks.core import clock, scope
from caseworks.core.choices import NOTICE_STAGES, LabelledChoice
from caseworks.extensions import db
from caseworks.ladder.models import LegalStep, Notice, Transfer
from caseworks.ladder.queries import lapsed_notice, receiving_place

PER_PAGE = 30


class NoticeStatus(LabelledChoice):
    """Where a notice stands: waiting to be served, its deadline running, lapsed with the next
    step not taken (:func:`caseworks.ladder.queries.lapsed_notice`), or its case moved on."""

    UNSERVED = "unserved"
    RUNNING = "running"
    LAPSED = "lapsed"
    MOVED_ON = "moved_on"

    @classmethod
    def _labels(cls):
        from flask_babel import lazy_gettext as _l

        return {
            "unserved": _l("Not served yet"),
            "running": _l("Deadline running"),
            "lapsed": _l("Lapsed, next step not taken"),
            "moved_on": _l("Deadline passed, case moved on"),
        }


def notice_status_condition(status, today):
    """SQL filter on :class:`Notice` (joined to its case) for one :class:`NoticeStatus`."""
    if status == NoticeStatus.UNSERVED:
        return Notice.served_date.is_(None)
    if status == NoticeStatus.RUNNING:
        return Notice.deadline_date >= today
    if status == NoticeStatus.LAPSED:
        return lapsed_notice(today)
    return and_(Notice.deadline_date < today, not_(Case.stage.in_(NOTICE_STAGES)))


@dataclass
class NoticeRow:
    notice: Notice
    status: NoticeStatus
    #: days until the deadline (negative: since it passed); None before service
    days_left: int | None


def notices_page(user, page, *, status="", kind="", today=None):
    """The notices of the cases in the user's scope, newest first, with each one's status."""
    today = today or clock.today()
    stmt = (
        select(Notice)
        .join(Case, Case.id == Notice.case_id)
        .where(scope.case_filter(user))
        .options(contains_eager(Notice.case).joinedload(Case.village))
        .order_by(Notice.issued_dt.desc(), Notice.id.desc())
    )
    if status:
        stmt = stmt.where(notice_status_condition(status, today))
    if kind:
        stmt = stmt.where(Notice.kind == kind)
    pagination = _page(stmt, page, Notice.id)
    rows = []
    for notice in pagination.items:
        if notice.served_date is None:
            state, left = NoticeStatus.UNSERVED, None
        else:
            left = (notice.deadline_date - today).days
            if left >= 0:
                state = NoticeStatus.RUNNING
            elif notice.has_lapsed(today, notice.case.stage):
                state = NoticeStatus.LAPSED
            else:
                state = NoticeStatus.MOVED_ON
        rows.append(NoticeRow(notice, state, left))
    pagination.items = rows
    return pagination


def _page(stmt, page, id_column):
    """A :class:`Page` of ``stmt``: the count, then the page's rows."""
    total = db.session.scalar(stmt.with_only_columns(func.count(id_column)).order_by(None))
    pages = max(1, -(-total // PER_PAGE))
    page = min(page, pages)
    items = db.session.scalars(stmt.offset((page - 1) * PER_PAGE).limit(PER_PAGE)).unique().all()
    return Page(items=list(items), page=page, per_page=PER_PAGE, total=total)


@dataclass
class Transfers:
    incoming: list
    outgoing: list
    decided: Page


def _transfers(user):
    return (
        select(Transfer)
        .join(Case, Case.id == Transfer.case_id)
        .where(scope.case_filter(user))
        .options(
            contains_eager(Transfer.case),
            joinedload(Transfer.to_village),
            joinedload(Transfer.from_village),
            joinedload(Transfer.requested_by),
        )
    )


def transfers_for(user, page):
    """Transfers of the cases in the user's scope: those waiting for the user's place to decide,
    those waiting for the other side, and those decided (newest first, paged)."""
    waiting = Transfer.decided_dt.is_(None)
    incoming = db.session.scalars(
        _transfers(user).where(waiting, receiving_place(user)).order_by(Transfer.requested_dt)
    ).all()
    outgoing = db.session.scalars(
        _transfers(user)
        .where(waiting, Transfer.id.not_in([t.id for t in incoming]) if incoming else waiting)
        .order_by(Transfer.requested_dt)
    ).all()
    decided = _page(
        _transfers(user).where(Transfer.decided_dt.is_not(None)).order_by(Transfer.decided_dt.desc(), Transfer.id),
        page,
        Transfer.id,
    )
    return Transfers(list(incoming), list(outgoing), decided)


def legal_steps_page(user, page, *, kind=""):
    """The legal steps of the cases in the user's scope, latest first."""
    stmt = (
        select(LegalStep)
        .join(Case, Case.id == LegalStep.case_id)
        .where(scope.case_filter(user))
        .options(contains_eager(LegalStep.case).joinedload(Case.village))
        .order_by(LegalStep.step_date.desc(), LegalStep.id.desc())
    )
    if kind:
        stmt = stmt.where(LegalStep.kind == kind)
    return _page(stmt, page, LegalStep.id)
