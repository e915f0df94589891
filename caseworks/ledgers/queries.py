"""What the ledger reads: the cases of the case list's filter, in batches, each with its child,
guardians, people, reasons, support measures and persuasion attempts."""

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from caseworks.cases.models import Case, Child
from caseworks.cases.queries import filtered_cases
from caseworks.core import scope
from caseworks.extensions import db
from caseworks.visits.models import SupportMeasure, Visit

#: cases read and written at a time: memory stays bounded whatever the row count
BATCH = 500


@dataclass
class LedgerCase:
    case: Case
    #: the user works on the case (it is in their own scope), so may see its full ID number
    held: bool
    #: done visits and contacts, oldest first: the persuasion attempts
    attempts: list
    support: list


def ledger_cases(user, filters):
    """The cases of ``filters`` as the case list orders them, in batches of :data:`BATCH`."""
    ordered = filtered_cases(user, filters).with_only_columns(Case.id)
    ids = db.session.scalars(ordered).all()
    for start in range(0, len(ids), BATCH):
        yield from _load_batch(user, ids[start : start + BATCH])


def _load_batch(user, ids):
    cases = {
        c.id: c
        for c in db.session.scalars(
            select(Case)
            .where(Case.id.in_(ids))
            .options(
                joinedload(Case.child).selectinload(Child.guardians),
                joinedload(Case.child).joinedload(Child.household_village),
                joinedload(Case.school),
                joinedload(Case.village),
                joinedload(Case.teacher),
                joinedload(Case.cadre),
                selectinload(Case.reason_rows),
            )
        ).unique()
    }
    held = set(db.session.scalars(select(Case.id).where(Case.id.in_(ids), scope.own_cases_clause(user))))
    attempts = defaultdict(list)
    for visit in db.session.scalars(
        select(Visit)
        .where(Visit.case_id.in_(ids), Visit.done_dt.is_not(None))
        .order_by(Visit.case_id, Visit.visit_date, Visit.id)
    ):
        attempts[visit.case_id].append(visit)
    support = defaultdict(list)
    for measure in db.session.scalars(
        select(SupportMeasure)
        .where(SupportMeasure.case_id.in_(ids))
        .order_by(SupportMeasure.case_id, SupportMeasure.start_date, SupportMeasure.id)
    ):
        support[measure.case_id].append(measure)
    for case_id in ids:
        # the session's identity map holds objects weakly: a written batch is let go
        yield LedgerCase(cases[case_id], case_id in held, attempts[case_id], support[case_id])
