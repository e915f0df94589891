"""Which of the user's own work the phone keeps for offline use."""

from sqlalchemy import or_, select

from caseworks.cases.models import Case
from caseworks.core import scope
from caseworks.core.choices import Stage
from caseworks.extensions import db
from caseworks.visits.models import Visit
from caseworks.visits.queries import open_planned_visit

#: at most this many cases are kept on a phone (the most recently active first): a teacher's or
#: cadre's own caseload is far smaller; the cap bounds what one refresh costs the server
MAX_OFFLINE_CASES = 60


def own_case_ids(user, limit=MAX_OFFLINE_CASES):
    """The open cases in the user's scope that are their own work: those assigned to them (as
    teacher or village cadre) and those with a planned visit assigned to them."""
    planned_for_user = select(Visit.case_id).where(open_planned_visit(), Visit.assignee_id == user.id)
    return db.session.scalars(
        select(Case.id)
        .where(
            scope.case_filter(user),
            Case.stage != Stage.CLOSED,
            or_(Case.teacher_id == user.id, Case.cadre_id == user.id, Case.id.in_(planned_for_user)),
        )
        .order_by(Case.last_contact_date.desc().nulls_last(), Case.id.desc())
        .limit(limit)
    ).all()
