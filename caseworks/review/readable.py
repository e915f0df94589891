"""Audit entries as people read them: field names and stored codes turned into labels, ids
turned into names, and nothing shown in full that the trail keeps masked.

The audit trail stores column names and codes (``{"before": {"stage": "returned"}}``); this
module is the one place that knows how to say that in the user's language. Names behind ids
(schools, villages, people) are looked up for a whole page of entries at once, so a page costs a
fixed number of queries.
"""

from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from caseworks.accounts.models import User
from caseworks.core import idnumber
from caseworks.core.choices import (
    CaseKind,
    ClosedOutcome,
    DisabilityType,
    DropoutReason,
    Gender,
    GuardianRelation,
    LegalStepKind,
    NoticeKind,
    Role,
    SpecialGroup,
    Stage,
)
from caseworks.extensions import db
from caseworks.ladder.forms import DETAIL_LABELS
from caseworks.places.models import Area, School
from caseworks.review.models import SpotCheckResult

#: what an entry's ``kind`` means
KIND_LABELS = {
    "create": _l("Record created"),
    "change": _l("Changed"),
    "assign": _l("Assigned"),
    "transition": _l("Stage change"),
    "login": _l("Logged in"),
    "login_failed": _l("Failed login"),
    "logout": _l("Logged out"),
    "export": _l("Export"),
    "view_sensitive": _l("Viewed the full ID number and phone numbers"),
    "job": _l("Scheduled job"),
    "deactivate": _l("Deactivated"),
    "reactivate": _l("Reactivated"),
    "password_reset": _l("Password reset"),
    "token_issued": _l("API token issued"),
    "spot_check": _l("Spot check"),
}

#: which part of the system wrote the entry
MODULE_LABELS = {
    "cases": _l("Cases"),
    "ladder": _l("Ladder"),
    "visits": _l("Visits"),
    "accounts": _l("Accounts"),
    "places": _l("Places"),
    "review": _l("Review"),
    "inbox": _l("Inbox"),
    "reports": _l("Reports"),
    "scheduler": _l("Scheduler"),
    "demo": _l("Demo data"),
}

#: column and data keys as labels
FIELD_LABELS = {
    "stage": _l("Stage"),
    "kind": _l("Kind"),
    "outcome": _l("Outcome"),
    "closed_outcome": _l("Outcome"),
    "address": _l("Address"),
    "name": _l("Name"),
    "gender": _l("Gender"),
    "birth_date": _l("Date of birth"),
    "id_number": _l("ID number"),
    "student_no": _l("Student registry number (学籍号)"),
    "disability_type": _l("Disability type"),
    "household_village_id": _l("Household village"),
    "village_id": _l("Village"),
    "school_id": _l("School"),
    "teacher_id": _l("Teacher"),
    "cadre_id": _l("Village cadre"),
    "grade": _l("Grade"),
    "class_name": _l("Class"),
    "dropout_date": _l("Stopped attending on"),
    "situation": _l("Situation"),
    "plan_summary": _l("Plan (一人一案)"),
    "reasons": _l("Reasons"),
    "groups": _l("Special groups"),
    "guardians": _l("Guardians"),
    "measure": _l("Measure"),
    "responsible": _l("Responsible"),
    "target_date": _l("By"),
    "reason": _l("Reason"),
    "evidence": _l("Evidence"),
    "details": _l("Details"),
    "method": _l("Method"),
    "due_date": _l("Due date"),
    "visit_date": _l("Visit date"),
    "assignee_id": _l("Who should go"),
    "role": _l("Role"),
    "username": _l("Username"),
    "full_name": _l("Full name"),
    "is_active": _l("Active"),
    "return_date": _l("Return date"),
    "monitoring_until": _l("Monitoring until"),
    "until": _l("Until"),
    "result": _l("Result"),
    "reopened": _l("Case reopened"),
    "truncated": _l("Cut to the row limit"),
    "notes": _l("Notes"),
    "checked_date": _l("Checked on"),
    "percent": _l("Percent"),
    "seed": _l("Seed"),
    "period_start_date": _l("From"),
    "period_end_date": _l("To"),
    "population_size": _l("Approved returns in the period"),
    "case_ids": _l("Sampled cases"),
    "filters": _l("Filters"),
    "rows": _l("Rows"),
    "format": _l("Format"),
    "person": _l("Person"),
    "case": _l("Case"),
    "module": _l("Module"),
    "date_from": _l("From"),
    "date_to": _l("To"),
}
FIELD_LABELS.update(DETAIL_LABELS)  # a closure request's details: the labels of its form
FIELD_LABELS["expired"] = DETAIL_LABELS["until"]  # a health deferral sent back to review

