"""Children, their guardians and their cases."""

from datetime import date, datetime
from typing import Optional

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseworks.core import clock
from caseworks.core.choices import CaseKind, Stage
from caseworks.core.idnumber import mask
from caseworks.extensions import db
from caseworks.places.models import Area, School


class Child(db.Model):
    """One child, one record: the resident ID number is unique."""

    __tablename__ = "child"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), index=True)
    gender: Mapped[str] = mapped_column(String(8))
    birth_date: Mapped[date]
    id_number: Mapped[str] = mapped_column(String(18), unique=True)
    #: 学籍号: "G" + ID number, or a temporary "L…" / "J…" number
    student_no: Mapped[Optional[str]] = mapped_column(String(30))
    #: where the household is registered, when it is a village we know (a pupil imported from a
    #: roster may have their household elsewhere, or the roster may not say)
    household_village_id: Mapped[Optional[int]] = mapped_column(ForeignKey("area.id"), index=True)
    address: Mapped[str] = mapped_column(String(200), default="")
    #: only for children in the disabled group
    disability_type: Mapped[Optional[str]] = mapped_column(String(16))
    created_dt: Mapped[datetime] = mapped_column(default=clock.now)

    household_village: Mapped[Optional[Area]] = relationship()
    guardians: Mapped[list["Guardian"]] = relationship(
        back_populates="child", cascade="all, delete-orphan", order_by="Guardian.position"
    )
    group_rows: Mapped[list["ChildGroup"]] = relationship(cascade="all, delete-orphan")

    @property
    def groups(self):
        return sorted(g.group for g in self.group_rows)

    @property
    def masked_id_number(self):
        return mask(self.id_number)

    def age_on(self, day):
        years = day.year - self.birth_date.year
        if (day.month, day.day) < (self.birth_date.month, self.birth_date.day):
            years -= 1
        return years


