"""Every change to the case register: registering a child, changing facts, assigning people,
and the plan. Each function checks its rule, changes the objects, flushes, writes the audit
entry and never commits."""

from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm.attributes import flag_modified

from caseworks.accounts.models import User
from caseworks.cases.models import Assignment, Case, CaseReason, Child, ChildGroup, Guardian, PlanItem
from caseworks.core import audit, clock, idnumber, permissions, scope
from caseworks.core.choices import CaseKind, Role, SchoolKind, SpecialGroup, Stage
from caseworks.core.errors import Refused, check_version
from caseworks.extensions import db
from caseworks.places.models import Area, School


class CaseError(Refused):
    """A rule of the case register refused the change."""


CHILD_FIELDS = ("name", "gender", "birth_date", "id_number", "student_no", "address", "disability_type")
CASE_FIELDS = ("grade", "class_name", "dropout_date", "situation", "plan_summary")


def _masked(values):
    """The same snapshot with the ID number and phone numbers masked (the audit trail is read
    by reviewers; seeing the full numbers is a separately audited act)."""
    values = dict(values)
    if values.get("id_number"):
        values["id_number"] = idnumber.mask(values["id_number"])
    if values.get("guardians"):
        values["guardians"] = [[n, r, idnumber.mask_phone(p), w] for n, r, p, w in values["guardians"]]
    return values


def _child_snapshot(child):
    return {
        **{f: getattr(child, f) for f in CHILD_FIELDS},
        "household_village_id": child.household_village_id,
        "groups": child.groups,
        "guardians": [[g.name, g.relation, g.phone, g.is_working_away] for g in child.guardians],
    }


def _case_snapshot(case):
    return {
        **{f: getattr(case, f) for f in CASE_FIELDS},
        "school_id": case.school_id,
        "village_id": case.village_id,
        "reasons": case.reasons,
    }


def _set_child(child, data):
    for name in CHILD_FIELDS:
        setattr(child, name, data.get(name) or (None if name in ("student_no", "disability_type") else ""))
    if SpecialGroup.DISABLED not in data["groups"]:
        child.disability_type = None
    child.household_village_id = data["village_id"]
    wanted = set(data["groups"])
    child.group_rows[:] = [g for g in child.group_rows if g.group in wanted]
    have = {g.group for g in child.group_rows}
    child.group_rows.extend(ChildGroup(group=g) for g in sorted(wanted - have))
    guardians = [g for g in data["guardians"] if (g.get("name") or "").strip()]
    existing = list(child.guardians)
    for position, values in enumerate(guardians):
        row = existing[position] if position < len(existing) else Guardian()
        row.position = position
        row.name = values["name"].strip()
        row.relation = values["relation"]
        row.phone = values["phone"]
        row.is_working_away = bool(values.get("is_working_away"))
        if row not in child.guardians:
            child.guardians.append(row)
    del child.guardians[len(guardians) :]


def _place_case(case, village, school):
    case.village_id = village.id
    case.township_id = village.township_id
    case.county_id = village.county_id
    case.school_id = school.id if school else None
    case.school_township_id = school.township_id if school else None


def _set_reasons(case, reasons):
    wanted = set(reasons)
    case.reason_rows[:] = [r for r in case.reason_rows if r.reason in wanted]
    have = {r.reason for r in case.reason_rows}
    case.reason_rows.extend(CaseReason(reason=r) for r in sorted(wanted - have))


def _check_grade(grade, school):
    """The school's level decides the grades it offers: a 小学 has no 七年级, a 初中 no 三年级."""
    if not grade or school is None:
        return
    kind = SchoolKind(school.kind)
    if grade not in kind.grades:
        raise CaseError(
            _l(
                "%(school)s is a %(kind)s: choose one of its grades (%(first)s to %(last)s).",
                school=school.name,
                kind=kind.label,
                first=kind.grades[0].label,
                last=kind.grades[-1].label,
            ),
            "grade",
        )


