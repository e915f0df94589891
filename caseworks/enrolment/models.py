"""The enrolment register, imported files, the lists a roster is compared with, absences and
the contact tasks they raise."""

from datetime import date, datetime
from typing import Any, Optional

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from caseworks.core import clock
from caseworks.core.choices import EnrolmentStatus, ImportStatus
from caseworks.extensions import db


class Enrolment(db.Model):
    """One pupil on one school's roll for one school year (学籍): the denominator of the rates
    and the base of matching. A child is on one roll per school year."""

    __tablename__ = "enrolment"
    __table_args__ = (
        UniqueConstraint("school_year", "child_id"),
        Index("ix_enrolment_school_year_status", "school_id", "school_year", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("child.id"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"))
    #: the year the school year starts in (2026 = 2026–2027)
    school_year: Mapped[int]
    grade: Mapped[str] = mapped_column(String(16))
    class_name: Mapped[str] = mapped_column(String(16), default="")
    #: 学籍号 as the roster gives it
    student_no: Mapped[Optional[str]] = mapped_column(String(30))
    #: the household village, when the roster's 户籍地 names one we know
    village_id: Mapped[Optional[int]] = mapped_column(ForeignKey("area.id"), index=True)
    #: 户籍地 as the roster writes it
    household_place: Mapped[str] = mapped_column(String(200), default="")
    guardian_name: Mapped[str] = mapped_column(String(50), default="")
    guardian_phone: Mapped[str] = mapped_column(String(20), default="")
    #: enrolled, or left: gone from the school's latest roster (never deleted)
    status: Mapped[str] = mapped_column(String(8), default=EnrolmentStatus.ENROLLED)
    left_date: Mapped[Optional[date]]
    #: the import that last wrote the row (None: entered by hand or demo data)
    import_id: Mapped[Optional[int]] = mapped_column(ForeignKey("import_batch.id"))
    created_dt: Mapped[datetime] = mapped_column(default=clock.now)
    updated_dt: Mapped[Optional[datetime]]

    child = relationship("Child")
    school = relationship("School")
    village = relationship("Area")


class ImportBatch(db.Model):
    """One imported file: what it is, who brought it, its hash, and where it stands. The file
    itself is kept (checking and importing may run in the scheduler process, on another
    machine); nothing of it reaches the register before the user confirms."""

    __tablename__ = "import_batch"
    __table_args__ = (Index("ix_import_batch_status", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: an ImportKind: roster, household, poverty, pushed
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=ImportStatus.WAITING_CHECK)
    #: who uploaded it (None: the import command, run by the county's IT staff on the server)
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"), index=True)
    #: the school a roster is for (None: the file names each row's school)
    school_id: Mapped[Optional[int]] = mapped_column(ForeignKey("school.id"))
    #: the importer's area (township or county): the reach of a list, and of a multi-school roster
    area_id: Mapped[Optional[int]] = mapped_column(ForeignKey("area.id"))
    school_year: Mapped[int]
    filename: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int]
    content: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    #: the file's header row as read
    headers: Mapped[list[str]] = mapped_column(default=list)
    #: field name → column index, recognised or chosen by the user
    mapping: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: rows in the file (without the header)
    total_rows: Mapped[int] = mapped_column(default=0)
    #: new, changed, unchanged, invalid, left: from the check, then from the import
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: a sample for the preview: {"changed": [...], "invalid": [...]}
    preview: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: the user chose to import the valid rows and leave the invalid ones
    only_valid: Mapped[bool] = mapped_column(default=False)
    #: the file holds only some pupils (a corrected error file, or as the user said): those
    #: missing from it are not marked left
    is_partial: Mapped[bool] = mapped_column(default=False)
    error: Mapped[Optional[str]] = mapped_column(Text)
    created_dt: Mapped[datetime] = mapped_column(default=clock.now)
    confirmed_dt: Mapped[Optional[datetime]]
    finished_dt: Mapped[Optional[datetime]]

    user = relationship("User")
    school = relationship("School")
    area = relationship("Area")
    progress = relationship("ImportProgress", uselist=False, lazy="joined")

    @property
    def status_enum(self):
        return ImportStatus(self.status)

    @property
    def done_rows(self):
        if self.status in (ImportStatus.READY, ImportStatus.DONE):
            return self.total_rows
        return self.progress.done_rows if self.progress is not None else 0

    @property
    def heartbeat_dt(self):
        return self.progress.heartbeat_dt if self.progress is not None else None

    @property
    def percent(self):
        if not self.total_rows:
            return 0
        return min(100, round(100 * self.done_rows / self.total_rows))


class ImportProgress(db.Model):
    """How far a background run of an import has come. Written on a connection of its own while
    the run's transaction is still open (so the page shows it), never by that transaction: a
    killed run leaves its heartbeat behind and nothing else."""

    __tablename__ = "import_progress"

    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batch.id", ondelete="CASCADE"), primary_key=True)
    done_rows: Mapped[int] = mapped_column(default=0)
    #: the run's last sign of life; a run silent for longer than a couple of minutes was killed
    heartbeat_dt: Mapped[datetime]
    #: host and process of the run
    worker: Mapped[str] = mapped_column(String(120), default="")


class ListEntry(db.Model):
    """A child on a list the rosters are compared with (四查三比对): the household register of
    school-age children, the poverty-monitoring list, or a pushed list of suspected dropouts.
    A re-imported list replaces its entries within the importer's area."""

    __tablename__ = "list_entry"
    __table_args__ = (UniqueConstraint("kind", "school_year", "child_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: household, poverty or pushed (an ImportKind)
    kind: Mapped[str] = mapped_column(String(16))
    school_year: Mapped[int]
    child_id: Mapped[int] = mapped_column(ForeignKey("child.id"), index=True)
    #: the township or county whose list it is
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id"), index=True)
    #: the household village the list names, if we know it
    village_id: Mapped[Optional[int]] = mapped_column(ForeignKey("area.id"), index=True)
    #: for a pushed list: the school it names, as written
    note: Mapped[str] = mapped_column(String(200), default="")
    import_id: Mapped[Optional[int]] = mapped_column(ForeignKey("import_batch.id"))
    created_dt: Mapped[datetime] = mapped_column(default=clock.now)

    child = relationship("Child")
    village = relationship("Area", foreign_keys=[village_id])


class Absence(db.Model):
    """A pupil absent on a school day, whole or half, with the reason if known."""

    __tablename__ = "absence"
    __table_args__ = (UniqueConstraint("enrolment_id", "absence_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolment.id", ondelete="CASCADE"))
    absence_date: Mapped[date]
    is_half_day: Mapped[bool] = mapped_column(default=False)
    #: an AbsenceReason: illness, leave, unknown
    reason: Mapped[str] = mapped_column(String(12))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    recorded_dt: Mapped[datetime] = mapped_column(default=clock.now)

    enrolment = relationship("Enrolment")


class ContactTask(db.Model):
    """What an absence asks of a teacher (shown on their "my visits"): contact the family, or
    register a suspected dropout by hand when the household village is unknown. One per run of
    absences and kind."""

    __tablename__ = "contact_task"
    __table_args__ = (
        UniqueConstraint("enrolment_id", "kind", "run_start"),
        Index(
            "ix_contact_task_open",
            "assignee_id",
            sqlite_where=db.text("done_dt IS NULL"),
            postgresql_where=db.text("done_dt IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolment.id", ondelete="CASCADE"))
    #: a ContactTaskKind
    kind: Mapped[str] = mapped_column(String(20))
    #: the first school day of the run of absences that raised it
    run_start: Mapped[date]
    assignee_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    due_date: Mapped[date]
    created_dt: Mapped[datetime] = mapped_column(default=clock.now)
    done_dt: Mapped[Optional[datetime]]
    done_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"))
    note: Mapped[str] = mapped_column(Text, default="")

    enrolment = relationship("Enrolment")
    assignee = relationship("User", foreign_keys=[assignee_id])
