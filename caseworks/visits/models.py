"""Home visits and other persuasion contacts, planned and done."""

from datetime import date, datetime
from typing import Any, Optional

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseworks.core import clock
from caseworks.core.choices import VisitPurpose
from caseworks.extensions import db


class Visit(db.Model):
    """A visit or contact. Planned rows have a due date and no done_dt; done rows have both
    or only done_dt (an unplanned contact logged directly)."""

    __tablename__ = "visit"
    __table_args__ = (
        # the poller's working set: planned visits not yet done
        Index(
            "ix_visit_open_due",
            "due_date",
            sqlite_where=db.text("done_dt IS NULL AND cancelled_dt IS NULL"),
            postgresql_where=db.text("done_dt IS NULL AND cancelled_dt IS NULL"),
        ),
        Index("ix_visit_case_due", "case_id", "due_date"),
        Index("ix_visit_assignee_due", "assignee_id", "due_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"))
    #: generated on the client so a retried offline sync never logs the same visit twice
    client_uuid: Mapped[Optional[str]] = mapped_column(String(36), unique=True)

    # Planning
    due_date: Mapped[Optional[date]]
    #: who should go
    assignee_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"))
    purpose: Mapped[str] = mapped_column(String(16), default=VisitPurpose.MANUAL)
    #: the line (teacher or cadre) a regular planned visit belongs to; it follows the person who
    #: holds that line on the case
    line: Mapped[Optional[str]] = mapped_column(String(8))
    planned_dt: Mapped[Optional[datetime]]
    cancelled_dt: Mapped[Optional[datetime]]
    #: set by the scheduler (flag_overdue_visits) when the due date passed without the visit being
    #: done; the pages and counts ask :func:`caseworks.visits.queries.overdue_visit` instead
    is_overdue: Mapped[bool] = mapped_column(default=False)
    reminded_dt: Mapped[Optional[datetime]]

    # What happened
    done_dt: Mapped[Optional[datetime]]
    visit_date: Mapped[Optional[date]]
    logged_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"))
    method: Mapped[Optional[str]] = mapped_column(String(20))
    #: roles that went: teacher, cadre, school_leader, township_staff
    visitors: Mapped[list[str]] = mapped_column(default=list)
    visitor_names: Mapped[str] = mapped_column(String(200), default="")
    #: a done visit counts for the education line (the teacher or a school leader went) and/or
    #: the government line (the village cadre or township staff went): a joint visit for both
    is_teacher_line: Mapped[bool] = mapped_column(default=False)
    is_cadre_line: Mapped[bool] = mapped_column(default=False)
    met_with: Mapped[str] = mapped_column(String(200), default="")
    findings: Mapped[str] = mapped_column(Text, default="")
    guardian_attitude: Mapped[Optional[str]] = mapped_column(String(16))
    child_willingness: Mapped[Optional[str]] = mapped_column(String(16))
    outcome: Mapped[Optional[str]] = mapped_column(String(20))
    agreed_return_date: Mapped[Optional[date]]
    next_step: Mapped[str] = mapped_column(Text, default="")
    latitude: Mapped[Optional[float]]
    longitude: Mapped[Optional[float]]
    #: the case's stage when the visit was done (persuasion contacts are counted per stage)
    stage_at_visit: Mapped[Optional[str]] = mapped_column(String(24))
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)

    case = relationship("Case")
    assignee = relationship("User", foreign_keys=[assignee_id])
    logged_by = relationship("User", foreign_keys=[logged_by_id])

    @property
    def is_county_look(self):
        return self.purpose == VisitPurpose.COUNTY_LOOK

    @property
    def is_done(self):
        return self.done_dt is not None

    def is_overdue_on(self, day):
        """Planned, neither done nor cancelled, and due before ``day``: for one loaded visit what
        :func:`caseworks.visits.queries.overdue_visit` says in SQL."""
        return not self.is_done and self.cancelled_dt is None and self.due_date is not None and self.due_date < day


class VisitPhoto(db.Model):
    __tablename__ = "visit_photo"

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visit.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(50))
    #: stored in the database so that stateless web workers share it
    data: Mapped[bytes]
    uploaded_dt: Mapped[datetime] = mapped_column(default=clock.now)


class SupportMeasure(db.Model):
    """Support given alongside persuasion at any stage (资助, 辅导, 心理疏导, 寄宿交通, 转介)."""

    __tablename__ = "support_measure"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    detail: Mapped[str] = mapped_column(Text, default="")
    #: for a referral: the department it went to (民政, 残联, 公安, 人社...)
    department: Mapped[str] = mapped_column(String(100), default="")
    responsible: Mapped[str] = mapped_column(String(100))
    start_date: Mapped[date]
    end_date: Mapped[Optional[date]]
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"))
    created_dt: Mapped[datetime] = mapped_column(default=clock.now)

    created_by = relationship("User")