def _resolve_places(data, villages, schools):
    """The chosen village and school, which must be among those offered to the user."""
    village_ids = {vid for group in villages.values() for vid, _name in group}
    if data["village_id"] not in village_ids:
        raise CaseError(_l("Choose a village from the list."), "village_id")
    village = db.session.get(Area, data["village_id"])
    school = None
    if data.get("school_id"):
        if data["school_id"] not in {s.id for s in schools}:
            raise CaseError(_l("Choose a school from the list."), "school_id")
        school = db.session.get(School, data["school_id"])
    return village, school


def child_with_id_number(id_number):
    """The one person record with this ID number (one child, one record), or None."""
    return db.session.scalar(select(Child).where(Child.id_number == id_number))


#: answers "registered elsewhere" a user may get in DUPLICATE_WINDOW before registering (and
#: changing ID numbers) pauses: the duplicate check must not become a register of who exists
DUPLICATE_ANSWERS = 5
DUPLICATE_WINDOW = timedelta(hours=24)


class DuplicatesPaused(CaseError):
    """Too many ID numbers registered elsewhere were tried: every attempt is refused for now."""


def _check_duplicate_pause(user):
    since = clock.now() - DUPLICATE_WINDOW
    tried = db.session.scalar(
        select(func.count())
        .select_from(audit.AuditEntry)
        .where(
            audit.AuditEntry.kind == "id_duplicate",
            audit.AuditEntry.user_id == user.id,
            audit.AuditEntry.logged_dt >= since,
        )
    )
    if tried >= DUPLICATE_ANSWERS:
        raise DuplicatesPaused(
            _l(
                "You tried several ID numbers of children registered elsewhere: registering and changing ID "
                "numbers is paused for a day. Ask the county education bureau."
            ),
            "id_number",
        )


def _refuse_duplicate(existing, user, number):
    """One child, one record. The answer says only what the user may know: a case they can see
    is theirs to find; a child registered elsewhere is not located, and the attempt is audited
    (kept although the request is refused) and counted against the user."""
    visible = db.session.scalar(scope.scoped_cases(user).where(Case.child_id == existing.id).limit(1))
    if visible is not None:
        raise CaseError(_l("This child is already registered: search for the case by the ID number."), "id_number")
    audit.record_read(
        "id_duplicate",
        "ID number refused: the child is registered elsewhere",
        module="cases",
        actor=user,
        data={"id_number": idnumber.mask(number)},
    )
    raise CaseError(
        _l("This child is already registered elsewhere: ask the county education bureau to transfer the case."),
        "id_number",
    )


def register_case(data, user, *, villages, schools):
    """Register a child and open their case.

    One child, one record: an ID number already registered is refused (the existing record is
    not changed), saying no more than the user may know, and tried too often it pauses
    registering. The case starts at the first stage of its kind; a teacher or village cadre who
    registers a child is assigned to the case on their line.
    """
    _check_duplicate_pause(user)
    existing = child_with_id_number(data["id_number"])
    if existing is not None:
        _refuse_duplicate(existing, user, data["id_number"])
    village, school = _resolve_places(data, villages, schools)
    _check_grade(data.get("grade"), school)
    if school is None and not permissions.may_register_unenrolled(user):
        raise CaseError(
            _l("Choose the child's school: school staff register children at their own school."), "school_id"
        )
    child = Child()
    _set_child(child, data)
    db.session.add(child)
    today = clock.today()
    case = Case(
        child=child,
        kind=data["kind"],
        stage=Stage.first_for(data["kind"]),
        opened_date=today,
        opened_by_id=user.id,
        stage_entered_date=today,
        grade=data.get("grade") or None,
        class_name=data.get("class_name") or None,
        dropout_date=data.get("dropout_date"),
        situation=data.get("situation") or "",
        plan_summary=data.get("plan_summary") or "",
    )
    _place_case(case, village, school)
    _set_reasons(case, data.get("reasons") or [])
    db.session.add(case)
    db.session.flush()
    audit.record(
        "create",
        f"case opened for {child.name}",
        module="cases",
        actor=user,
        target=case,
        case=case,
        data={
            "after": {"kind": case.kind, "stage": case.stage, **_case_snapshot(case), **_masked(_child_snapshot(child))}
        },
    )
    if user.role == Role.TEACHER and school is not None and school.id == user.school_id:
        assign_teacher(case, user, user, case.version)
    if user.role == Role.VILLAGE_CADRE:
        assign_cadre(case, user, user, case.version)
    return case


