"""Labels for what the audit trail stores: entry kinds and modules, field names (as the forms
that enter them label them), stored codes (as :mod:`caseworks.core.choices` labels them), and the
names behind ids, looked up for a whole page of entries at once. :mod:`caseworks.review.readable`
builds each entry's sentence from these."""

from dataclasses import dataclass, field

from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms.fields.core import UnboundField

from caseworks.accounts.forms import CreateUserForm
from caseworks.accounts.models import User
from caseworks.cases.forms import PlanItemForm, RegisterCaseForm
from caseworks.core import idnumber
from caseworks.core.choices import (
    AreaLevel,
    CaseKind,
    CaseSource,
    ClosedOutcome,
    DisabilityType,
    DropoutReason,
    Gender,
    GuardianRelation,
    LegalStepKind,
    NoticeKind,
    Role,
    SchoolKind,
    ServiceMethod,
    SpecialGroup,
    Stage,
    SupportKind,
    VisitMethod,
    Visitor,
    VisitOutcome,
)
from caseworks.core.policy import PolicyProfile
from caseworks.extensions import db
from caseworks.ladder.forms import (
    DETAIL_LABELS,
    ClosureForm,
    LegalStepForm,
    NoticeForm,
    ReturnForm,
    ServeForm,
    TransferForm,
)
from caseworks.places.forms import AreaForm, PolicyForm, SchoolForm
from caseworks.places.models import Area, School
from caseworks.review.forms import DrawSpotCheckForm, SpotCheckResultForm
from caseworks.review.models import SpotCheckResult
from caseworks.visits.forms import CancelVisitForm, LogVisitForm, PlanVisitForm, SupportForm

#: what an entry's ``kind`` means
KIND_LABELS = {
    "create": _l("Record created"),
    "change": _l("Changed"),
    "assign": _l("Assigned"),
    "transition": _l("Stage change"),
    "transfer": _l("Transfer to another township"),
    "login": _l("Logged in"),
    "login_failed": _l("Failed login"),
    "login_throttled": _l("Login refused: too many failed attempts"),
    "login_attack": _l("Many failed logins"),
    "logout": _l("Logged out"),
    "export": _l("Export"),
    "view_sensitive": _l("Viewed the full ID number and phone numbers"),
    "job": _l("Scheduled job"),
    "deactivate": _l("Deactivated"),
    "reactivate": _l("Reactivated"),
    "password_reset": _l("Password reset"),
    "password_change": _l("Password changed"),
    "import": _l("Import"),
    "id_duplicate": _l("ID number refused: registered elsewhere"),
    "rekey": _l("Audit trail keyed"),
    "audit_broken": _l("Audit trail does not fit its checkpoint"),
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
    "ledgers": _l("Ledgers"),
    "enrolment": _l("Enrolment register"),
    "audit": _l("Audit trail"),
    "scheduler": _l("Scheduler"),
    "demo": _l("Demo data"),
}

#: why a login failed, as :func:`caseworks.accounts.operations.authenticate` records it
LOGIN_FAILURE_LABELS = {
    "throttled": _l("Too many failed attempts"),
    "unknown user": _l("Unknown username"),
    "inactive": _l("Account deactivated"),
    "wrong password": _l("Wrong password"),
}

