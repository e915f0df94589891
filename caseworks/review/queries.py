"""Selects of the county review: the queue, one case's evidence, spot-check populations and the
audit trail, each limited to what the reviewer may see."""

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import joinedload

from caseworks.accounts.models import User
from caseworks.cases.models import Case, Child
from caseworks.core import clock, scope
from caseworks.core.audit import AuditEntry
from caseworks.core.choices import ClosedOutcome, Stage
from caseworks.core.forms import date_arg
from caseworks.core.numbers import positive_int
from caseworks.extensions import db
from caseworks.ladder.models import ClosureRequest, LegalStep, Notice, StageChange
from caseworks.places.models import Area, School
from caseworks.review.models import SpotCheck, SpotCheckItem
from caseworks.visits.models import SupportMeasure, Visit

# -- the queue -----------------------------------------------------------------------------


@dataclass
class QueueRow:
    case: Case
    #: the open closure request; None for a case that reached review without one
    request: ClosureRequest | None
    days_waiting: int


def queue_page(user, page, per_page, *, township=None, outcome=None):
    """Cases waiting for review in the user's scope, the oldest request first, of one township
    (by the child's village or school) and one requested outcome if asked. Cases without an
    open request (data from before closure requests existed) come last, oldest stage first."""
    open_request = and_(ClosureRequest.case_id == Case.id, ClosureRequest.decided_dt.is_(None))
    stmt = scope.scoped_cases(user).outerjoin(ClosureRequest, open_request).where(Case.stage == Stage.PENDING_REVIEW)
    if township:
        stmt = stmt.where(or_(Case.township_id == township, Case.school_township_id == township))
    if outcome:
        stmt = stmt.where(ClosureRequest.outcome == outcome)
    stmt = stmt.options(joinedload(Case.school), joinedload(Case.village)).order_by(
        ClosureRequest.requested_dt.asc().nulls_last(), Case.stage_entered_date, Case.id
    )
    pagination = db.paginate(stmt, page=page, per_page=per_page, error_out=False, max_per_page=100)
    ids = [c.id for c in pagination.items]
    requests = {}
    if ids:
        requests = {
            r.case_id: r
            for r in db.session.scalars(
                select(ClosureRequest)
                .where(ClosureRequest.case_id.in_(ids), ClosureRequest.decided_dt.is_(None))
                .options(joinedload(ClosureRequest.requested_by))
            )
        }
    today = clock.today()
    rows = []
    for case in pagination.items:
        request = requests.get(case.id)
        since = request.requested_dt.astimezone(clock.LOCAL_TZ).date() if request else case.stage_entered_date
        rows.append(QueueRow(case, request, (today - since).days))
    return pagination, rows


# -- one case's evidence -------------------------------------------------------------------


@dataclass
class Evidence:
    request: ClosureRequest | None
    earlier_requests: list
    monitoring_checks: list
    visits: list
    support: list
    notices: list
    legal_steps: list
    stage_changes: list
    #: photographed signed receipts by notice id
    receipts: dict = field(default_factory=dict)


def last_decision(case):
    """The latest decided closure request of ``case`` (what was decided, by whom, when), or None."""
    return db.session.scalar(
        select(ClosureRequest)
        .where(ClosureRequest.case_id == case.id, ClosureRequest.decided_dt.is_not(None))
        .options(joinedload(ClosureRequest.decided_by))
        .order_by(ClosureRequest.decided_dt.desc(), ClosureRequest.id.desc())
        .limit(1)
    )