#: keys whose stored code has a label of its own
_CHOICE_OF_KEY = {
    "stage": Stage,
    "to_stage": Stage,
    "from_stage": Stage,
    "resume_stage": Stage,
    "outcome": ClosedOutcome,
    "closed_outcome": ClosedOutcome,
    "gender": Gender,
    "disability_type": DisabilityType,
    "role": Role,
    "result": SpotCheckResult,
}
#: list-valued keys whose items are codes
_CHOICE_LIST_OF_KEY = {"reasons": DropoutReason, "groups": SpecialGroup}
#: keys holding the id of a row whose name is shown instead
_SCHOOL_KEYS = {"school_id", "return_school_id"}
_AREA_KEYS = {"village_id", "household_village_id", "township_id", "county_id"}
_USER_KEYS = {"teacher_id", "cadre_id", "assignee_id", "user_id"}
#: keys never shown in full (the trail should hold them masked already; this makes sure)
_ID_NUMBER_KEYS = {"id_number"}


def field_label(key):
    label = FIELD_LABELS.get(key)
    return str(label) if label is not None else key


def kind_label(kind):
    label = KIND_LABELS.get(kind)
    return str(label) if label is not None else kind


def module_label(module):
    label = MODULE_LABELS.get(module)
    return str(label) if label is not None else module


@dataclass
class Change:
    label: str
    before: str
    after: str
    #: a value recorded without a before (an extra such as the reason of a step)
    is_note: bool = False


@dataclass
class ReadableEntry:
    entry: object
    kind: str
    module: str
    title: str
    actor: str
    changes: list = field(default_factory=list)


class Names:
    """Names behind the ids that a page of entries mentions, looked up in three queries."""

    def __init__(self, entries):
        schools, areas, users = set(), set(), set()
        for entry in entries:
            for key, value in _all_values(entry.data or {}):
                if not isinstance(value, int) or isinstance(value, bool):
                    continue
                if key in _SCHOOL_KEYS:
                    schools.add(value)
                elif key in _AREA_KEYS:
                    areas.add(value)
                elif key in _USER_KEYS:
                    users.add(value)
            if entry.user_id is not None:
                users.add(entry.user_id)
        self.schools = _names(School.id, School.name, schools)
        self.areas = _names(Area.id, Area.name, areas)
        self.users = _names(User.id, User.full_name, users)

    def of(self, key, value):
        if key in _SCHOOL_KEYS:
            return self.schools.get(value)
        if key in _AREA_KEYS:
            return self.areas.get(value)
        if key in _USER_KEYS:
            return self.users.get(value)
        return None


def _names(id_col, name_col, ids):
    if not ids:
        return {}
    found = {}
    ids = sorted(ids)
    for start in range(0, len(ids), 1000):  # keep the IN list within every backend's limits
        chunk = ids[start : start + 1000]
        found.update(db.session.execute(select(id_col, name_col).where(id_col.in_(chunk))).all())
    return found


def _all_values(data):
    for part in ("before", "after"):
        values = data.get(part)
        if isinstance(values, dict):
            yield from values.items()