#: labels of data keys that no form enters, or that entries about different records share
#: (the fields of a form are labelled as the form labels them: see _LABELS below)
FIELD_LABELS = {
    "stage": _l("Stage"),
    "kind": _l("Kind"),
    "outcome": _l("Outcome"),
    "closed_outcome": _l("Outcome"),
    "name": _l("Name"),
    "code": _l("Code"),
    "level": _l("Level"),
    "id_number": _l("ID number"),
    "disability_type": _l("Disability type"),
    "household_village_id": _l("Household village"),
    "village_id": _l("Village"),
    "parent_id": _l("Parent area"),
    "area_id": _l("Area"),
    "township_id": AreaLevel.TOWNSHIP.label,
    "county_id": AreaLevel.COUNTY.label,
    "school_id": _l("School"),
    "to_village_id": _l("To village"),
    "to_school_id": _l("To school"),
    "teacher_id": _l("Teacher"),
    "cadre_id": _l("Village cadre"),
    "class_name": _l("Class"),
    "plan_summary": _l("Plan (一人一案)"),
    "guardians": _l("Guardians"),
    "reason": _l("Reason"),
    "details": _l("Details"),
    "due_date": _l("Due date"),
    "visit_date": _l("Visit date"),
    "deadline_date": _l("Deadline"),
    "is_active": _l("Active"),
    "return_date": _l("Return date"),
    "monitoring_until": _l("Monitoring until"),
    "until": _l("Until"),
    "result": _l("Result"),
    "reopened": _l("Case reopened"),
    "truncated": _l("Cut to the row limit"),
    "percent": _l("Percent"),
    "seed": _l("Seed"),
    "period_start_date": _l("From"),
    "period_end_date": _l("To"),
    "population_size": _l("Approved returns in the period"),
    "case_ids": _l("Sampled cases"),
    "filters": _l("Filters"),
    "case_filters": _l("Filters"),
    "receipt_id": _l("Signed receipt (送达回证)"),
    "school_year": _l("School year"),
    "source": _l("Found by"),
    "source_date": _l("Found on"),
    "month": _l("Month"),
    "q": _l("Search"),
    "mine": _l("My cases"),
    "unassigned": _l("Missing teacher or cadre"),
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

#: the vocabularies of nested values: a step's form data, and the filters of an export
DETAILS = "details"
FILTERS = "filters"
#: failed logins, whose ``reason`` is a code
LOGIN_FAILED = "login_failed"


def _form_labels(*forms):
    """``{field name: label}`` as the forms show them (the first form naming a field wins)."""
    labels = {}
    for form in forms:
        for name in dir(form):
            unbound = getattr(form, name, None)
            if not isinstance(unbound, UnboundField):
                continue
            label = unbound.kwargs.get("label", unbound.args[0] if unbound.args else None)
            if isinstance(label, (str, LazyString)):
                labels.setdefault(name, label)
    return labels


#: field labels by the kind of record an entry is about (its target type): the labels of the
#: forms that enter those fields, so the trail names a field as the person who filled it saw it
_LABELS = {
    "Area": _form_labels(AreaForm),
    "School": _form_labels(SchoolForm),
    "PolicyProfile": _form_labels(PolicyForm),
    "User": _form_labels(CreateUserForm),
    "Case": _form_labels(RegisterCaseForm),
    "PlanItem": _form_labels(PlanItemForm),
    "Visit": _form_labels(LogVisitForm, PlanVisitForm, CancelVisitForm),
    "SupportMeasure": _form_labels(SupportForm),
    "Notice": _form_labels(NoticeForm, ServeForm),
    "LegalStep": _form_labels(LegalStepForm),
    "Transfer": _form_labels(TransferForm),
    "SpotCheck": _form_labels(DrawSpotCheckForm),
    "SpotCheckItem": _form_labels(SpotCheckResultForm),
    DETAILS: {**_form_labels(ReturnForm, ClosureForm, LegalStepForm), "expired": DETAIL_LABELS["until"]},
}
#: any form's label of a key, for a key that turns up where its record's forms do not have it
_ANY_FORM = {key: label for labels in reversed(_LABELS.values()) for key, label in labels.items()}

#: keys whose stored code (or list of codes) has a label, whatever the entry is about
_CHOICES = {
    "stage": Stage,
    "to_stage": Stage,
    "from_stage": Stage,
    "resume_stage": Stage,
    "outcome": ClosedOutcome,
    "closed_outcome": ClosedOutcome,
    "gender": Gender,
    "disability_type": DisabilityType,
    "role": Role,
    "level": AreaLevel,
    "result": SpotCheckResult,
    "service_method": ServiceMethod,
    "source": CaseSource,
    "reasons": DropoutReason,
    "groups": SpecialGroup,
}
#: the same by the kind of record, where one key holds codes of different lists
_CHOICES_OF = {
    "School": {"kind": SchoolKind},
    "Case": {"kind": CaseKind},
    "Visit": {"method": VisitMethod, "outcome": VisitOutcome, "visitors": Visitor},
    "SupportMeasure": {"kind": SupportKind},
    "Notice": {"kind": NoticeKind},
    "LegalStep": {"kind": LegalStepKind},
    DETAILS: {"kind": LegalStepKind, "result": None},
    FILTERS: {"kind": KIND_LABELS, "module": MODULE_LABELS},
    LOGIN_FAILED: {"reason": LOGIN_FAILURE_LABELS},
}
#: keys holding the id of a row whose name is shown instead
_SCHOOL_KEYS = {"school_id", "return_school_id", "to_school_id"}
_AREA_KEYS = {"village_id", "household_village_id", "township_id", "county_id", "parent_id", "area_id", "to_village_id"}
_USER_KEYS = {"teacher_id", "cadre_id", "assignee_id", "user_id"}
#: keys never shown in full (the trail should hold them masked already; this makes sure)
_ID_NUMBER_KEYS = {"id_number"}


def field_label(key, context=None):
    """The label of data key ``key`` in an entry about a ``context`` (a target type)."""
    label = _LABELS.get(context, {}).get(key) or FIELD_LABELS.get(key) or _ANY_FORM.get(key)
    return str(label) if label is not None else key


def kind_label(kind):
    label = KIND_LABELS.get(kind)
    return str(label) if label is not None else kind


def module_label(module):
    label = MODULE_LABELS.get(module)
    return str(label) if label is not None else module


def _choice_of(key, context):
    specific = _CHOICES_OF.get(context, {})
    return specific[key] if key in specific else _CHOICES.get(key)


def label_of(choice, value):
    if isinstance(choice, dict):
        label = choice.get(value)
        return str(label) if label is not None else value
    return str(choice.label_of(value))


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
    #: what happened, in one sentence made from the entry's data
    summary: str
    actor: str
    changes: list = field(default_factory=list)


def _walk(data):
    """Every (key, value) of ``data`` and of the dicts nested in it."""
    for key, value in data.items():
        yield key, value
        if isinstance(value, dict):
            yield from _walk(value)


class Names:
    """Names behind the ids that a page of entries mentions (in their data and as their
    targets), looked up in at most four queries whatever the number of entries."""

    def __init__(self, entries):
        schools, areas, users, profiles = set(), set(), set(), set()
        wanted = {"Area": areas, "School": schools, "User": users, "PolicyProfile": profiles}
        for entry in entries:
            for key, value in _walk(entry.data or {}):
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
            if entry.target_type in wanted and entry.target_id is not None:
                wanted[entry.target_type].add(entry.target_id)
        self.schools = _names(School.id, School.name, schools)
        self.areas = _names(Area.id, Area.name, areas)
        self.users = _names(User.id, User.full_name, users)
        #: a policy profile is named by its county
        self.profiles = _names(
            PolicyProfile.id, Area.name, profiles, lambda s: s.join(Area, Area.id == PolicyProfile.county_id)
        )

    def of(self, key, value):
        if key in _SCHOOL_KEYS:
            return self.schools.get(value)
        if key in _AREA_KEYS:
            return self.areas.get(value)
        if key in _USER_KEYS:
            return self.users.get(value)
        return None

    def target(self, entry):
        """The name of the area, school, person or county profile the entry is about."""
        found = {"Area": self.areas, "School": self.schools, "User": self.users, "PolicyProfile": self.profiles}
        return found.get(entry.target_type, {}).get(entry.target_id) or "—"


def _names(id_col, name_col, ids, join=None):
    if not ids:
        return {}
    found = {}
    ids = sorted(ids)
    for start in range(0, len(ids), 1000):  # keep the IN list within every backend's limits
        chunk = ids[start : start + 1000]
        stmt = select(id_col, name_col)
        if join is not None:
            stmt = join(stmt)
        found.update(db.session.execute(stmt.where(id_col.in_(chunk))).all())
    return found


def format_value(key, value, names=None, context=None):
    """One stored value as text for people: labels for codes, names for ids, masked numbers."""
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if key in _ID_NUMBER_KEYS and isinstance(value, str):
        return idnumber.mask(value)  # masked again: entries written before hid the sequence digits
    if key == "guardians" and isinstance(value, list):
        return "；".join(_guardian_text(g) for g in value)
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    choice = _choice_of(key, context)
    if choice is not None and isinstance(value, str):
        return label_of(choice, value)
    if choice is not None and isinstance(value, list):
        return "、".join(label_of(choice, v) for v in value)
    if names is not None and isinstance(value, int):
        name = names.of(key, value)
        if name is not None:
            return name
    if key == "kind" and isinstance(value, str):
        return _kind_value(value)
    if isinstance(value, dict):
        inner = DETAILS if key == "details" else FILTERS if key == "filters" else context
        return "；".join(f"{field_label(k, inner)}: {format_value(k, v, names, inner)}" for k, v in value.items())
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return str(value)


def _kind_value(value):
    """``kind`` of an unknown record: cases, notices and legal steps use it alike."""
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