def evidence_for(case):
    """Everything the reviewer weighs, one query per kind of record."""
    requests = db.session.scalars(
        select(ClosureRequest)
        .where(ClosureRequest.case_id == case.id)
        .options(joinedload(ClosureRequest.requested_by), joinedload(ClosureRequest.decided_by))
        .order_by(ClosureRequest.requested_dt.desc(), ClosureRequest.id.desc())
    ).all()
    current = next((r for r in requests if r.decided_dt is None), None)
    visits = db.session.scalars(
        select(Visit)
        .where(Visit.case_id == case.id, Visit.done_dt.is_not(None))
        .options(joinedload(Visit.logged_by))
        .order_by(Visit.visit_date.desc().nulls_last(), Visit.done_dt.desc(), Visit.id.desc())
    ).all()
    checks = [
        v
        for v in visits
        if v.stage_at_visit == Stage.RETURNED
        and (case.return_date is None or v.visit_date is None or v.visit_date >= case.return_date)
    ]
    return Evidence(
        request=current,
        earlier_requests=[r for r in requests if r is not current],
        monitoring_checks=checks,
        visits=visits,
        support=db.session.scalars(
            select(SupportMeasure)
            .where(SupportMeasure.case_id == case.id)
            .order_by(SupportMeasure.start_date.desc(), SupportMeasure.id.desc())
        ).all(),
        notices=db.session.scalars(
            select(Notice).where(Notice.case_id == case.id).order_by(Notice.issued_dt.desc(), Notice.id.desc())
        ).all(),
        legal_steps=db.session.scalars(
            select(LegalStep)
            .where(LegalStep.case_id == case.id)
            .order_by(LegalStep.step_date.desc(), LegalStep.id.desc())
        ).all(),
        receipts=_receipts(case),
        stage_changes=db.session.scalars(
            select(StageChange)
            .where(StageChange.case_id == case.id)
            .options(joinedload(StageChange.actor))
            .order_by(StageChange.changed_dt.desc(), StageChange.id.desc())
        ).all(),
    )


def _receipts(case):
    from caseworks.ladder.models import NoticeReceipt

    found = {}
    rows = db.session.execute(
        select(NoticeReceipt.id, NoticeReceipt.notice_id)
        .join(Notice, Notice.id == NoticeReceipt.notice_id)
        .where(Notice.case_id == case.id)
        .order_by(NoticeReceipt.id)
    )
    for receipt_id, notice_id in rows:
        found.setdefault(notice_id, []).append(receipt_id)
    return found


# -- spot checks ---------------------------------------------------------------------------


def approved_returns(user, start, end):
    """Sorted ids of the cases in the user's scope whose return to school was approved on a
    local date from ``start`` to ``end`` (both included)."""
    stmt = (
        select(ClosureRequest.case_id)
        .join(Case, Case.id == ClosureRequest.case_id)
        .where(
            scope.case_filter(user),
            ClosureRequest.decision == "approved",
            ClosureRequest.outcome == ClosedOutcome.RETURNED_TO_SCHOOL,
            ClosureRequest.decided_dt >= clock.local_date_start(start),
            ClosureRequest.decided_dt < clock.local_date_start(end + timedelta(days=1)),
        )
        .distinct()
    )
    return sorted(db.session.scalars(stmt).all())


def spot_checks_page(user, page, per_page):
    stmt = (
        select(SpotCheck)
        .where(SpotCheck.county_id == user.county_id)
        .options(joinedload(SpotCheck.drawn_by))
        .order_by(SpotCheck.drawn_dt.desc(), SpotCheck.id.desc())
    )
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def spot_check_or_none(user, spot_check_id):
    return db.session.scalar(
        select(SpotCheck).where(SpotCheck.id == spot_check_id, SpotCheck.county_id == user.county_id)
    )


def items_of(spot_check, *, with_guardians=False):
    options = [
        joinedload(SpotCheckItem.case).joinedload(Case.school),
        joinedload(SpotCheckItem.case).joinedload(Case.village),
        joinedload(SpotCheckItem.case).joinedload(Case.return_school),
        joinedload(SpotCheckItem.recorded_by),
    ]
    if with_guardians:
        options.append(joinedload(SpotCheckItem.case).joinedload(Case.child).selectinload(Child.guardians))
    return db.session.scalars(
        select(SpotCheckItem)
        .where(SpotCheckItem.spot_check_id == spot_check.id)
        .options(*options)
        .order_by(SpotCheckItem.position)
    ).all()


def progress_of(spot_check_ids):
    """``{spot_check_id: (recorded, total)}`` for a page of draws, in one query."""
    from sqlalchemy import func

    if not spot_check_ids:
        return {}
    rows = db.session.execute(
        select(SpotCheckItem.spot_check_id, func.count(SpotCheckItem.result), func.count())
        .where(SpotCheckItem.spot_check_id.in_(spot_check_ids))
        .group_by(SpotCheckItem.spot_check_id)
    ).all()
    return {sid: (done, total) for sid, done, total in rows}


