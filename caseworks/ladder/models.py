"""The record of the ladder: stage changes, notices, legal steps, closure requests and transfers."""

from datetime import date, datetime
from typing import Any, Optional

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseworks.core import clock
from caseworks.core.choices import NOTICE_STAGES
from caseworks.extensions import db


class StageChange(db.Model):
    """One named transition: who moved the case from which stage to which, when, why, and on
    what evidence. Written only by :mod:`caseworks.ladder.transitions`."""

    __tablename__ = "stage_change"
    __table_args__ = (
        # this term's returns and relapses, counted over a city or the province
        Index(
            "ix_stage_change_returns",
            "changed_dt",
            sqlite_where=db.text("to_stage = 'returned'"),
            postgresql_where=db.text("to_stage = 'returned'"),
        ),
        Index(
            "ix_stage_change_relapses",
            "changed_dt",
            sqlite_where=db.text("from_stage IN ('returned', 'closed')"),
            postgresql_where=db.text("from_stage IN ('returned', 'closed')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), index=True)
    #: the transition's name, e.g. ``confirm_dropout``
    transition: Mapped[str] = mapped_column(String(32))
    from_stage: Mapped[str] = mapped_column(String(24))
    to_stage: Mapped[str] = mapped_column(String(24))
    #: None when the scheduler made the change (e.g. the end of a monitoring period)
    actor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"))
    changed_dt: Mapped[datetime] = mapped_column(default=clock.now)
    reason: Mapped[str] = mapped_column(Text, default="")
    evidence: Mapped[str] = mapped_column(Text, default="")

    actor = relationship("User")


class NoticeCounter(db.Model):
    """The last number given to a notice per county and year (〔2026〕第12号)."""

    __tablename__ = "notice_counter"

    county_id: Mapped[int] = mapped_column(ForeignKey("area.id"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    last_number: Mapped[int] = mapped_column(default=0)


class Notice(db.Model):
    """A written notice to the guardian (督促复学通知书 / 责令限期改正通知书)."""

    __tablename__ = "notice"
    __table_args__ = (UniqueConstraint("county_id", "year", "number", name="uq_notice_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    county_id: Mapped[int] = mapped_column(ForeignKey("area.id"))
    year: Mapped[int]
    number: Mapped[int]
    #: the full document number as printed, e.g. 义劝通字〔2026〕第12号
    document_no: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(60))
    #: the text as issued (filled from the case and the profile; later profile edits do not change it)
    body: Mapped[str] = mapped_column(Text)
    issuer: Mapped[str] = mapped_column(String(100), default="")
    recipient: Mapped[str] = mapped_column(String(50))
    deadline_days: Mapped[int]
    issued_dt: Mapped[datetime] = mapped_column(default=clock.now)
    issued_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    # Delivery (送达): recorded after the notice was handed over
    served_date: Mapped[Optional[date]]
    served_to: Mapped[Optional[str]] = mapped_column(String(50))
    served_by: Mapped[Optional[str]] = mapped_column(String(100))
    #: how it was served (直接送达, 留置送达, 邮寄送达, 委托送达, 公告送达): a ServiceMethod
    service_method: Mapped[Optional[str]] = mapped_column(String(16))
    #: served_date + deadline_days
    deadline_date: Mapped[Optional[date]]
    #: set by the scheduler when the deadline passed without a return
    lapsed_flagged_dt: Mapped[Optional[datetime]]

    issued_by = relationship("User")
    case = relationship("Case")

    def has_lapsed(self, today, stage):
        """Served, its deadline passed, and the case (now at ``stage``) still waits for the next
        step. The same rule in SQL is :func:`caseworks.ladder.queries.lapsed_notice`."""
        return self.deadline_date is not None and self.deadline_date < today and stage in NOTICE_STAGES


class NoticeReceipt(db.Model):
    """A photograph of the signed delivery receipt (送达回证) of a notice."""

    __tablename__ = "notice_receipt"

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notice.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(50))
    #: stored in the database so that stateless web workers share it
    data: Mapped[bytes]
    uploaded_dt: Mapped[datetime] = mapped_column(default=clock.now)
    uploaded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"))


class LegalStep(db.Model):
    """A step of the judicial procedure (支持起诉, 起诉, 调解, 判决, 强制执行, 训诫, 家庭教育指导令, 督促监护令)."""

    __tablename__ = "legal_step"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    step_date: Mapped[date]
    #: the court or procuratorate
    authority: Mapped[str] = mapped_column(String(100))
    document_no: Mapped[str] = mapped_column(String(60), default="")
    result: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    recorded_dt: Mapped[datetime] = mapped_column(default=clock.now)

    recorded_by = relationship("User")
    case = relationship("Case")


class ClosureRequest(db.Model):
    """A request to close a case with an outcome, decided by a county reviewer. The reviewer can
    never be the person who asked for it."""

    __tablename__ = "closure_request"
    __table_args__ = (
        # at most one undecided request per case
        Index(
            "uq_closure_request_open",
            "case_id",
            unique=True,
            sqlite_where=db.text("decided_dt IS NULL"),
            postgresql_where=db.text("decided_dt IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), index=True)
    outcome: Mapped[str] = mapped_column(String(24))
    #: what the outcome needs: certificate and dates of a deferral, the home teacher and schedule...
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: the stage the case came from: a send-back returns it there
    from_stage: Mapped[str] = mapped_column(String(24))
    #: None when the scheduler asked (the end of a monitoring period)
    requested_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"))
    requested_dt: Mapped[datetime] = mapped_column(default=clock.now)
    decided_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"))
    decided_dt: Mapped[Optional[datetime]]
    #: approved or sent_back
    decision: Mapped[Optional[str]] = mapped_column(String(12))
    decision_reason: Mapped[str] = mapped_column(Text, default="")

    case = relationship("Case")
    requested_by = relationship("User", foreign_keys=[requested_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])


class Transfer(db.Model):
    """A case handed to another township or county, which accepts (or declines) it."""

    __tablename__ = "transfer"
    __table_args__ = (
        Index(
            "uq_transfer_open",
            "case_id",
            unique=True,
            sqlite_where=db.text("decided_dt IS NULL"),
            postgresql_where=db.text("decided_dt IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), index=True)
    from_village_id: Mapped[int] = mapped_column(ForeignKey("area.id"))
    to_village_id: Mapped[int] = mapped_column(ForeignKey("area.id"))
    #: the receiving township (denormalised: its officials see the case while it waits)
    to_township_id: Mapped[int] = mapped_column(ForeignKey("area.id"), index=True)
    to_school_id: Mapped[Optional[int]] = mapped_column(ForeignKey("school.id"))
    reason: Mapped[str] = mapped_column(Text)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    requested_dt: Mapped[datetime] = mapped_column(default=clock.now)
    decided_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"))
    decided_dt: Mapped[Optional[datetime]]
    accepted: Mapped[Optional[bool]]
    decline_reason: Mapped[str] = mapped_column(Text, default="")

    case = relationship("Case")
    to_village = relationship("Area", foreign_keys=[to_village_id])
    from_village = relationship("Area", foreign_keys=[from_village_id])
    to_school = relationship("School")
    requested_by = relationship("User", foreign_keys=[requested_by_id])