def open_case_for(child):
    """The child's open case, or None."""
    return db.session.scalar(select(Case).where(Case.child_id == child.id, Case.stage != Stage.CLOSED))


def open_suspected_case(
    child, by, *, village, source, source_date, school=None, grade=None, class_name=None, situation="", guardian=None
):
    """Open a suspected-dropout case (疑似辍学) for a child found by the register: matching or
    absences. It starts in verification with how it was found recorded (``source``, a
    CaseSource, and ``source_date``). One child, one open case: a child who has one is refused.
    A teacher of the child's school who opens it is assigned on the education line. A guardian
    named by the roster (``(name, phone)``) is kept on a child who has none yet."""
    if open_case_for(child) is not None:
        raise CaseError(_l("%(name)s already has an open case.", name=child.name))
    if village is None or village.level != "village":
        raise CaseError(_l("Choose the child's household village."), "village_id")
    today = clock.today()
    if guardian and guardian[0] and guardian[1] and not child.guardians:
        child.guardians.append(Guardian(name=guardian[0][:50], relation="other", phone=guardian[1][:20]))
    if child.household_village_id is None:
        child.household_village_id = village.id
    case = Case(
        child=child,
        kind=CaseKind.SUSPECTED,
        stage=Stage.first_for(CaseKind.SUSPECTED),
        opened_date=today,
        opened_by_id=by.id,
        stage_entered_date=today,
        grade=grade or None,
        class_name=(class_name or None) and class_name[:16],
        situation=situation or "",
        source=source,
        source_date=source_date,
    )
    _place_case(case, village, school)
    db.session.add(case)
    db.session.flush()
    audit.record(
        "create",
        f"suspected case opened for {child.name} ({source})",
        module="cases",
        actor=by,
        target=case,
        case=case,
        data={
            "after": {
                "kind": case.kind,
                "stage": case.stage,
                "source": source,
                "source_date": source_date,
                **_case_snapshot(case),
                "id_number": idnumber.mask(child.id_number),
            }
        },
    )
    if by.role == Role.TEACHER and school is not None and school.id == by.school_id:
        assign_teacher(case, by, by, case.version)
    return case


def update_case(case, data, user, *, villages, schools, version):
    """Change the child's and the case's facts (never the stage), if nobody changed the case
    since the form was loaded. A new ID number must not belong to another child."""
    check_version(case, version)
    child = case.child
    if data["id_number"] != child.id_number:
        _check_duplicate_pause(user)
        other = child_with_id_number(data["id_number"])
        if other is not None and other.id != child.id:
            _refuse_duplicate(other, user, data["id_number"])
    village, school = _resolve_places(data, villages, schools)
    _check_grade(data.get("grade"), school)
    before = {**_case_snapshot(case), **_child_snapshot(child)}
    _set_child(child, data)
    for name in CASE_FIELDS:
        setattr(case, name, data.get(name) or (None if name in ("grade", "class_name", "dropout_date") else ""))
    if case.school_id != (school.id if school else None) and case.teacher_id is not None:
        # a teacher belongs to one school: moving the case elsewhere ends their assignment
        _end_assignment(case, "teacher")
        case.teacher_id = None
    _place_case(case, village, school)
    _set_reasons(case, data.get("reasons") or [])
    # a change to the child is a change to the case: its version moves on (concurrent edits)
    flag_modified(case, "situation")
    db.session.flush()
    after = {**_case_snapshot(case), **_child_snapshot(child)}
    diff = audit.changes(before, after)
    diff = {"before": _masked(diff["before"]), "after": _masked(diff["after"])}
    if diff["after"]:
        audit.record(
            "change",
            f"case facts changed: {', '.join(sorted(diff['after']))}",
            module="cases",
            actor=user,
            target=case,
            case=case,
            data=diff,
        )
    return diff


def _end_assignment(case, line):
    current = db.session.scalar(
        select(Assignment).where(Assignment.case_id == case.id, Assignment.line == line, Assignment.ended_dt.is_(None))
    )
    if current is not None:
        current.ended_dt = clock.now()


