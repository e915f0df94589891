"""Named permissions: what a user may do to a case they can see. Every such rule is here.

Seeing a case is decided by :mod:`caseworks.core.scope`; these functions decide acting on it.
Each takes the user and the case (already loaded through the scope) and returns a bool. The case
page, the other pages and the JSON API all ask these same functions. Stage transitions declare
only their role lists (in :mod:`caseworks.ladder.transitions`); whether a user may take one is
:func:`may_take_transition`, here.
"""

from caseworks.core.choices import NOTICE_STAGES, Role, Stage, VisitPurpose
from caseworks.core.scope import holds, holds_school

#: roles that work on cases (every role but the administrator)
CASE_ROLES = (
    Role.TEACHER,
    Role.VILLAGE_CADRE,
    Role.SCHOOL_ADMIN,
    Role.TOWNSHIP_OFFICIAL,
    Role.COUNTY_REVIEWER,
)
#: roles that work a case in the field: they register children, log contacts and take the
#: first steps of the ladder (county reviewers read case facts only)
CASE_WORKERS = (Role.TEACHER, Role.VILLAGE_CADRE, Role.SCHOOL_ADMIN, Role.TOWNSHIP_OFFICIAL)
#: roles that act only on the cases assigned to them (the two lines, 双线控辍)
ASSIGNEE_ROLES = (Role.TEACHER, Role.VILLAGE_CADRE)
#: roles that may see full ID numbers and guardian phones (each look is audited)
SENSITIVE_READERS = CASE_ROLES
#: school staff register children at their own school, never as "not enrolled"
SCHOOL_STAFF = (Role.TEACHER, Role.SCHOOL_ADMIN)


def works_on_cases(user):
    return user.is_authenticated and user.role in CASE_ROLES


def may_use_outbox(user):
    """Keep visits on the phone to send later, and the own cases for offline use: the roles
    that log visits."""
    return user.is_authenticated and user.role in CASE_WORKERS


def may_open_case(user):
    return user.is_authenticated and user.role in CASE_WORKERS


def may_register_unenrolled(user):
    """A child who never enrolled is found by the government line; school staff register
    children at their own school."""
    return user.role not in SCHOOL_STAFF


def is_assignee(user, case):
    return user.id in (case.teacher_id, case.cadre_id)


def acts_on(user, case):
    """The case is the user's to work on: a teacher or cadre on the cases assigned to them, any
    other role on the cases in its own scope (not those it only sees through a waiting transfer)."""
    if user.role in ASSIGNEE_ROLES:
        return is_assignee(user, case)
    return holds(user, case)


def may_edit_case(user, case):
    """Change the child's facts, the reasons and the plan. Reviewers only read case facts."""
    return case.is_open and user.role in CASE_WORKERS and acts_on(user, case)


def may_log_visit(user, case):
    """Log, plan or cancel a visit or contact: the assignees, the school admin and the township
    official of an open case."""
    return case.is_open and user.role in CASE_WORKERS and acts_on(user, case)


def may_log_county_look(user, case):
    """The county's monthly look (每月一看) is the county's own: a county reviewer (county staff)
    holding the open case logs it, or gives it to a named colleague. It counts only when logged."""
    return case.is_open and user.role == Role.COUNTY_REVIEWER and holds(user, case)


def may_log_planned_visit(user, case, visit):
    """Log ``visit`` (a planned visit of ``case``; None: a contact that was not planned). The county
    look is the county's; a teacher or village cadre logs the visits planned for them (or for
    nobody yet), the school admin and township official any other."""
    if visit is not None and visit.is_county_look:
        return may_log_county_look(user, case)
    if visit is not None and visit.purpose == VisitPurpose.DEFERRAL_CHECK:
        # the case is closed while the deferral lasts, and visited once before it ends
        allowed = user.role in CASE_WORKERS and acts_on(user, case)
    else:
        allowed = may_log_visit(user, case)
    if not allowed:
        return False
    if visit is not None and user.role in ASSIGNEE_ROLES:
        return visit.assignee_id in (None, user.id)
    return True


def may_assign_teacher(user, case):
    """A school admin of the case's school assigns the teacher."""
    return case.is_open and user.role == Role.SCHOOL_ADMIN and case.school_id == user.school_id


def may_assign_cadre(user, case):
    """A township official of the case's (household) township assigns the village cadre."""
    return case.is_open and user.role == Role.TOWNSHIP_OFFICIAL and _in_own_township(user, case)


def may_see_sensitive(user, case):
    """The full ID number and phones, for the people who hold the case (each look is audited)."""
    return user.role in SENSITIVE_READERS and holds(user, case)