def format_value(key, value, names=None):
    """One stored value as text for people: labels for codes, names for ids, masked numbers."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if key in _ID_NUMBER_KEYS and isinstance(value, str):
        return idnumber.mask(value)  # masked again: entries written before hid the sequence digits
    if key == "guardians" and isinstance(value, list):
        return "；".join(_guardian_text(g) for g in value)
    if key in _CHOICE_OF_KEY and isinstance(value, str):
        return str(_CHOICE_OF_KEY[key].label_of(value))
    if key in _CHOICE_LIST_OF_KEY and isinstance(value, list):
        return "、".join(str(_CHOICE_LIST_OF_KEY[key].label_of(v)) for v in value)
    if names is not None and isinstance(value, int):
        name = names.of(key, value)
        if name is not None:
            return name
    if key == "kind" and isinstance(value, str):
        return _kind_value(value)
    if isinstance(value, dict):
        return "；".join(f"{field_label(k)}: {format_value(k, v, names)}" for k, v in value.items())
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return str(value)


def _kind_value(value):
    """``kind`` is used by cases, notices and legal steps alike: try each in turn."""
    for choice in (CaseKind, NoticeKind, LegalStepKind):
        label = choice.label_of(value)
        if label != value:
            return str(label)
    return value


def _guardian_text(guardian):
    try:
        name, relation, phone, working_away = guardian
    except (TypeError, ValueError):
        return str(guardian)
    phone = phone if not phone or "*" in phone else idnumber.mask_phone(phone)
    text = f"{name}（{GuardianRelation.label_of(relation)}）{phone}"
    return text + (f" · {_('Works away')}" if working_away else "")


def _title(entry):
    data = entry.data or {}
    if entry.kind == "transition":
        before = (data.get("before") or {}).get("stage")
        after = (data.get("after") or {}).get("stage")
        if before and after:
            return _("Stage: %(from)s → %(to)s", **{"from": Stage.label_of(before), "to": Stage.label_of(after)})
    return kind_label(entry.kind)


#: extra keys a transition or export records besides before → after, shown as notes
_NOTE_KEYS = (
    "reason",
    "details",
    "filters",
    "rows",
    "truncated",
    "result",
    "notes",
    "checked_date",
    "reopened",
    "percent",
    "seed",
    "period_start_date",
    "period_end_date",
    "population_size",
    "case_ids",
)


def readable(entry, names):
    data = entry.data or {}
    before = data.get("before") if isinstance(data.get("before"), dict) else {}
    after = data.get("after") if isinstance(data.get("after"), dict) else {}
    changes = []
    for key in list(after) + [k for k in before if k not in after]:
        changes.append(
            Change(
                field_label(key),
                format_value(key, before.get(key), names) if key in before else "",
                format_value(key, after.get(key), names) if key in after else "—",
            )
        )
    for key in _NOTE_KEYS:
        value = data.get(key)
        if value in (None, "", {}, []):
            continue
        changes.append(Change(field_label(key), "", format_value(key, value, names), is_note=True))
    if entry.user_id is not None:
        actor = names.users.get(entry.user_id) or entry.actor_name
        if actor != entry.actor_name:
            actor = f"{actor}（{entry.actor_name}）"
    else:
        actor = _("System") if entry.actor_name == "system" else entry.actor_name
    return ReadableEntry(entry, kind_label(entry.kind), module_label(entry.module), _title(entry), actor, changes)


def readable_entries(entries):
    """The entries of one page, ready for a template (names looked up once for all of them)."""
    entries = list(entries)
    names = Names(entries)
    return [readable(e, names) for e in entries]


def changes_text(item):
    """The changes of one readable entry as one line of text (the Excel export)."""
    parts = []
    for change in item.changes:
        if change.is_note or not change.before:
            parts.append(f"{change.label}: {change.after}")
        else:
            parts.append(f"{change.label}: {change.before} → {change.after}")
    return "；".join(parts)
