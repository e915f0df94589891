"""Hand-offs: the messages that tell a person a case now waits for them.

Each is sent by the operation or transition that causes it (never by a view), once (a dedupe
key per event and person), and links to the page where the work is done. Like the reminders, a
message names the case by its number and village, not by the child's name: it may leave the
system by e-mail.
"""

from flask_babel import lazy_gettext as _l

from caseworks.accounts.queries import people_at
from caseworks.core.choices import CaseFlag, Role
from caseworks.core.nav import path_for
from caseworks.inbox.operations import notify_each


def _case_words(case):
    return {"case": case.id, "village": case.village.name}


def case_assigned(case, assignment):
    """To the teacher or cadre just assigned to a case."""
    line = _l("assigned teacher") if assignment.line == "teacher" else _l("village cadre")
    return notify_each(
        [assignment.user_id],
        "assigned",
        _l("Case %(case)s (%(village)s) is assigned to you as %(line)s", line=line, **_case_words(case)),
        body=_l("Read the case and its plan, and plan your first visit."),
        case_id=case.id,
        key=f"assigned:{assignment.id}",
    )


def township_persuasion(case, change):
    """A case escalated to township persuasion waits for its village cadre (who joins the
    visits) and for the township's officials (who lead it)."""
    recipients = [case.cadre_id, *people_at(Role.TOWNSHIP_OFFICIAL, area_id=case.township_id)]
    return notify_each(
        recipients,
        "township_persuasion",
        _l("Case %(case)s (%(village)s) is in township persuasion", **_case_words(case)),
        body=_l(
            "The school has escalated the case to township persuasion: the township and the village "
            "cadre join. Plan a joint home visit with the teacher."
        ),
        case_id=case.id,
        key=f"township_persuasion:{change.id}",
    )


def transfer_waiting(case, transfer):
    """A transfer waits for the receiving township's officials to accept or decline it."""
    return notify_each(
        people_at(Role.TOWNSHIP_OFFICIAL, area_id=transfer.to_township_id),
        "transfer_waiting",
        _l("A case is transferred to your township: case %(case)s from %(village)s", **_case_words(case)),
        body=_l("Accept the case (then assign its teacher and village cadre), or decline it with a reason."),
        case_id=case.id,
        key=f"transfer_waiting:{transfer.id}",
    )


def pending_review(case, change):
    """A case entered pending review: the county's reviewers decide."""
    return notify_each(
        people_at(Role.COUNTY_REVIEWER, area_id=case.county_id),
        "pending_review",
        _l("Case %(case)s (%(village)s) waits for review", **_case_words(case)),
        body=_l("Check the evidence, then approve the closure or send the case back with a reason."),
        case_id=case.id,
        link=path_for("review.review_case", case_id=case.id),
        key=f"pending_review:{change.id}",
    )


def closure_approved(case, request, people):
    """To the people on the case and whoever asked for the closure."""
    return notify_each(
        people,
        "closure_approved",
        _l("The closure of case %(case)s (%(village)s) is approved", **_case_words(case)),
        case_id=case.id,
        key=f"closure_approved:{request.id}",
    )


def line_missing(person, cases):
    """A deactivated teacher or cadre left ``cases`` without their line: to whoever assigns
    the next one (the school's administrators, the township's officials)."""
    if not cases:
        return []
    if person.role == Role.TEACHER:
        recipients = people_at(Role.SCHOOL_ADMIN, school_id=person.school_id)
        link = path_for("cases.list_cases", flag=CaseFlag.NO_TEACHER.value, school=person.school_id)
        subject = _l(
            "%(count)s cases of %(name)s have no assigned teacher now", count=len(cases), name=person.full_name
        )
    else:
        recipients = people_at(Role.TOWNSHIP_OFFICIAL, area_id=person.township_id)
        link = path_for("cases.list_cases", flag=CaseFlag.NO_CADRE.value, village=person.area_id)
        subject = _l("%(count)s cases of %(name)s have no village cadre now", count=len(cases), name=person.full_name)
    return notify_each(
        recipients,
        "line_missing",
        subject,
        body=_l("%(name)s was deactivated. Assign someone else to these cases.", name=person.full_name),
        link=link,
        key=f"line_missing:{person.id}:{person.session_version}",
    )
