"""The reminders job: in-app messages (and e-mail, when SMTP is configured) about visits coming
due, visits overdue, cases gone stale, and a daily overdue digest for township officials.

Every message carries a dedupe key, so running the job again sends nothing twice. A message that
names a case says its number and village, not the child's name: it may leave the system by
e-mail.
"""

from collections import defaultdict
from datetime import time, timedelta

from flask import current_app
from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from caseworks.accounts.models import User
from caseworks.cases.jobs import last_contact
from caseworks.cases.models import Case
from caseworks.cases.queries import stale_case
from caseworks.core import clock
from caseworks.core.choices import VISITED_STAGES, Role
from caseworks.extensions import db
from caseworks.inbox import mail
from caseworks.inbox.models import Message
from caseworks.places.models import Area
from caseworks.scheduler.registry import scheduled_job
from caseworks.visits.models import Visit
from caseworks.visits.queries import open_planned_visit, overdue_visit

#: a visit due within this many days gets a "visit due" reminder
DUE_SOON_DAYS = 2
#: the overdue digest goes out on the first run at or after this local time
DIGEST_TIME = time(7, 30)
BATCH = 5000


def _chunks(items, size=BATCH):
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start : start + size]


class Outbox:
    """Messages to deliver in bulk. Same contract as :func:`caseworks.inbox.operations.notify`
    — one message per dedupe key, ever — but with one query per few thousand messages rather
    than two per message, so that a first run over province data stays fast."""

    def __init__(self):
        self.rows = {}

    def add(self, user_id, kind, subject, *, body="", case_id=None, link=None, dedupe_key):
        self.rows.setdefault(
            dedupe_key,
            {
                "user_id": user_id,
                "kind": kind,
                "subject": str(subject)[:200],
                "body": str(body),
                "case_id": case_id,
                "link": link,
                "dedupe_key": dedupe_key,
            },
        )

    def deliver(self) -> list[str]:
        """Insert what was not sent before; the dedupe keys of the new messages."""
        sent = set()
        for chunk in _chunks(self.rows):
            sent.update(db.session.scalars(select(Message.dedupe_key).where(Message.dedupe_key.in_(chunk))))
        new = [row for key, row in self.rows.items() if key not in sent]
        now = clock.now()
        table = Message.__table__
        dialect = db.session.get_bind().dialect.name
        for chunk in _chunks(new):
            rows = [{**row, "created_dt": now} for row in chunk]
            if dialect in ("postgresql", "sqlite"):
                # a message another writer added meanwhile is skipped, not an error
                module = postgresql if dialect == "postgresql" else sqlite
                stmt = module.insert(table).on_conflict_do_nothing(index_elements=["dedupe_key"])
            else:
                stmt = insert(table)
            db.session.execute(stmt, rows)
        return [row["dedupe_key"] for row in new]


def _visit_rows(condition):
    """Open planned visits matching ``condition``, with an active assignee and the case's village."""
    return db.session.execute(
        select(Visit.id, Visit.case_id, Visit.due_date, Visit.assignee_id, Area.name.label("village"))
        .join(Case, Case.id == Visit.case_id)
        .join(Area, Area.id == Case.village_id)
        .join(User, User.id == Visit.assignee_id)
        .where(open_planned_visit(), condition, Case.stage.in_(VISITED_STAGES), User.is_active.is_(True))
    ).all()


def _visits_due(outbox, today):
    reminded = []
    for v in _visit_rows(Visit.due_date.between(today, today + timedelta(days=DUE_SOON_DAYS))):
        outbox.add(
            v.assignee_id,
            "visit_due",
            _(
                "Visit due on %(date)s: case %(case)s, %(village)s",
                date=format_date(v.due_date),
                case=v.case_id,
                village=v.village,
            ),
            body=_(
                "The planned visit for case %(case)s (%(village)s) is due on %(date)s. Log it on the case page "
                "once it is done.",
                date=format_date(v.due_date),
                case=v.case_id,
                village=v.village,
            ),
            case_id=v.case_id,
            dedupe_key=f"visit_due:{v.id}:{v.due_date.isoformat()}:{v.assignee_id}",
        )
        reminded.append(v.id)
    return reminded


