"""In-app messages: reminders and flags sent to one user."""

from datetime import datetime
from typing import Optional

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseworks.core import clock
from caseworks.extensions import db


class Message(db.Model):
    __tablename__ = "inbox_message"
    __table_args__ = (
        Index(
            "ix_inbox_message_unread",
            "user_id",
            sqlite_where=db.text("read_dt IS NULL"),
            postgresql_where=db.text("read_dt IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    case_id: Mapped[Optional[int]] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), index=True)
    #: visit_due, visit_overdue, case_stale, deadline_lapsed, stage_overdue, sent_back, ...
    kind: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    #: a page of this site the message is about (a filtered case list), opened with the message
    link: Mapped[Optional[str]] = mapped_column(String(300))
    #: the same reminder is never sent twice: one message per dedupe key
    dedupe_key: Mapped[str] = mapped_column(String(120), unique=True)
    created_dt: Mapped[datetime] = mapped_column(default=clock.now)
    read_dt: Mapped[Optional[datetime]]
    emailed_dt: Mapped[Optional[datetime]]

    case = relationship("Case")
