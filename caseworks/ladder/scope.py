"""A case waiting for a transfer is visible to the officials of the township receiving it."""

from sqlalchemy import select

from caseworks.cases.models import Case
from caseworks.core.choices import Role
from caseworks.core.scope import extend_scope
from caseworks.extensions import db
from caseworks.ladder.models import Transfer


@extend_scope
def incoming_transfers(user):
    """The waiting cases by id, looked up first: an ``IN (subquery)`` inside the scope's OR would
    keep the database from using the township indexes on every case query."""
    if user.role != Role.TOWNSHIP_OFFICIAL or user.township_id is None:
        return None
    waiting = db.session.scalars(
        select(Transfer.case_id).where(Transfer.to_township_id == user.township_id, Transfer.decided_dt.is_(None))
    ).all()
    return Case.id.in_(waiting) if waiting else None
