"""Notices, their service, legal steps and transfers. Each function checks its rule, changes the
objects, flushes, writes the audit entry and never commits. Stage changes are not here: they are
transitions (caseworks.ladder.transitions)."""

from datetime import timedelta

from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from caseworks.core import audit, clock
from caseworks.core.choices import NOTICE_STAGES, AreaLevel, NoticeKind, ServiceMethod
from caseworks.core.errors import Refused
from caseworks.core.policy import profile_for
from caseworks.extensions import db
from caseworks.ladder.models import LegalStep, Notice, NoticeCounter, NoticeReceipt, Transfer
from caseworks.places.models import Area, School


class LadderError(Refused):
    """A rule of notices, legal steps or transfers refused the change."""


# A notice is an official document in Chinese whatever language its issuer's screen is in, so
# these words are part of the document's text (like the profile's notice texts), not of the
# interface, and do not go through the catalogue.
#: the issuing authority when the profile names none: "<township>人民政府"
NOTICE_ISSUER_SUFFIX = "人民政府"
#: the school's place in a notice for a child who has none on record
NOTICE_SCHOOL_FALLBACK = "学校"


def _next_notice_number(county_id, year):
    """The next number in the county's series for the year, under a row lock so that two
    notices issued at once never share a number."""
    counter = db.session.get(NoticeCounter, (county_id, year), with_for_update=True, populate_existing=True)
    if counter is None:
        counter = NoticeCounter(county_id=county_id, year=year, last_number=0)
        db.session.add(counter)
    counter.last_number += 1
    db.session.flush()
    return counter.last_number


def fill_notice_text(template, case, *, recipient, deadline_days):
    """A notice text of the policy profile with its placeholders filled from the case. A text
    saved before placeholders were checked as strictly is refused, not filled."""
    from caseworks.core.policy import notice_text_problem

    if notice_text_problem(template) is not None:
        raise LadderError(
            _l("The county's notice text has a placeholder that cannot be filled: ask the administrator to correct it.")
        )
    child = case.child
    school = case.school.name if case.school else (case.return_school.name if case.return_school else "")
    return template.format(
        guardian=recipient,
        child=child.name,
        birth=format_date(child.birth_date, "long"),
        id_number=child.id_number,
        deadline_days=deadline_days,
        school=school or NOTICE_SCHOOL_FALLBACK,
    )


def issue_notice(case, data, by):
    """Issue a numbered notice to the guardian (〔2026〕第12号 in the county's series), its text
    filled from the case and the county's policy profile. Only in township persuasion or the
    administrative procedure; the deadline counts from the served date, recorded later."""
    if case.stage not in NOTICE_STAGES:
        raise LadderError(_l("Notices are issued in township persuasion or the administrative procedure."))
    profile = profile_for(case.county_id)
    kind = NoticeKind(data["kind"])
    waiting = db.session.scalar(
        select(Notice).where(Notice.case_id == case.id, Notice.kind == kind, Notice.served_date.is_(None))
    )
    if waiting is not None:
        raise LadderError(
            _l(
                "Notice %(no)s of this kind is not served yet: serve it (and record that) first.",
                no=waiting.document_no,
            ),
            "kind",
        )
    title = profile.urge_notice_title if kind == NoticeKind.URGE else profile.order_notice_title
    template = profile.urge_notice_text if kind == NoticeKind.URGE else profile.order_notice_text
    year = clock.today().year
    number = _next_notice_number(case.county_id, year)
    notice = Notice(
        case_id=case.id,
        kind=kind,
        county_id=case.county_id,
        year=year,
        number=number,
        document_no=f"{profile.notice_number_prefix}〔{year}〕第{number}号",
        title=title,
        body=fill_notice_text(template, case, recipient=data["recipient"].strip(), deadline_days=data["deadline_days"]),
        issuer=profile.notice_issuer or case.township.name + NOTICE_ISSUER_SUFFIX,
        recipient=data["recipient"].strip(),
        deadline_days=data["deadline_days"],
        issued_dt=clock.now(),
        issued_by_id=by.id,
    )
    db.session.add(notice)
    db.session.flush()
    audit.record(
        "create",
        f"notice issued: {notice.document_no}",
        module="ladder",
        actor=by,
        target=notice,
        case=case,
        data={"after": {"kind": kind.value, "document_no": notice.document_no, "deadline_days": notice.deadline_days}},
    )
    return notice


