"""The case timeline, merged from the tables of every feature.

Each feature registers a source: ``fn(case) -> iterable of TimelineItem``. A source runs one
query, so the number of queries for a timeline does not grow with the case's history.
"""

from dataclasses import dataclass
from datetime import datetime

_sources = []


@dataclass
class TimelineItem:
    when: datetime
    #: what kind of event (opened, assignment, plan, stage...), also a CSS hook
    kind: str
    title: str
    detail: str = ""
    actor: str = ""
    #: False for what only has a date (a visit's day, a served date): shown without a time
    has_time: bool = True


def timeline_source(fn):
    _sources.append(fn)
    return fn


def timeline_for(case):
    items = []
    for source in _sources:
        items.extend(source(case))
    items.sort(key=lambda i: i.when, reverse=True)
    return items
