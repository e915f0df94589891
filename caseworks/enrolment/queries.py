"""Selects of the enrolment register, imports and contact tasks, always through the user's
schools or area."""

from sqlalchemy import func, or_, select
from sqlalchemy.orm import contains_eager, joinedload

from caseworks.cases.models import Child
from caseworks.core import clock, scope
from caseworks.core.choices import EnrolmentStatus, Grade
from caseworks.core.terms import school_year_of
from caseworks.enrolment.models import ContactTask, Enrolment, ImportBatch
from caseworks.extensions import db
from caseworks.places.models import Area, School


def current_school_year():
    return school_year_of(clock.today())


def school_years():
    """The school years offered when importing: the current one, the one before and the next."""
    year = current_school_year()
    return [year + 1, year, year - 1]


def register_page(user, *, school_id=None, school_year, grade=None, class_name=None, status=None, page=1, per_page=50):
    """Pupils on the register of the user's schools, by school, grade, class and name."""
    stmt = (
        select(Enrolment)
        .join(Enrolment.child)
        .join(School, School.id == Enrolment.school_id)
        .where(scope.school_filter(user), Enrolment.school_year == school_year)
        .options(contains_eager(Enrolment.child), joinedload(Enrolment.school), joinedload(Enrolment.village))
    )
    if school_id:
        stmt = stmt.where(Enrolment.school_id == school_id)
    if grade:
        stmt = stmt.where(Enrolment.grade == grade)
    if class_name:
        stmt = stmt.where(Enrolment.class_name == class_name)
    if status:
        stmt = stmt.where(Enrolment.status == status)
    stmt = stmt.order_by(School.name, Enrolment.grade, Enrolment.class_name, Child.name, Enrolment.id)
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def register_counts(user, school_year):
    """Pupils enrolled and left, per status, on the register of the user's schools."""
    rows = db.session.execute(
        select(Enrolment.status, func.count())
        .join(School, School.id == Enrolment.school_id)
        .where(scope.school_filter(user), Enrolment.school_year == school_year)
        .group_by(Enrolment.status)
    ).all()
    return {status: count for status, count in rows}


def classes_of(school_id, school_year):
    """``[(grade, class name, pupils)]`` of a school's roll, for the attendance sheet, by grade."""
    rows = db.session.execute(
        select(Enrolment.grade, Enrolment.class_name, func.count())
        .where(
            Enrolment.school_id == school_id,
            Enrolment.school_year == school_year,
            Enrolment.status == EnrolmentStatus.ENROLLED,
        )
        .group_by(Enrolment.grade, Enrolment.class_name)
    ).all()
    order = {g.value: i for i, g in enumerate(Grade)}
    return sorted(rows, key=lambda r: (order.get(r[0], 99), r[1]))


def class_roll(school_id, school_year, grade, class_name):
    """The pupils of one class, by name."""
    return db.session.scalars(
        select(Enrolment)
        .join(Enrolment.child)
        .where(
            Enrolment.school_id == school_id,
            Enrolment.school_year == school_year,
            Enrolment.grade == grade,
            Enrolment.class_name == class_name,
            Enrolment.status == EnrolmentStatus.ENROLLED,
        )
        .options(contains_eager(Enrolment.child))
        .order_by(Child.name, Enrolment.id)
    ).all()


def batch_filter(user):
    """Imports the user may look at: their own, and those for their schools or inside their area."""
    clauses = [ImportBatch.user_id == user.id]
    school_ids = select(School.id).where(scope.school_filter(user))
    clauses.append(ImportBatch.school_id.in_(school_ids))
    area_ids = select(Area.id).where(scope.area_filter(user))
    clauses.append(ImportBatch.area_id.in_(area_ids))
    return or_(*clauses)


def batch_or_none(batch_id, user):
    return db.session.scalar(select(ImportBatch).where(ImportBatch.id == batch_id, batch_filter(user)))


def recent_batches(user, limit=20):
    return db.session.scalars(
        select(ImportBatch)
        .where(batch_filter(user))
        .options(joinedload(ImportBatch.user), joinedload(ImportBatch.school))
        .order_by(ImportBatch.created_dt.desc(), ImportBatch.id.desc())
        .limit(limit)
    ).all()


def open_contact_tasks(user):
    """The user's contact tasks not yet done, oldest first (on "my visits")."""
    return db.session.scalars(
        select(ContactTask)
        .where(ContactTask.assignee_id == user.id, ContactTask.done_dt.is_(None))
        .options(joinedload(ContactTask.enrolment).joinedload(Enrolment.child))
        .order_by(ContactTask.due_date, ContactTask.id)
        .limit(200)
    ).all()


def task_or_none(task_id, user):
    return db.session.scalar(select(ContactTask).where(ContactTask.id == task_id, ContactTask.assignee_id == user.id))
