"""The record of every stage change of a case."""

from datetime import datetime
from typing import Optional

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseworks.core import clock
from caseworks.extensions import db


class StageChange(db.Model):
    """One named transition: who moved the case from which stage to which, when, why, and on
    what evidence. Written only by :mod:`caseworks.ladder.transitions`."""

    __tablename__ = "stage_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), index=True)
    #: the transition's name, e.g. ``confirm_dropout``
    transition: Mapped[str] = mapped_column(String(32))
    from_stage: Mapped[str] = mapped_column(String(24))
    to_stage: Mapped[str] = mapped_column(String(24))
    actor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"))
    changed_dt: Mapped[datetime] = mapped_column(default=clock.now)
    reason: Mapped[str] = mapped_column(Text, default="")
    evidence: Mapped[str] = mapped_column(Text, default="")

    actor = relationship("User")
