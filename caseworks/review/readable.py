"""Audit entries as people read them: one sentence for each entry, field names and stored codes
turned into labels, ids turned into names, and nothing shown in full that the trail keeps masked.

The audit trail stores what happened as data (kind, module, target, ``{"before": {"stage":
"returned"}}``) plus an English ``summary`` that is part of the entry's hash. This module is the one
place that says it in the user's language: it builds the sentence from the data (never showing
the stored summary) and labels fields and codes with the labels of the forms that enter them and
of :mod:`caseworks.core.choices`. Names behind ids (schools, areas, people) are looked up for a
whole page of entries at once, so a page costs a fixed number of queries.
"""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from caseworks.core.choices import (
    AreaLevel,
    CaseKind,
    CaseSource,
    LegalStepKind,
    NoticeKind,
    Role,
    Stage,
    SupportKind,
    VisitMethod,
    VisitOutcome,
)
from caseworks.ladder.transitions import TRANSITIONS
from caseworks.review.audit_labels import (
    KIND_LABELS,
    LOGIN_FAILED,
    LOGIN_FAILURE_LABELS,
    MODULE_LABELS,
    Change,
    Names,
    ReadableEntry,
    field_label,
    format_value,
    kind_label,
    label_of,
    module_label,
)
from caseworks.review.models import SpotCheckResult

__all__ = ["KIND_LABELS", "MODULE_LABELS", "changes_text", "field_label", "format_value", "readable_entries"]


# -- one sentence per entry ------------------------------------------------------------------
#
# Each writer of the trail (``audit.record`` and the demo data's ``audit.append_many``) has a
# sentence here, chosen by the entry's module and kind and, where one module writes one kind
# about several records, by its target type or data. An entry without one reads as its kind
# label, which is the whole sentence only for logins, logouts and views of full numbers:
# tests/review/test_readable.py lists every writer and fails on any other entry that has none.

_SENTENCES = {}


def _says(*pairs):
    def register(fn):
        for pair in pairs:
            _SENTENCES[pair] = fn
        return fn

    return register


def _before(entry):
    before = (entry.data or {}).get("before")
    return before if isinstance(before, dict) else {}


def _after(entry):
    after = (entry.data or {}).get("after")
    return after if isinstance(after, dict) else {}


def _text(value):
    return "—" if value in (None, "") else str(value)


@_says(("places", "create"))
def _place_created(entry, names):
    after = _after(entry)
    what = AreaLevel.label_of(after.get("level")) if entry.target_type == "Area" else _("School")
    return _(
        "%(what)s created: %(name)s (%(code)s)",
        what=_text(what),
        name=_text(after.get("name")),
        code=_text(after.get("code")),
    )


@_says(("places", "change"))
def _place_changed(entry, names):
    if entry.target_type == "PolicyProfile":
        return _("Policy profile changed: %(county)s", county=names.target(entry))
    if entry.target_type == "Area":
        names_ = {"from": _text(_before(entry).get("name")), "to": _text(_after(entry).get("name"))}
        return _("Renamed: %(from)s → %(to)s", **names_)
    return _("School changed: %(name)s", name=names.target(entry))


@_says(("places", "deactivate"), ("accounts", "deactivate"))
def _deactivated(entry, names):
    return _("Deactivated: %(name)s", name=names.target(entry))


@_says(("places", "reactivate"), ("accounts", "reactivate"))
def _reactivated(entry, names):
    return _("Reactivated: %(name)s", name=names.target(entry))


@_says(("cases", "create"))
def _case_created(entry, names):
    if entry.target_type == "PlanItem":
        return _("Plan measure added")
    data = entry.data or {}
    kind = CaseKind.label_of(_after(entry).get("kind") or data.get("kind"))
    if data.get("demo"):
        return _("Case opened (demo data): %(kind)s", kind=_text(kind))
    source = _after(entry).get("source")
    if source:
        return _("Suspected case opened, found by %(source)s", source=_text(CaseSource.label_of(source)))
    return _("Case opened: %(kind)s", kind=_text(kind))


@_says(("cases", "change"))
def _case_changed(entry, names):
    labels = dict.fromkeys(field_label(key, entry.target_type) for key in _after(entry))
    return _("Case facts changed: %(fields)s", fields="、".join(labels))


@_says(("cases", "assign"))
def _assigned(entry, names):
    after = _after(entry)
    if "cadre_id" in after:
        return _("Village cadre assigned: %(name)s", name=_text(names.users.get(after["cadre_id"])))
    return _("Teacher assigned: %(name)s", name=_text(names.users.get(after.get("teacher_id"))))


@_says(("cases", "job"))
def _stale_flagged(entry, names):
    data = entry.data or {}
    return _(
        "Cases without contact: %(flagged)s flagged, %(cleared)s cleared",
        flagged=data.get("flagged", 0),
        cleared=data.get("cleared", 0),
    )