def record_service(notice, case, data, by, receipt=None):
    """Record that the notice was served (送达): on which date, in which legal way, to whom, by
    whom, and (if photographed) the signed receipt. The deadline runs from that date."""
    if notice.served_date is not None:
        raise LadderError(_l("The service of this notice is already recorded."))
    if data["served_date"] < clock.to_local(notice.issued_dt).date():
        raise LadderError(_l("A notice cannot be served before it was issued."), "served_date")
    if data.get("service_method") not in {m.value for m in ServiceMethod}:
        raise LadderError(_l("Choose how the notice was served."), "service_method")
    notice.served_date = data["served_date"]
    notice.service_method = data["service_method"]
    notice.served_to = data["served_to"].strip()
    notice.served_by = data["served_by"].strip()
    notice.deadline_date = notice.served_date + timedelta(days=notice.deadline_days)
    db.session.flush()
    audit.record(
        "change",
        f"notice served: {notice.document_no}",
        module="ladder",
        actor=by,
        target=notice,
        case=case,
        data={
            "after": {
                "served_date": notice.served_date,
                "service_method": notice.service_method,
                "served_to": notice.served_to,
                "deadline_date": notice.deadline_date,
            }
        },
    )
    if receipt is not None:
        attach_receipt(notice, case, receipt, by)
    return notice


def attach_receipt(notice, case, photo, by):
    """Attach a photograph of the signed delivery receipt (送达回证) to a served notice."""
    if notice.served_date is None:
        raise LadderError(_l("Record the service first; then attach its signed receipt."))
    if photo.get("content_type") is None:
        raise LadderError(_l("The receipt must be a JPEG, PNG or WebP photo."), "receipt")
    receipt = NoticeReceipt(
        notice_id=notice.id,
        filename=photo["filename"],
        content_type=photo["content_type"],
        data=photo["data"],
        uploaded_dt=clock.now(),
        uploaded_by_id=by.id,
    )
    db.session.add(receipt)
    db.session.flush()
    audit.record(
        "create",
        f"delivery receipt attached: {notice.document_no}",
        module="ladder",
        actor=by,
        target=notice,
        case=case,
        data={"after": {"receipt_id": receipt.id}},
    )
    return receipt


def receipts_of(notice_ids):
    """``{notice_id: [receipt ids]}`` of the photographed receipts, without their images."""
    found = {}
    if notice_ids:
        rows = db.session.execute(
            select(NoticeReceipt.id, NoticeReceipt.notice_id)
            .where(NoticeReceipt.notice_id.in_(list(notice_ids)))
            .order_by(NoticeReceipt.id)
        )
        for receipt_id, notice_id in rows:
            found.setdefault(notice_id, []).append(receipt_id)
    return found


def record_legal_step(case, data, by):
    """Record a step of the judicial procedure with its date, authority, document and result."""
    if data["step_date"] < case.opened_date:
        raise LadderError(_l("The date lies before the case was opened."), "step_date")
    step = LegalStep(
        case_id=case.id,
        kind=data["kind"],
        step_date=data["step_date"],
        authority=data["authority"].strip(),
        document_no=(data.get("document_no") or "").strip(),
        result=(data.get("result") or "").strip(),
        recorded_by_id=by.id,
        recorded_dt=clock.now(),
    )
    db.session.add(step)
    db.session.flush()
    audit.record(
        "create",
        f"legal step recorded: {step.kind}",
        module="ladder",
        actor=by,
        target=step,
        case=case,
        data={
            "after": {
                "kind": step.kind,
                "step_date": step.step_date,
                "authority": step.authority,
                "document_no": step.document_no,
            }
        },
    )
    return step


def open_transfer(case):
    """The transfer of ``case`` still waiting for the receiving township, or None."""
    return db.session.scalar(select(Transfer).where(Transfer.case_id == case.id, Transfer.decided_dt.is_(None)))


def request_transfer(case, data, by):
    """Hand the case to the township (or county) the child now lives in; it waits there until
    an official of that township accepts it. Its officials are told (inbox)."""
    if not case.is_open:
        raise LadderError(_l("A closed case is not transferred."))
    if open_transfer(case) is not None:
        raise LadderError(_l("A transfer of this case is already waiting."))
    village = db.session.scalar(select(Area).where(Area.code == data["village_code"], Area.is_active.is_(True)))
    if village is None or village.level != AreaLevel.VILLAGE:
        raise LadderError(_l("No village has this division code."), "village_code")
    if village.township_id == case.township_id:
        raise LadderError(
            _l("This village lies in the case's own township: change the household on the case instead."),
            "village_code",
        )
    school = None
    if data.get("school_code"):
        school = db.session.scalar(select(School).where(School.code == data["school_code"], School.is_active.is_(True)))
        if school is None or school.county_id != village.county_id:
            raise LadderError(_l("No school in that county has this identification code."), "school_code")
    transfer = Transfer(
        case_id=case.id,
        from_village_id=case.village_id,
        to_village_id=village.id,
        to_township_id=village.township_id,
        to_school_id=school.id if school else None,
        reason=data["reason"].strip(),
        requested_by_id=by.id,
        requested_dt=clock.now(),
    )
    db.session.add(transfer)
    db.session.flush()
    audit.record(
        "create",
        f"transfer requested to {village.name}",
        module="ladder",
        actor=by,
        target=transfer,
        case=case,
        data={"after": {"to_village_id": village.id, "to_school_id": transfer.to_school_id}},
    )
    from caseworks.inbox import handoffs

    handoffs.transfer_waiting(case, transfer)
    return transfer