# -- the audit trail -----------------------------------------------------------------------


def _counties_of(user):
    return scope.county_ids(user) or None


def visible_entries(user):
    """Which audit entries a county reviewer may read:

    - entries about a case in their scope (whoever wrote them, the scheduler included);
    - their own actions;
    - entries about no case (logins, user and place administration, exports) written by a
      user who works in the reviewer's county — a school's or a township's people included.

    Failed logins under unknown names and the work of system administrators above the county
    stay with the administrators.
    """
    counties = _counties_of(user)
    if counties is None:
        return AuditEntry.user_id == user.id
    county_people = (
        select(User.id)
        .outerjoin(Area, Area.id == User.area_id)
        .outerjoin(School, School.id == User.school_id)
        .where(or_(Area.county_id.in_(counties), School.county_id.in_(counties)))
    )
    return or_(
        AuditEntry.case_id.in_(select(Case.id).where(scope.case_filter(user))),
        AuditEntry.user_id == user.id,
        and_(AuditEntry.case_id.is_(None), AuditEntry.user_id.in_(county_people)),
    )


@dataclass
class AuditFilters:
    """The audit page's query parameters, parsed; malformed values are dropped and reported."""

    person: str = ""
    case: int | None = None
    kind: str = ""
    module: str = ""
    date_from: date | None = None
    date_to: date | None = None
    page: int = 1
    errors: dict = field(default_factory=dict)

    @classmethod
    def from_args(cls, args, kinds=(), modules=()):
        from flask_babel import gettext as _

        errors = {}

        def as_date(name):
            try:
                return date_arg(args.get(name))
            except ValueError as wrong:
                errors[name] = str(wrong)
                return None

        case_text = (args.get("case") or "").strip().lstrip("#")
        case_id = None
        if case_text:
            case_id = positive_int(case_text)
            if case_id is None:
                errors["case"] = _("Enter a case number (digits only).")
        page_text = (args.get("page") or "").strip()
        filters = cls(
            person=(args.get("person") or "").strip()[:64],
            case=case_id,
            kind=args.get("kind", "") if args.get("kind") in kinds else "",
            module=args.get("module", "") if args.get("module") in modules else "",
            date_from=as_date("date_from"),
            date_to=as_date("date_to"),
            page=positive_int(page_text, 1),
            errors=errors,
        )
        if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
            filters.errors["date_to"] = _("The end of the period lies before its start.")
            filters.date_to = None
        return filters

    def as_args(self):
        args = {
            "person": self.person,
            "case": self.case,
            "kind": self.kind,
            "module": self.module,
            "date_from": self.date_from.isoformat() if self.date_from else None,
            "date_to": self.date_to.isoformat() if self.date_to else None,
        }
        return {k: v for k, v in args.items() if v}


def filtered_entries(user, filters):
    """The entries the user may read that match ``filters``, newest first."""
    stmt = select(AuditEntry).where(visible_entries(user))
    if filters.person:
        stmt = stmt.where(AuditEntry.actor_name == filters.person)
    if filters.case is not None:
        stmt = stmt.where(AuditEntry.case_id == filters.case)
    if filters.kind:
        stmt = stmt.where(AuditEntry.kind == filters.kind)
    if filters.module:
        stmt = stmt.where(AuditEntry.module == filters.module)
    if filters.date_from:
        stmt = stmt.where(AuditEntry.logged_dt >= clock.local_date_start(filters.date_from))
    if filters.date_to:
        stmt = stmt.where(AuditEntry.logged_dt < clock.local_date_start(filters.date_to + timedelta(days=1)))
    return stmt.order_by(AuditEntry.id.desc())


def case_entries_page(case, page, per_page):
    """The audit entries about one case (already loaded through the scope), newest first."""
    stmt = select(AuditEntry).where(AuditEntry.case_id == case.id).order_by(AuditEntry.id.desc())
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def child_names(case_ids):
    """``{case id: child's name}`` for the cases a page of entries mentions."""
    ids = sorted({i for i in case_ids if i is not None})
    if not ids:
        return {}
    return dict(db.session.execute(select(Case.id, Child.name).join(Case.child).where(Case.id.in_(ids))).all())
