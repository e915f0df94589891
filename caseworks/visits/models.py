"""Home visits and other persuasion contacts, planned and done."""

from datetime import date, datetime
from typing import Any, Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseworks.core import clock
from caseworks.core.choices import LabelledChoice
from caseworks.extensions import db


class VisitMethod(LabelledChoice):
    HOME_VISIT = "home_visit"
    PHONE = "phone"
    VIDEO = "video"
    MEETING_SCHOOL = "meeting_school"
    MEETING_TOWNSHIP = "meeting_township"

    @classmethod
    def _labels(cls):
        return {
            "home_visit": _l("Home visit"),
            "phone": _l("Phone call"),
            "video": _l("Video call"),
            "meeting_school": _l("Meeting at school"),
            "meeting_township": _l("Meeting at the township"),
        }


class VisitOutcome(LabelledChoice):
    AGREED_TO_RETURN = "agreed_to_return"
    REFUSED = "refused"
    NOT_AT_HOME = "not_at_home"
    MOVED_AWAY = "moved_away"
    IN_SCHOOL = "in_school"

    @classmethod
    def _labels(cls):
        return {
            "agreed_to_return": _l("Agreed to return"),
            "refused": _l("Refused"),
            "not_at_home": _l("Not at home"),
            "moved_away": _l("Moved away"),
            "in_school": _l("Attending school"),
        }


class Attitude(LabelledChoice):
    """The guardian's attitude to the child's return."""

    SUPPORTIVE = "supportive"
    HESITANT = "hesitant"
    OPPOSED = "opposed"

    @classmethod
    def _labels(cls):
        return {"supportive": _l("Supports the return"), "hesitant": _l("Hesitant"), "opposed": _l("Opposed")}


class Willingness(LabelledChoice):
    """The child's own willingness to return."""

    WILLING = "willing"
    HESITANT = "hesitant"
    UNWILLING = "unwilling"

    @classmethod
    def _labels(cls):
        return {"willing": _l("Willing"), "hesitant": _l("Undecided"), "unwilling": _l("Unwilling")}


class Visitor(LabelledChoice):
    """Who went on a visit, by their part in the case."""

    TEACHER = "teacher"
    CADRE = "cadre"
    SCHOOL_LEADER = "school_leader"
    TOWNSHIP_STAFF = "township_staff"

    @classmethod
    def _labels(cls):
        return {
            "teacher": _l("Teacher"),
            "cadre": _l("Village cadre"),
            "school_leader": _l("School leader"),
            "township_staff": _l("Township staff"),
        }


class SupportKind(LabelledChoice):
    FINANCIAL_AID = "financial_aid"
    TUTORING = "tutoring"
    COUNSELLING = "counselling"
    BOARDING_TRANSPORT = "boarding_transport"
    REFERRAL = "referral"

    @classmethod
    def _labels(cls):
        return {
            "financial_aid": _l("Financial aid (资助, 两免一补)"),
            "tutoring": _l("Tutoring"),
            "counselling": _l("Psychological counselling"),
            "boarding_transport": _l("Boarding or transport"),
            "referral": _l("Referral to another department"),
        }


class VisitPurpose(LabelledChoice):
    """Why the scheduler planned a visit (the cadence rule that produced it)."""

    MONTHLY = "monthly"
    LADDER = "ladder"
    MONITORING = "monitoring"
    COUNTY_LOOK = "county_look"
    MANUAL = "manual"

    @classmethod
    def _labels(cls):
        return {
            "monthly": _l("Monthly home visit"),
            "ladder": _l("Weekly persuasion visit"),
            "monitoring": _l("Weekly attendance check"),
            "county_look": _l("County monthly look"),
            "manual": _l("Planned by hand"),
        }


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
    planned_dt: Mapped[Optional[datetime]]
    cancelled_dt: Mapped[Optional[datetime]]
    #: set by the scheduler when the due date passed without the visit being done
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
    def is_done(self):
        return self.done_dt is not None

    def is_overdue_on(self, day):
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
