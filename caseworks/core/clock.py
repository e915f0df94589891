"""The one clock. Code asks it for the time; tests set it."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")

_frozen: datetime | None = None


def now() -> datetime:
    """Current time, timezone-aware UTC."""
    if _frozen is not None:
        return _frozen
    return datetime.now(UTC)


def today() -> date:
    """Today's date where the users are (China Standard Time)."""
    return now().astimezone(LOCAL_TZ).date()


def set_now(value: datetime | None) -> None:
    """Freeze the clock at ``value`` (aware datetime), or unfreeze with None."""
    global _frozen
    if value is not None and value.tzinfo is None:
        raise ValueError("the clock takes aware datetimes only")
    _frozen = value.astimezone(UTC) if value is not None else None


def advance(**kwargs) -> datetime:
    """Move a frozen clock forward, e.g. ``advance(days=1)``."""
    if _frozen is None:
        set_now(now())
    set_now(_frozen + timedelta(**kwargs))
    return _frozen


def local_date_start(d: date) -> datetime:
    """The UTC instant at which local date ``d`` begins."""
    return datetime(d.year, d.month, d.day, tzinfo=LOCAL_TZ).astimezone(UTC)


def to_local(value: datetime) -> datetime:
    """An aware datetime in China Standard Time (for dates as the users see them)."""
    return value.astimezone(LOCAL_TZ)