def _visits_overdue(outbox, today):
    for v in _visit_rows(overdue_visit(today)):
        outbox.add(
            v.assignee_id,
            "visit_overdue",
            _(
                "Visit overdue since %(date)s: case %(case)s, %(village)s",
                date=format_date(v.due_date),
                case=v.case_id,
                village=v.village,
            ),
            body=_(
                "The planned visit for case %(case)s (%(village)s) was due on %(date)s and has not been "
                "logged. Visit the family, or call them, and log the contact.",
                date=format_date(v.due_date),
                case=v.case_id,
                village=v.village,
            ),
            case_id=v.case_id,
            dedupe_key=f"visit_overdue:{v.id}:{v.due_date.isoformat()}:{v.assignee_id}",
        )


def _stale_cases(outbox, inactive):
    rows = db.session.execute(
        select(Case.id, Case.teacher_id, Case.cadre_id, last_contact().label("since"), Area.name.label("village"))
        .join(Area, Area.id == Case.village_id)
        .where(stale_case())
    ).all()
    for c in rows:
        for user_id in {c.teacher_id, c.cadre_id} - {None} - inactive:
            outbox.add(
                user_id,
                "case_stale",
                _(
                    "No contact since %(date)s: case %(case)s, %(village)s",
                    date=format_date(c.since),
                    case=c.id,
                    village=c.village,
                ),
                body=_(
                    "Nobody has been in contact with case %(case)s (%(village)s) since %(date)s. Visit or call "
                    "the family and log the contact.",
                    date=format_date(c.since),
                    case=c.id,
                    village=c.village,
                ),
                case_id=c.id,
                dedupe_key=f"case_stale:{c.id}:{c.since.isoformat()}:{user_id}",
            )


def _overdue_digest(outbox, today):
    """One message a day to each township official: how many visits in their township (by the
    case's village or its school, as their case list shows it) are overdue."""
    per_township = defaultdict(int)
    for township_id, school_township_id, count in db.session.execute(
        select(Case.township_id, Case.school_township_id, db.func.count())
        .select_from(Visit)
        .join(Case, Case.id == Visit.case_id)
        .where(overdue_visit(today), Case.stage.in_(VISITED_STAGES))
        .group_by(Case.township_id, Case.school_township_id)
    ):
        per_township[township_id] += count
        if school_township_id is not None and school_township_id != township_id:
            per_township[school_township_id] += count
    officials = db.session.execute(
        select(User.id, Area.township_id, Area.name)
        .join(Area, Area.id == User.area_id)
        .where(User.role == Role.TOWNSHIP_OFFICIAL, User.is_active.is_(True), Area.township_id.is_not(None))
    ).all()
    sent = 0
    for user_id, township_id, township_name in officials:
        count = per_township.get(township_id, 0)
        if not count:
            continue
        outbox.add(
            user_id,
            "overdue_digest",
            _("Overdue visits in %(township)s: %(count)s", township=township_name, count=count),
            body=_(
                "On %(date)s, %(count)s planned visits in %(township)s are past their due date. The overdue "
                "visits list shows which, and who should go.",
                date=format_date(today),
                count=count,
                township=township_name,
            ),
            dedupe_key=f"overdue_digest:{user_id}:{today.isoformat()}",
        )
        sent += 1
    return sent


@scheduled_job(
    "send_reminders", description="Remind people of visits due and overdue and of stale cases", order=60, minute="0,30"
)
def send_reminders(today):
    """In-app reminders, each sent once: a visit due within two days and a visit gone overdue
    (to its assignee), a case gone stale (to its teacher and cadre), and from 07:30 the day's
    overdue digest (to each township official). Then, with SMTP configured, the e-mails."""
    inactive = set(db.session.scalars(select(User.id).where(User.is_active.is_(False))))
    outbox = Outbox()
    due_visits = _visits_due(outbox, today)
    _visits_overdue(outbox, today)
    _stale_cases(outbox, inactive)
    if clock.now().astimezone(clock.LOCAL_TZ).time() >= DIGEST_TIME:
        _overdue_digest(outbox, today)
    new = outbox.deliver()
    if due_visits:
        reminded = {int(key.split(":")[1]) for key in new if key.startswith("visit_due:")}
        for chunk in _chunks(reminded):
            db.session.execute(
                update(Visit).where(Visit.id.in_(chunk)).values(reminded_dt=clock.now()),
                execution_options={"synchronize_session": False},
            )
    summary = defaultdict(int)
    for key in new:
        summary[key.split(":", 1)[0]] += 1
    summary = {kind: summary.get(kind, 0) for kind in ("visit_due", "visit_overdue", "case_stale", "overdue_digest")}
    if current_app.config.get("SMTP_URL"):
        summary.update(mail.send_pending())
    return summary
