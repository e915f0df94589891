"""Sending messages to users' inboxes."""

from sqlalchemy import select, update

from caseworks.core import clock
from caseworks.extensions import db
from caseworks.inbox.models import Message


def notify(user_id, kind, subject, *, body="", case_id=None, link=None, dedupe_key):
    """Put a message in one user's inbox unless one with ``dedupe_key`` was already sent.

    Returns the new message, or None if it was a repeat. Jobs call this freely on every run;
    the dedupe key (e.g. ``f"visit_overdue:{visit.id}:{user_id}"``) makes that idempotent.
    """
    if db.session.scalar(select(Message.id).where(Message.dedupe_key == dedupe_key)) is not None:
        return None
    message = Message(
        user_id=user_id,
        kind=kind,
        subject=str(subject),
        body=str(body),
        case_id=case_id,
        link=link,
        dedupe_key=dedupe_key,
    )
    db.session.add(message)
    db.session.flush()
    return message


def mark_read(message):
    """Mark one message read (once: the first time it was opened stays)."""
    if message.read_dt is None:
        message.read_dt = clock.now()


def mark_all_read(user):
    """Mark every unread message of ``user`` read."""
    db.session.execute(
        update(Message).where(Message.user_id == user.id, Message.read_dt.is_(None)).values(read_dt=clock.now())
    )
