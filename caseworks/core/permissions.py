"""Named permissions: what a user may do to a case they can see.

Seeing a case is decided by :mod:`caseworks.core.scope`; these functions decide acting on it.
Each takes the user and the case (already loaded through the scope) and returns a bool.
Stage transitions keep their role rules with the transitions themselves, in the ladder module.
"""

from caseworks.core.choices import Role


def holds(user, case):
    """The case is in the user's own scope (not only visible through a waiting transfer)."""
    from caseworks.core.scope import holds as in_own_scope

    return in_own_scope(user, case)


CASE_ROLES = (
    Role.TEACHER,
    Role.VILLAGE_CADRE,
    Role.SCHOOL_ADMIN,
    Role.TOWNSHIP_OFFICIAL,
    Role.COUNTY_REVIEWER,
)
#: roles that may open a case (report a child)
OPENING_ROLES = (Role.SCHOOL_ADMIN, Role.TOWNSHIP_OFFICIAL, Role.VILLAGE_CADRE, Role.TEACHER)
#: roles that may see full ID numbers and guardian phones (each look is audited)
SENSITIVE_READERS = (Role.TEACHER, Role.VILLAGE_CADRE, Role.SCHOOL_ADMIN, Role.TOWNSHIP_OFFICIAL, Role.COUNTY_REVIEWER)


def works_on_cases(user):
    return user.is_authenticated and user.role in CASE_ROLES


def may_open_case(user):
    return user.is_authenticated and user.role in OPENING_ROLES


def is_assignee(user, case):
    return user.id in (case.teacher_id, case.cadre_id)


def may_edit_case(user, case):
    """Change the child's facts, the reasons and the plan. Reviewers only read case facts."""
    if not case.is_open:
        return False
    if user.role in (Role.TEACHER, Role.VILLAGE_CADRE):
        return is_assignee(user, case)
    return user.role in (Role.SCHOOL_ADMIN, Role.TOWNSHIP_OFFICIAL) and holds(user, case)


def may_assign_teacher(user, case):
    """A school admin of the case's school assigns the teacher."""
    return case.is_open and user.role == Role.SCHOOL_ADMIN and case.school_id == user.school_id


def may_assign_cadre(user, case):
    """A township official of the case's (household) township assigns the village cadre."""
    return (
        case.is_open
        and user.role == Role.TOWNSHIP_OFFICIAL
        and user.area is not None
        and case.township_id == user.area.township_id
    )


def may_log_visit(user, case):
    """Log a visit or contact: the assignees, the school admin and the township official."""
    if not case.is_open:
        return False
    if user.role in (Role.TEACHER, Role.VILLAGE_CADRE):
        return is_assignee(user, case)
    return user.role in (Role.SCHOOL_ADMIN, Role.TOWNSHIP_OFFICIAL) and holds(user, case)


def may_see_sensitive(user, case):
    """The full ID number and phones, for the people who hold the case (each look is audited)."""
    return user.role in SENSITIVE_READERS and holds(user, case)