class Guardian(db.Model):
    __tablename__ = "guardian"

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("child.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(String(50))
    relation: Mapped[str] = mapped_column(String(16))
    phone: Mapped[str] = mapped_column(String(20))
    #: 外出务工: the guardian works away from home
    is_working_away: Mapped[bool] = mapped_column(default=False)

    child: Mapped[Child] = relationship(back_populates="guardians")


class ChildGroup(db.Model):
    """A special category the child belongs to (留守, 孤儿, ...)."""

    __tablename__ = "child_group"

    child_id: Mapped[int] = mapped_column(ForeignKey("child.id", ondelete="CASCADE"), primary_key=True)
    group: Mapped[str] = mapped_column(String(24), primary_key=True, index=True)


class Case(db.Model):
    __tablename__ = "case_file"
    __table_args__ = (
        # at most one open case per child
        Index(
            "uq_case_file_open_child",
            "child_id",
            unique=True,
            sqlite_where=db.text("stage != 'closed'"),
            postgresql_where=db.text("stage != 'closed'"),
        ),
        Index("ix_case_file_township_stage", "township_id", "stage"),
        Index("ix_case_file_county_stage", "county_id", "stage"),
        Index("ix_case_file_school_stage", "school_id", "stage"),
        Index("ix_case_file_opened", "opened_date", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("child.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    stage: Mapped[str] = mapped_column(String(24), index=True)
    opened_date: Mapped[date]
    opened_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"))
    #: the month the child stopped attending (辍学年月), first of that month
    dropout_date: Mapped[Optional[date]]
    situation: Mapped[str] = mapped_column(Text, default="")
    #: how the case was found (a CaseSource: household matching, absences...), None if registered by hand
    source: Mapped[Optional[str]] = mapped_column(String(24))
    #: when it was found that way (the term of a matching, the day of an absence report)
    source_date: Mapped[Optional[date]]

    # Where the case belongs. The village is the government line, the school the education line.
    school_id: Mapped[Optional[int]] = mapped_column(ForeignKey("school.id"))
    grade: Mapped[Optional[str]] = mapped_column(String(16))
    class_name: Mapped[Optional[str]] = mapped_column(String(16))
    village_id: Mapped[int] = mapped_column(ForeignKey("area.id"), index=True)
    #: township of the village (denormalised for scope filtering)
    township_id: Mapped[int] = mapped_column(ForeignKey("area.id"))
    #: county that holds the case; changes only when a transfer is accepted
    county_id: Mapped[int] = mapped_column(ForeignKey("area.id"))
    #: township of the school, if any (the education line's township)
    school_township_id: Mapped[Optional[int]] = mapped_column(ForeignKey("area.id"), index=True)

    teacher_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"), index=True)
    cadre_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"), index=True)

    #: the agreed plan (一人一案): goals and overall approach; measures are PlanItem rows
    plan_summary: Mapped[str] = mapped_column(Text, default="")

    stage_entered_date: Mapped[date]
    #: the ladder stage to go back to on a relapse or when a review sends the case back
    resume_stage: Mapped[Optional[str]] = mapped_column(String(24))
    relapse_count: Mapped[int] = mapped_column(default=0)
    last_contact_date: Mapped[Optional[date]]
    #: set by the scheduler: no contact for the profile's stale_after_days
    is_stale: Mapped[bool] = mapped_column(default=False)
    dismissed_reason: Mapped[Optional[str]] = mapped_column(Text)
    closed_outcome: Mapped[Optional[str]] = mapped_column(String(24))
    closed_date: Mapped[Optional[date]]
    #: an outcome that holds only for a time (a health deferral) is reviewed again on this date
    closed_until: Mapped[Optional[date]]

    # The latest return (复学): when, where, who at the school confirmed it, and monitoring
    return_date: Mapped[Optional[date]]
    return_school_id: Mapped[Optional[int]] = mapped_column(ForeignKey("school.id"))
    return_class: Mapped[Optional[str]] = mapped_column(String(32))
    return_confirmed_by: Mapped[Optional[str]] = mapped_column(String(100))
    #: the monitoring period after a return ends on this date (then the case goes to review)
    monitoring_until: Mapped[Optional[date]]

    version: Mapped[int] = mapped_column(default=1)
    __mapper_args__ = {"version_id_col": version}

    child: Mapped[Child] = relationship(lazy="joined", innerjoin=True)
    school: Mapped[Optional[School]] = relationship(foreign_keys=[school_id])
    return_school: Mapped[Optional[School]] = relationship(foreign_keys=[return_school_id])
    village: Mapped[Area] = relationship(foreign_keys=[village_id])
    township: Mapped[Area] = relationship(foreign_keys=[township_id])
    county: Mapped[Area] = relationship(foreign_keys=[county_id])
    teacher = relationship("User", foreign_keys=[teacher_id])
    cadre = relationship("User", foreign_keys=[cadre_id])
    opened_by = relationship("User", foreign_keys=[opened_by_id])
    reason_rows: Mapped[list["CaseReason"]] = relationship(cascade="all, delete-orphan")
    plan_items: Mapped[list["PlanItem"]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="PlanItem.id"
    )

    @property
    def reasons(self):
        return sorted(r.reason for r in self.reason_rows)

    @property
    def stage_enum(self):
        return Stage(self.stage)

    @property
    def kind_enum(self):
        return CaseKind(self.kind)

    @property
    def is_open(self):
        return self.stage != Stage.CLOSED

    @property
    def source_label(self):
        """ "Household register matching (户籍比对) 2026 autumn": how and when the case was found."""
        from caseworks.core.choices import CaseSource
        from caseworks.core.terms import term_label

        if not self.source:
            return ""
        when = term_label(self.source_date) if self.source_date else ""
        return f"{CaseSource.label_of(self.source)} {when}".strip()

    @property
    def is_fully_assigned(self):
        return self.teacher_id is not None and self.cadre_id is not None

    def __repr__(self):
        return f"<Case {self.id} {self.kind} {self.stage}>"


class CaseReason(db.Model):
    __tablename__ = "case_reason"

    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), primary_key=True)
    reason: Mapped[str] = mapped_column(String(24), primary_key=True)


class PlanItem(db.Model):
    """One agreed measure of the plan (一人一案) and who is responsible for it."""

    __tablename__ = "plan_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), index=True)
    measure: Mapped[str] = mapped_column(Text)
    responsible: Mapped[str] = mapped_column(String(100))
    target_date: Mapped[Optional[date]]
    created_dt: Mapped[datetime] = mapped_column(default=clock.now)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"))

    case: Mapped[Case] = relationship(back_populates="plan_items")
    created_by = relationship("User")


class Assignment(db.Model):
    """History of who was assigned to a case, on which line (teacher or cadre)."""

    __tablename__ = "assignment"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), index=True)
    #: "teacher" (education line) or "cadre" (government line)
    line: Mapped[str] = mapped_column(String(8))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    assigned_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    assigned_dt: Mapped[datetime] = mapped_column(default=clock.now)
    ended_dt: Mapped[Optional[datetime]]

    user = relationship("User", foreign_keys=[user_id])
    assigned_by = relationship("User", foreign_keys=[assigned_by_id])