def may_take_transition(user, case, transition):
    """A person may take a transition whose role list names their role, on a case they act on.
    Transitions made by the scheduler are never a person's."""
    if transition.system_only or user is None or user.role not in transition.roles:
        return False
    return acts_on(user, case)


def may_manage_notices(user, case):
    """Notices are issued and served by the officials of the case's township."""
    return case.is_open and user.role == Role.TOWNSHIP_OFFICIAL and _in_own_township(user, case)


def may_issue_notice(user, case):
    """A notice is issued in township persuasion or the administrative procedure."""
    return may_manage_notices(user, case) and case.stage in NOTICE_STAGES


def may_record_legal_step(user, case):
    """Legal steps are recorded in the judicial procedure by the township or the county."""
    return case.stage == Stage.JUDICIAL and (
        may_manage_notices(user, case) or (user.role == Role.COUNTY_REVIEWER and holds(user, case))
    )


def may_transfer(user, case):
    """The township official of the case's township, or the school admin of its school, hands
    the case to another township."""
    return case.is_open and (may_manage_notices(user, case) or may_assign_teacher(user, case))


def may_decide_transfer(user, transfer):
    """Only an official of the receiving township accepts or declines a waiting transfer."""
    return (
        transfer.decided_dt is None
        and user.role == Role.TOWNSHIP_OFFICIAL
        and transfer.to_township_id == user.township_id
    )


def may_review(user):
    """County review: the queue, decisions, spot checks and the audit trail."""
    return user.is_authenticated and user.role == Role.COUNTY_REVIEWER


def may_decide_closure(user, request):
    """A county reviewer decides a closure request, never one they asked for themselves."""
    return user.role == Role.COUNTY_REVIEWER and request.requested_by_id != user.id


#: roles that oversee a place (a school, a township, a county or more): the dashboard and the
#: registers of notices, transfers and legal steps are theirs
OVERSEERS = (Role.SCHOOL_ADMIN, Role.TOWNSHIP_OFFICIAL, Role.COUNTY_REVIEWER)


def may_export_ledgers(user):
    """Ledgers and monthly reports are handed in by the overseers: the school, the township and
    the county."""
    return user.is_authenticated and user.role in OVERSEERS


def may_print_rosters(user):
    """The village sheet and the sign-off roster: the ledger roles, and the village cadre for the
    children of their village."""
    return may_export_ledgers(user) or (user.is_authenticated and user.role == Role.VILLAGE_CADRE)


def may_export_full_ids(user):
    """Whole ID numbers in an export only for the roles that work the cases (the school and the
    township); the county's exports carry them masked."""
    return user.role in (Role.SCHOOL_ADMIN, Role.TOWNSHIP_OFFICIAL)


def _in_own_township(user, case):
    return user.township_id is not None and case.township_id == user.township_id


def may_see_dashboard(user):
    """The dashboard and the registers: school administrators, township officials and county
    reviewers (also those placed at a city or the province)."""
    return user.is_authenticated and user.role in OVERSEERS


# -- finding children: the enrolment register, imports, matching, absences ---------------------

#: roles that own schools' rosters: the school admin their school's, the township and the
#: county theirs
ROSTER_OWNERS = (Role.SCHOOL_ADMIN, Role.TOWNSHIP_OFFICIAL, Role.COUNTY_REVIEWER)
#: roles that import the lists the rosters are compared with and run the matching (四查三比对)
MATCHERS = (Role.TOWNSHIP_OFFICIAL, Role.COUNTY_REVIEWER)


def may_import_roster(user, school_id=None):
    """Import a school roster: for a school the user owns (any of them when ``school_id`` is
    None and the file names each row's school)."""
    if not user.is_authenticated or user.role not in ROSTER_OWNERS:
        return False
    return school_id is None or holds_school(user, school_id)


def may_import_list(user, kind):
    """Import a household register, poverty list or pushed list: the township or the county."""
    from caseworks.core.choices import ImportKind

    if kind == ImportKind.ROSTER:
        return may_import_roster(user)
    return user.is_authenticated and user.role in MATCHERS


def may_run_matching(user):
    """See the register matching (四查三比对) of one's township or county."""
    return user.is_authenticated and user.role in MATCHERS


def may_open_found_cases(user):
    """Open a suspected case for a child the matching lists: the township official (county
    reviewers read case facts only, DESIGN.md)."""
    return user.is_authenticated and user.role == Role.TOWNSHIP_OFFICIAL


def may_see_register(user):
    """The enrolment register of one's schools."""
    return user.is_authenticated and user.role in (*ROSTER_OWNERS, Role.TEACHER)


def may_record_absence(user, school_id=None):
    """Absences are recorded by the teachers and the school admin of the pupil's school."""
    if not user.is_authenticated or user.role not in SCHOOL_STAFF:
        return False
    return school_id is None or school_id == user.school_id