def release_person(person, by):
    """A deactivated teacher or cadre leaves their line on every case not closed: the
    assignment ends, their planned visits pass to the case's other line (or wait for the next
    assignee), and whoever assigns the next one is told. Returns the cases released."""
    from caseworks.inbox import handoffs
    from caseworks.visits.models import Visit
    from caseworks.visits.queries import open_planned_visit

    line = {Role.TEACHER: "teacher", Role.VILLAGE_CADRE: "cadre"}.get(person.role)
    if line is None:
        return []
    attr = f"{line}_id"
    cases = db.session.scalars(
        select(Case).where(getattr(Case, attr) == person.id, Case.stage != Stage.CLOSED).order_by(Case.id)
    ).all()
    for case in cases:
        _end_assignment(case, line)
        setattr(case, attr, None)
        for visit in db.session.scalars(
            select(Visit).where(Visit.case_id == case.id, Visit.assignee_id == person.id, open_planned_visit())
        ):
            visit.assignee_id = case.teacher_id or case.cadre_id
        db.session.flush()
        audit.record(
            "assign",
            f"{line} released: {person.full_name} deactivated",
            module="cases",
            actor=by,
            target=case,
            case=case,
            data={"before": {attr: person.id}, "after": {attr: None}},
        )
    handoffs.line_missing(person, cases)
    return cases


def end_assignments(case):
    """The case leaves its teacher and cadre (a transfer to another place)."""
    for line in ("teacher", "cadre"):
        _end_assignment(case, line)
    case.teacher_id = None
    case.cadre_id = None


def _assign(case, line, person, by, version):
    check_version(case, version)
    attr = "teacher_id" if line == "teacher" else "cadre_id"
    previous = getattr(case, attr)
    if previous == person.id:
        return None
    _end_assignment(case, line)
    setattr(case, attr, person.id)
    assignment = Assignment(
        case_id=case.id, line=line, user_id=person.id, assigned_by_id=by.id, assigned_dt=clock.now()
    )
    db.session.add(assignment)
    db.session.flush()
    audit.record(
        "assign",
        f"{line} assigned: {person.full_name}",
        module="cases",
        actor=by,
        target=case,
        case=case,
        data={"before": {attr: previous}, "after": {attr: person.id}},
    )
    from caseworks.inbox import handoffs

    handoffs.case_assigned(case, assignment)
    return assignment


def assign_teacher(case, teacher, by, version):
    """Assign the case's teacher (包保教师): an active teacher of the case's school. The teacher
    is told (inbox)."""
    if teacher.role != Role.TEACHER or not teacher.is_active or teacher.school_id != case.school_id:
        raise CaseError(_l("Choose an active teacher of the case's school."), "user_id")
    return _assign(case, "teacher", teacher, by, version)


def assign_cadre(case, cadre, by, version):
    """Assign the case's village cadre (包村干部): an active cadre of a village in the case's
    township. The cadre is told (inbox)."""
    village = cadre.area
    if (
        cadre.role != Role.VILLAGE_CADRE
        or not cadre.is_active
        or village is None
        or village.township_id != case.township_id
    ):
        raise CaseError(_l("Choose an active village cadre of the case's township."), "user_id")
    return _assign(case, "cadre", cadre, by, version)


def add_plan_item(case, data, by):
    """Add one measure to the plan (一人一案), with who is responsible for it."""
    item = PlanItem(
        case_id=case.id,
        measure=data["measure"].strip(),
        responsible=data["responsible"].strip(),
        target_date=data.get("target_date"),
        created_dt=clock.now(),
        created_by_id=by.id,
    )
    db.session.add(item)
    db.session.flush()
    audit.record(
        "create",
        "plan measure added",
        module="cases",
        actor=by,
        target=item,
        case=case,
        data={"after": {"measure": item.measure, "responsible": item.responsible, "target_date": item.target_date}},
    )
    return item


def reveal_sensitive(case, user):
    """Record that ``user`` saw the child's full ID number and the guardians' phone numbers.
    The entry is kept even when the page that showed them answers with an error."""
    audit.record_read(
        "view_sensitive",
        "full ID number and guardian phones viewed",
        module="cases",
        actor=user,
        target=case,
        case=case,
    )


def user_by_id(user_id):
    """The user with this id, or None for an empty id."""
    return db.session.get(User, user_id) if user_id else None
