"""Dates and times as the interface shows them: one way everywhere (in Chinese 2026年12月17日,
and a time only where one was recorded: 2026年12月17日 14:30)."""

from flask_babel import format_date, format_time


def format_when(moment):
    """A recorded moment: its local date, as every date is shown, and the hour and minute."""
    return f"{format_date(moment)} {format_time(moment, 'HH:mm')}"
