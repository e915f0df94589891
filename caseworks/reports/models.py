"""The nightly statistics snapshot: one row per area (province, city, county, township) and per
school per day."""

from datetime import date, datetime
from typing import Any, Optional

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from caseworks.core import clock
from caseworks.extensions import db


class StatsSnapshot(db.Model):
    """The caseload figures of one area on one day, as the nightly job counted them. Trends
    and the dashboard's history read these rows instead of recounting the past."""

    __tablename__ = "stats_snapshot"
    __table_args__ = (
        UniqueConstraint("snapshot_date", "area_id"),
        UniqueConstraint("snapshot_date", "school_id", name="uq_stats_snapshot_school_date"),
        Index("ix_stats_snapshot_area_date", "area_id", "snapshot_date"),
        Index("ix_stats_snapshot_school_date", "school_id", "snapshot_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    snapshot_date: Mapped[date]
    #: the area counted (None for a school's row)
    area_id: Mapped[Optional[int]] = mapped_column(ForeignKey("area.id", ondelete="CASCADE"))
    #: the school counted (None for an area's row)
    school_id: Mapped[Optional[int]] = mapped_column(ForeignKey("school.id", ondelete="CASCADE"))
    #: the area's level (province, city, county, township), or "school"
    level: Mapped[str] = mapped_column(String(16))
    #: {"open_cases", "open_by_stage", "open_by_kind", "overdue_visits", "overdue_cases",
    #:  "stale_cases", "missing_teacher", "missing_cadre", "unassigned", "past_limit",
    #:  "lapsed_notices", "returns_this_term", "relapses_this_term", "returns_in_month",
    #:  "term_start", "month_start"}
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_dt: Mapped[datetime] = mapped_column(default=clock.now)
