"""The scheduler's bookkeeping: one row per run of a job."""

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from caseworks.extensions import db


class JobRun(db.Model):
    """A run of a scheduled job. A run fired by the cron trigger claims its slot (the trigger's
    fire time): a second scheduler process that fires the same slot finds it taken and does
    nothing. Manual runs (``scheduler --once``) get a slot of their own."""

    __tablename__ = "job_run"
    __table_args__ = (
        UniqueConstraint("job", "slot"),
        Index("ix_job_run_job_started", "job", "started_dt"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(64))
    #: the cron fire time in local time (``2026-03-02T07:30+08:00``), or ``manual:<uuid>``
    slot: Mapped[str] = mapped_column(String(80))
    is_manual: Mapped[bool] = mapped_column(default=False)
    #: done or failed
    status: Mapped[str] = mapped_column(String(16), default="done")
    started_dt: Mapped[datetime]
    finished_dt: Mapped[Optional[datetime]]
    #: wall time the job took, measured by the runner
    duration_ms: Mapped[Optional[int]]
    #: the job's own summary, e.g. {"planned": 12, "cancelled": 3}
    summary: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[Optional[str]] = mapped_column(Text)
    host: Mapped[str] = mapped_column(String(100), default="")
    pid: Mapped[int] = mapped_column(default=0)

    def __repr__(self):
        return f"<JobRun {self.job} {self.slot} {self.status}>"
