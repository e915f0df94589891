"""The village sheet (村级台账) and the sign-off roster (签字确认名册): the children a village, a
school or a township answers for, on paper that the people responsible sign."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from caseworks.cases.models import Case, Child
from caseworks.core import clock, scope
from caseworks.core.choices import LADDER_STAGES, CaseKind, ClosedOutcome, Stage, VisitMethod
from caseworks.extensions import db
from caseworks.visits.models import Visit

#: outcomes that put the child back in some schooling (counted as returned on the roster)
BACK_IN_SCHOOLING = (
    ClosedOutcome.RETURNED_TO_SCHOOL,
    ClosedOutcome.SPECIAL_SCHOOL,
    ClosedOutcome.VOCATIONAL_SCHOOL,
    ClosedOutcome.HOME_SCHOOLING,
)
#: stages of a child who is back and watched, or waiting for the county to confirm it
BACK_STAGES = (Stage.RETURNED, Stage.PENDING_REVIEW)
#: the kinds of case whose child is out of school (a suspicion or a risk is not a dropout yet)
OUT_OF_SCHOOL = (CaseKind.DROPPED_OUT, CaseKind.NEVER_ENROLLED)


def school_year_start(today=None):
    """1 September of the school year ``today`` falls in."""
    today = today or clock.today()
    return date(today.year if today.month >= 9 else today.year - 1, 9, 1)


@dataclass
class VillageLine:
    case: Case
    home_visits: int


def village_sheet(user):
    """The open cases in ``user``'s own scope by village (name → lines), with the home visits
    (入户劝返) made for each."""
    cases = db.session.scalars(
        select(Case)
        .where(scope.own_cases_clause(user), Case.stage != Stage.CLOSED)
        .options(
            joinedload(Case.child).selectinload(Child.guardians),
            joinedload(Case.village),
            selectinload(Case.reason_rows),
        )
        .order_by(Case.village_id, Case.id)
    ).all()
    visits = _home_visits([c.id for c in cases])
    villages = defaultdict(list)
    for case in cases:
        villages[case.village.name].append(VillageLine(case, visits.get(case.id, 0)))
    return dict(villages)


def _home_visits(ids):
    if not ids:
        return {}
    return dict(
        db.session.execute(
            select(Visit.case_id, func.count())
            .where(Visit.case_id.in_(ids), Visit.done_dt.is_not(None), Visit.method == VisitMethod.HOME_VISIT)
            .group_by(Visit.case_id)
        ).all()
    )


@dataclass
class SignOffRoster:
    since: date
    #: every child out of school this school year
    dropouts: list
    #: back in school or placed (special, vocational, home-delivered schooling)
    returned: list
    #: still on the ladder
    not_returned: list


def sign_off_roster(user, since=None):
    """The children out of school in ``user``'s own scope this school year: those back in school
    (or placed) and those not yet, each a list of cases."""
    since = since or school_year_start()
    cases = db.session.scalars(
        select(Case)
        .where(
            scope.own_cases_clause(user),
            Case.kind.in_(OUT_OF_SCHOOL),
            (Case.closed_date.is_(None)) | (Case.closed_date >= since),
        )
        .options(joinedload(Case.child), joinedload(Case.village), joinedload(Case.school))
        .order_by(Case.village_id, Case.id)
    ).all()
    returned, not_returned = [], []
    for case in cases:
        if case.stage in BACK_STAGES or case.closed_outcome in BACK_IN_SCHOOLING:
            returned.append(case)
        elif case.stage in LADDER_STAGES:
            not_returned.append(case)
    return SignOffRoster(since, list(cases), returned, not_returned)