@_says(("ladder", "create"))
def _ladder_created(entry, names):
    after = _after(entry)
    if entry.target_type == "Notice" and "receipt_id" in after:
        return _("Signed delivery receipt attached to notice %(no)s", no=_text(names.target(entry)))
    if entry.target_type == "Notice":
        return _(
            "Notice issued: %(title)s %(no)s",
            title=NoticeKind.label_of(after.get("kind")),
            no=_text(after.get("document_no")),
        )
    if entry.target_type == "Transfer":
        return _("Transfer asked to %(place)s", place=_text(names.areas.get(after.get("to_village_id"))))
    return _("Legal step recorded: %(kind)s", kind=_text(LegalStepKind.label_of(after.get("kind"))))


@_says(("ladder", "change"))
def _notice_served(entry, names):
    after = _after(entry)
    return _(
        "Notice served on %(who)s; deadline %(date)s",
        who=_text(after.get("served_to")),
        date=_text(after.get("deadline_date")),
    )


@_says(("ladder", "transfer"))
def _transfer_decided(entry, names):
    return _("Transfer accepted") if _after(entry) else _("Transfer declined")


def transition_name(entry):
    """The transition a ``transition`` entry records. Its data holds the stages before and
    after; the name is the one thing only its summary holds, as ``"<name>: <from> → <to>"``."""
    data = entry.data or {}
    name = data.get("transition") or (entry.summary or "").partition(":")[0]
    return name if name in TRANSITIONS else None


@_says(("ladder", "transition"))
def _stage_changed(entry, names):
    stages = {
        "from": _text(Stage.label_of(_before(entry).get("stage"))),
        "to": _text(Stage.label_of(_after(entry).get("stage"))),
    }
    name = transition_name(entry)
    if name is None:
        return _("Stage: %(from)s → %(to)s", **stages)
    return _("%(step)s: %(from)s → %(to)s", step=TRANSITIONS[name].label, **stages)


@_says(("ladder", "job"))
def _deadlines_lapsed(entry, names):
    return _("Lapsed notice deadlines flagged: %(n)s", n=len((entry.data or {}).get("notices") or []))


@_says(("visits", "create"))
def _visit_created(entry, names):
    after = _after(entry)
    if entry.target_type == "SupportMeasure":
        return _("Support: %(kind)s", kind=SupportKind.label_of(after.get("kind")))
    if "visit_date" in after:
        return _(
            "%(method)s: %(outcome)s",
            method=VisitMethod.label_of(after.get("method")),
            outcome=_text(VisitOutcome.label_of(after.get("outcome"))),
        )
    return _(
        "Visit planned, due by %(date)s: %(name)s",
        date=_text(after.get("due_date")),
        name=_text(names.users.get(after.get("assignee_id"))),
    )


@_says(("visits", "change"))
def _visit_cancelled(entry, names):
    return _("Planned visit cancelled")


@_says(("visits", "job"))
def _visits_planned(entry, names):
    data = entry.data or {}
    if "planned" in data:
        return _(
            "Visit plan kept: %(planned)s planned, %(moved)s moved, %(cancelled)s cancelled",
            planned=data.get("planned", 0) + data.get("looks_planned", 0),
            moved=data.get("moved", 0) + data.get("looks_moved", 0),
            cancelled=data.get("cancelled", 0) + data.get("looks_cancelled", 0),
        )
    return _(
        "Overdue visits: %(flagged)s flagged, %(cleared)s cleared",
        flagged=data.get("flagged", 0),
        cleared=data.get("cleared", 0),
    )


@_says(("review", "spot_check"))
def _spot_check(entry, names):
    data = entry.data or {}
    if entry.target_type == "SpotCheck":
        return _(
            "Spot check drawn: %(n)s of %(population)s approved returns",
            n=len(data.get("case_ids") or []),
            population=data.get("population_size", 0),
        )
    return _("Spot check result: %(result)s", result=_text(SpotCheckResult.label_of(data.get("result"))))


@_says(("review", "export"))
def _exported(entry, names):
    return _("Audit trail exported: %(rows)s entries", rows=(entry.data or {}).get("rows", 0))


#: what a ledger export exported, as :mod:`caseworks.ledgers` records it
EXPORT_LABELS = {
    "ledger": _l("the persuasion ledger"),
    "monthly_report": _l("the monthly report"),
    "village_sheet": _l("the village sheet"),
    "sign_off_roster": _l("the sign-off roster"),
}


@_says(("ledgers", "export"))
def _ledger_exported(entry, names):
    data = entry.data or {}
    what = label_of(EXPORT_LABELS, data.get("what"))
    return _("Exported %(what)s: %(rows)s cases", what=what, rows=data.get("rows", 0))


@_says(("audit", "rekey"))
def _rekeyed(entry, names):
    return _("Audit trail keyed: %(n)s entries re-hashed", n=(entry.data or {}).get("entries", 0))


@_says(("audit", "audit_broken"))
def _audit_broken(entry, names):
    return _("The audit trail does not fit its latest checkpoint: checkpoints were not written")


