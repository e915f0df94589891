"""Sending messages to users' inboxes."""

from sqlalchemy import select

from caseworks.extensions import db
from caseworks.inbox.models import Message


def notify(user_id, kind, subject, *, body="", case_id=None, dedupe_key):
    """Put a message in one user's inbox unless one with ``dedupe_key`` was already sent.

    Returns the new message, or None if it was a repeat. Jobs call this freely on every run;
    the dedupe key (e.g. ``f"visit_overdue:{visit.id}:{user_id}"``) makes that idempotent.
    """
    if db.session.scalar(select(Message.id).where(Message.dedupe_key == dedupe_key)) is not None:
        return None
    message = Message(
        user_id=user_id, kind=kind, subject=str(subject), body=str(body), case_id=case_id, dedupe_key=dedupe_key
    )
    db.session.add(message)
    db.session.flush()
    return message
