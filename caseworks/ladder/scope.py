"""A case waiting for a transfer is visible to the officials of the township receiving it."""

from sqlalchemy import select

from caseworks.cases.models import Case
from caseworks.core.choices import Role
from caseworks.core.scope import extend_scope
from caseworks.ladder.models import Transfer


@extend_scope
def incoming_transfers(user):
    if user.role != Role.TOWNSHIP_OFFICIAL or user.township_id is None:
        return None
    waiting = select(Transfer.case_id).where(Transfer.to_township_id == user.township_id,
                                             Transfer.decided_dt.is_(None))
    return Case.id.in_(waiting)
