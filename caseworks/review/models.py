"""Spot checks (抽查): a recorded, reproducible draw of approved returns and the field
verification of each sampled case."""

from datetime import date, datetime
from typing import Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, BigInteger, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseworks.core import clock
from caseworks.core.choices import LabelledChoice
from caseworks.extensions import db


class SpotCheckResult(LabelledChoice):
    """What the reviewer found when verifying a sampled return in the field."""

    CONFIRMED = "confirmed"
    NOT_FOUND = "not_found"
    OTHER = "other"

    @classmethod
    def _labels(cls):
        return {
            "confirmed": _l("Confirmed in school"),
            "not_found": _l("Not found in school"),
            "other": _l("Other finding"),
        }


class SpotCheck(db.Model):
    """One draw: which approved returns of which period were sampled, and how.

    The draw is reproducible: ``random.Random(seed).sample(sorted population ids, sample_size)``
    gives ``case_ids`` again for as long as the population (approvals decided in the period)
    stays the same, and approvals in the past do not change.
    """

    __tablename__ = "spot_check"

    id: Mapped[int] = mapped_column(primary_key=True)
    county_id: Mapped[int] = mapped_column(ForeignKey("area.id"), index=True)
    drawn_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    drawn_dt: Mapped[datetime] = mapped_column(default=clock.now)
    #: the approvals sampled were decided on these local dates (both included)
    period_start_date: Mapped[date]
    period_end_date: Mapped[date]
    percent: Mapped[int]
    seed: Mapped[int] = mapped_column(BigInteger)
    #: how many approved returns the draw chose from
    population_size: Mapped[int]
    #: the sampled case ids, in the order drawn
    case_ids: Mapped[list] = mapped_column(JSON, default=list)

    drawn_by = relationship("User")
    county = relationship("Area")
    items: Mapped[list["SpotCheckItem"]] = relationship(
        back_populates="spot_check", cascade="all, delete-orphan", order_by="SpotCheckItem.position"
    )

    @property
    def sample_size(self):
        return len(self.case_ids)


class SpotCheckItem(db.Model):
    """One sampled case and, once verified, the result of the field check."""

    __tablename__ = "spot_check_item"
    __table_args__ = (UniqueConstraint("spot_check_id", "case_id", name="uq_spot_check_item_case"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    spot_check_id: Mapped[int] = mapped_column(ForeignKey("spot_check.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), index=True)
    #: the order in which the case was drawn
    position: Mapped[int] = mapped_column(default=0)
    #: confirmed, not_found or other; None until the field check is recorded
    result: Mapped[Optional[str]] = mapped_column(String(12))
    notes: Mapped[str] = mapped_column(Text, default="")
    #: the day the child was looked for
    checked_date: Mapped[Optional[date]]
    recorded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"))
    recorded_dt: Mapped[Optional[datetime]]
    #: true when a failed check reopened the case
    is_reopened: Mapped[bool] = mapped_column(default=False)

    spot_check: Mapped[SpotCheck] = relationship(back_populates="items")
    case = relationship("Case")
    recorded_by = relationship("User")

    @property
    def is_recorded(self):
        return self.result is not None