@_says(("cases", "id_duplicate"))
def _id_duplicate(entry, names):
    return _("ID number refused: the child is registered elsewhere")


@_says(("visits", "assign"))
def _look_given(entry, names):
    return _("County look given to %(name)s", name=_text(names.users.get(_after(entry).get("assignee_id"))))


@_says(("enrolment", "create"))
def _enrolment_created(entry, names):
    if entry.target_type == "ContactTask":
        return _("Contact task for an absence")
    return _(
        "Pupil entered on the register: %(school)s", school=_text(names.schools.get(_after(entry).get("school_id")))
    )


@_says(("enrolment", "change"))
def _enrolment_changed(entry, names):
    data = entry.data or {}
    if entry.target_type == "ContactTask":
        return _("Contact task done")
    return _("Attendance recorded: %(n)s absent", n=data.get("absent", 0))


@_says(("enrolment", "import"))
def _imported(entry, names):
    counts = (entry.data or {}).get("counts") or {}
    return _(
        "File imported: %(new)s new, %(changed)s changed, %(invalid)s invalid rows",
        new=counts.get("new", 0),
        changed=counts.get("changed", 0),
        invalid=counts.get("invalid", 0),
    )


@_says(("enrolment", "export"))
def _error_rows_exported(entry, names):
    return _("Invalid rows of an import downloaded: %(rows)s", rows=(entry.data or {}).get("rows", 0))


@_says(("accounts", "login_failed"))
def _login_failed(entry, names):
    reason = (entry.data or {}).get("reason")
    return _("Failed login: %(reason)s", reason=label_of(LOGIN_FAILURE_LABELS, _text(reason)))


@_says(("accounts", "create"))
def _user_created(entry, names):
    after = _after(entry)
    return _(
        "User created: %(name)s (%(role)s)", name=_text(after.get("full_name")), role=Role.label_of(after.get("role"))
    )


@_says(("accounts", "change"))
def _user_changed(entry, names):
    return _("User changed: %(name)s", name=names.target(entry))


@_says(("accounts", "password_reset"))
def _password_reset(entry, names):
    return _("Password reset: %(name)s", name=names.target(entry))


@_says(("accounts", "password_change"))
def _password_changed(entry, names):
    return _("Password changed by its owner: %(name)s", name=names.target(entry))


@_says(("accounts", "login_throttled"))
def _login_throttled(entry, names):
    return _("Login refused after too many failed attempts: %(name)s", name=_text(entry.actor_name))


@_says(("accounts", "login_attack"))
def _login_attack(entry, names):
    data = entry.data or {}
    if "ip" in data:
        return _("Many failed logins from the address %(ip)s", ip=_text(data["ip"]))
    return _("Many failed logins for the account %(name)s", name=_text(data.get("username")))


@_says(("accounts", "token_issued"))
def _token_issued(entry, names):
    return _("API token issued: %(name)s", name=names.target(entry))


@_says(("demo", "create"))
def _demo_loaded(entry, names):
    data = entry.data or {}
    scale = _text(AreaLevel.label_of(data.get("scale")))
    if "counts" in data:
        return _("Demo data loaded, %(scale)s scale", scale=scale)
    return _("Demo data loaded, %(scale)s scale: %(rows)s rows", scale=scale, rows=data.get("rows", 0))


def summary(entry, names):
    """What the entry records, in one sentence of the user's language."""
    say = _SENTENCES.get((entry.module, entry.kind))
    return say(entry, names) if say is not None else kind_label(entry.kind)


#: extra keys a transition or export records besides before → after, shown as notes
_NOTE_KEYS = (
    "reason",
    "details",
    "filters",
    "case_filters",
    "month",
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


def _context(entry):
    return LOGIN_FAILED if entry.kind == "login_failed" else entry.target_type


def readable(entry, names):
    data = entry.data or {}
    before = data.get("before") if isinstance(data.get("before"), dict) else {}
    after = data.get("after") if isinstance(data.get("after"), dict) else {}
    context = _context(entry)
    changes = []
    for key in list(after) + [k for k in before if k not in after]:
        change = Change(
            field_label(key, context),
            format_value(key, before.get(key), names, context) if key in before else "",
            format_value(key, after.get(key), names, context) if key in after else "—",
        )
        if change not in changes:  # the case's village and the child's household village, say
            changes.append(change)
    for key in _NOTE_KEYS:
        value = data.get(key)
        if value in (None, "", {}, []):
            continue
        changes.append(Change(field_label(key, context), "", format_value(key, value, names, context), is_note=True))
    if entry.user_id is not None:
        actor = names.users.get(entry.user_id) or entry.actor_name
        if actor != entry.actor_name:
            actor = f"{actor}（{entry.actor_name}）"
    else:
        actor = _("System") if entry.actor_name == "system" else entry.actor_name
    return ReadableEntry(
        entry, kind_label(entry.kind), module_label(entry.module), summary(entry, names), actor, changes
    )


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
