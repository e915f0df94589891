"""Reusable conditions of the ladder, for the jobs, the case page and the lists alike."""

from sqlalchemy import and_

from caseworks.cases.models import Case
from caseworks.core.choices import NOTICE_STAGES
from caseworks.ladder.models import Notice


def lapsed_notice(today):
    """A served notice whose deadline passed while its case still waits for the next step
    (:meth:`Notice.has_lapsed` in SQL; the query joins ``Case``)."""
    return and_(Notice.deadline_date < today, Case.stage.in_(NOTICE_STAGES))
