"""Scheduled jobs of the core: checkpoints of the audit chain."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from caseworks.core import audit, checkpoints
from caseworks.core.choices import Role
from caseworks.extensions import db
from caseworks.scheduler.registry import scheduled_job


@scheduled_job(
    "write_audit_checkpoint",
    description="Write a signed checkpoint of the audit chain outside the database",
    order=90,
    minute="*/10",
)
def write_audit_checkpoint(today):
    """A checkpoint whenever the chain has grown; if the chain no longer fits the latest one,
    none is written and the administrators are told (a rewritten trail must not be vouched for)."""
    try:
        point = checkpoints.write_checkpoint()
    except checkpoints.CheckpointError as broken:
        _alarm(str(broken), today)
        return {"written": 0, "broken": str(broken)}
    return {"written": 1, "last_id": point.last_id} if point else {"written": 0}


def _alarm(problem, today):
    from caseworks.accounts.models import User
    from caseworks.inbox.operations import notify

    audit.record("audit_broken", f"audit chain does not fit its checkpoint: {problem}", module="audit", actor=None)
    subject = _l("The audit trail does not fit its checkpoint: run `flask --app wsgi audit verify`.")
    for admin_id in db.session.scalars(select(User.id).where(User.role == Role.ADMIN, User.is_active.is_(True))):
        notify(admin_id, "audit_broken", subject, body=problem, dedupe_key=f"audit_broken:{today}:{admin_id}")