def accept_transfer(transfer, by, data=None):
    """The receiving township takes the case: its village, township and county change, and its
    school becomes the one the child attends in the new place (``school_id``; 0 for a child not
    enrolled yet), so that school's administrator can assign the teacher. The previous teacher
    and cadre no longer hold it; the receiving official may name the new village cadre at once
    (``cadre_id``). Each line's planned visits follow its new holder; everything else stays."""
    from caseworks.cases import operations as case_ops
    from caseworks.visits.operations import ensure_planned

    data = data or {}
    decide_transfer_or_refuse(transfer)
    end_assignments = case_ops.end_assignments
    case = transfer.case
    village = transfer.to_village
    school = _receiving_school(transfer, data)
    before = {
        "village_id": case.village_id,
        "township_id": case.township_id,
        "county_id": case.county_id,
        "school_id": case.school_id,
        "teacher_id": case.teacher_id,
        "cadre_id": case.cadre_id,
    }
    end_assignments(case)
    _release_planned_visits(case)
    case.village_id = village.id
    case.township_id = village.township_id
    case.county_id = village.county_id
    case.school_id = school.id if school else None
    case.school_township_id = school.township_id if school else None
    transfer.decided_by_id = by.id
    transfer.decided_dt = clock.now()
    transfer.accepted = True
    db.session.flush()
    if data.get("cadre_id"):
        person = case_ops.user_by_id(data["cadre_id"])
        try:
            if person is None:
                raise LadderError(_l("Choose a village cadre from the list."), "cadre_id")
            case_ops.assign_cadre(case, person, by, case.version)
        except Refused as refused:
            raise LadderError(refused.message, "cadre_id") from None
    after = {
        "village_id": case.village_id,
        "township_id": case.township_id,
        "county_id": case.county_id,
        "school_id": case.school_id,
        "teacher_id": case.teacher_id,
        "cadre_id": case.cadre_id,
    }
    audit.record(
        "transfer",
        f"transfer accepted by {village.name}",
        module="ladder",
        actor=by,
        target=case,
        case=case,
        data=audit.changes(before, after),
    )
    ensure_planned(case)
    return case


def _receiving_school(transfer, data):
    """The school the case belongs to after the transfer: the one chosen on accepting it (0: not
    enrolled yet), else the one the sending side named, else none — never a school left behind
    in the sending township."""
    village = transfer.to_village
    if "school_id" not in data:
        return transfer.to_school
    if not data["school_id"]:
        return None
    school = db.session.get(School, data["school_id"])
    if school is None or not school.is_active or school.county_id != village.county_id:
        raise LadderError(_l("Choose a school of the receiving county, or “not enrolled yet”."), "school_id")
    return school


def receiving_schools(transfer):
    """The active schools of the receiving county, those of the receiving township first."""
    schools = db.session.scalars(
        select(School)
        .where(School.county_id == transfer.to_village.county_id, School.is_active.is_(True))
        .order_by(School.code)
    ).all()
    return sorted(schools, key=lambda s: s.township_id != transfer.to_township_id)


def _release_planned_visits(case):
    """The old township's people no longer go: the planned visits wait for the new assignees."""
    from caseworks.visits.operations import open_planned_visits

    for visit in open_planned_visits(case):
        visit.assignee_id = None


def decide_transfer_or_refuse(transfer):
    """Lock the transfer row; refuse a decision on one already decided (two officials at once)."""
    db.session.refresh(transfer, with_for_update=True)
    if transfer.decided_dt is not None:
        raise LadderError(_l("This transfer was already decided."))


def decline_transfer(transfer, by, reason):
    """The receiving township declines a waiting transfer, with its reason; the case stays where it
    was. A transfer is decided once."""
    decide_transfer_or_refuse(transfer)
    transfer.decided_by_id = by.id
    transfer.decided_dt = clock.now()
    transfer.accepted = False
    transfer.decline_reason = reason.strip()
    db.session.flush()
    audit.record(
        "transfer",
        "transfer declined",
        module="ladder",
        actor=by,
        target=transfer.case,
        case=transfer.case,
        data={"reason": transfer.decline_reason},
    )
