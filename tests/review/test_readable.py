"""Every entry the audit trail can hold reads, in Chinese, as a sentence with labels and names:
no stored code, no column name, no English summary — on the audit page, on a case's history and
in the Excel export.

WRITERS lists every place in the code that writes an entry (a call of ``audit.record``, or a row
the demo data hands to ``audit.append_many``) with the entries it writes;
``test_every_writer_is_listed`` finds the writers in the source, so a new writer fails until it
has a row here. ``write_every_kind`` then drives each of those operations (the demo rows are
built as the demo generator builds them) and the tests read what they wrote.
"""

import ast
import html
import io
import re
from collections import Counter
from datetime import date, timedelta
from io import BytesIO

import pytest
from flask import current_app
from flask_babel import force_locale
from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import event, select

from caseworks import ROOT
from caseworks.accounts import operations as account_ops
from caseworks.accounts.models import User
from caseworks.cases import jobs as case_jobs
from caseworks.cases import operations as case_ops
from caseworks.cases.queries import CaseFilters
from caseworks.core import audit, clock, idnumber, policy
from caseworks.core import jobs as core_jobs
from caseworks.core.audit import AuditEntry
from caseworks.core.choices import CaseKind, ClosedOutcome, Role, Stage, VisitPurpose
from caseworks.extensions import db
from caseworks.ladder import jobs as ladder_jobs
from caseworks.ladder import operations as ladder_ops
from caseworks.ladder import transitions
from caseworks.ledgers import operations as ledger_ops
from caseworks.places import operations as place_ops
from caseworks.review import export, readable
from caseworks.review import operations as review_ops
from caseworks.visits import jobs as visit_jobs
from caseworks.visits import operations as visit_ops
from caseworks.visits.models import Visit
from tests.review.conftest import DAY0

#: every writer of the trail, ``(file, function)``, and the entries it writes, one per call
#: site in that function: ``(module, kind, target type, mark)``. The mark tells the entry apart
#: from other writers' entries of the same module, kind and target: a key its data (or its
#: "after") holds, or a ``(key, value)`` pair of its data.
WRITERS = {
    ("caseworks/places/operations.py", "create_area"): [("places", "create", "Area", None)],
    ("caseworks/places/operations.py", "rename_area"): [("places", "change", "Area", None)],
    ("caseworks/places/operations.py", "deactivate_area"): [("places", "deactivate", "Area", None)],
    ("caseworks/places/operations.py", "reactivate_area"): [("places", "reactivate", "Area", None)],
    ("caseworks/places/operations.py", "create_school"): [("places", "create", "School", None)],
    ("caseworks/places/operations.py", "update_school"): [("places", "change", "School", None)],
    ("caseworks/places/operations.py", "deactivate_school"): [("places", "deactivate", "School", None)],
    ("caseworks/places/operations.py", "reactivate_school"): [("places", "reactivate", "School", None)],
    ("caseworks/core/policy.py", "update_profile"): [("places", "change", "PolicyProfile", None)],
    ("caseworks/accounts/operations.py", "authenticate"): [
        ("accounts", "login_throttled", None, None),
        ("accounts", "login_failed", "User", ("reason", "wrong password")),
        ("accounts", "login", "User", None),
    ],
    ("caseworks/accounts/operations.py", "log_out"): [("accounts", "logout", "User", None)],
    ("caseworks/accounts/operations.py", "_warn_of_attack"): [("accounts", "login_attack", "User", "username")],
    ("caseworks/accounts/operations.py", "change_own_password"): [("accounts", "password_change", "User", None)],
    ("caseworks/accounts/operations.py", "create_user"): [("accounts", "create", "User", None)],
    ("caseworks/accounts/operations.py", "update_user"): [("accounts", "change", "User", None)],
    ("caseworks/accounts/operations.py", "deactivate_user"): [("accounts", "deactivate", "User", None)],
    ("caseworks/accounts/operations.py", "reactivate_user"): [("accounts", "reactivate", "User", None)],
    ("caseworks/accounts/operations.py", "reset_password"): [("accounts", "password_reset", "User", None)],
    ("caseworks/accounts/operations.py", "issue_token"): [("accounts", "token_issued", "User", None)],
    ("caseworks/cases/operations.py", "register_case"): [("cases", "create", "Case", "after")],
    ("caseworks/cases/operations.py", "update_case"): [("cases", "change", "Case", None)],
    ("caseworks/cases/operations.py", "_assign"): [("cases", "assign", "Case", None)],
    ("caseworks/cases/operations.py", "release_person"): [("cases", "assign", "Case", None)],
    ("caseworks/cases/operations.py", "add_plan_item"): [("cases", "create", "PlanItem", None)],
    ("caseworks/cases/operations.py", "reveal_sensitive"): [("cases", "view_sensitive", "Case", None)],
    ("caseworks/cases/jobs.py", "flag_stale_cases"): [("cases", "job", None, "flagged")],
    ("caseworks/ladder/transitions.py", "apply"): [("ladder", "transition", "Case", None)],
    ("caseworks/ladder/operations.py", "issue_notice"): [("ladder", "create", "Notice", None)],
    ("caseworks/ladder/operations.py", "record_service"): [("ladder", "change", "Notice", None)],
    ("caseworks/ladder/operations.py", "attach_receipt"): [("ladder", "create", "Notice", "receipt_id")],
    ("caseworks/visits/operations.py", "assign_county_look"): [("visits", "assign", "Visit", None)],
    ("caseworks/visits/operations.py", "record_phones_shown"): [("visits", "view_sensitive", "Case", None)],
    ("caseworks/ladder/operations.py", "record_legal_step"): [("ladder", "create", "LegalStep", None)],
    ("caseworks/ladder/operations.py", "request_transfer"): [("ladder", "create", "Transfer", None)],
    ("caseworks/ladder/operations.py", "accept_transfer"): [("ladder", "transfer", "Case", "after")],
    ("caseworks/ladder/operations.py", "decline_transfer"): [("ladder", "transfer", "Case", "reason")],
    ("caseworks/ladder/jobs.py", "flag_lapsed_deadlines"): [("ladder", "job", None, "notices")],
    ("caseworks/visits/operations.py", "plan_visit"): [("visits", "create", "Visit", "due_date")],
    ("caseworks/visits/operations.py", "log_visit"): [("visits", "create", "Visit", "visit_date")],
    ("caseworks/visits/operations.py", "cancel_visit"): [("visits", "change", "Visit", None)],
    ("caseworks/visits/operations.py", "add_support_measure"): [("visits", "create", "SupportMeasure", None)],
    ("caseworks/visits/jobs.py", "plan_visits"): [("visits", "job", None, "planned")],
    ("caseworks/visits/jobs.py", "flag_overdue_visits"): [("visits", "job", None, "flagged")],
    ("caseworks/review/operations.py", "draw_spot_check"): [("review", "spot_check", "SpotCheck", None)],
    ("caseworks/review/operations.py", "record_spot_check_result"): [("review", "spot_check", "SpotCheckItem", None)],
    ("caseworks/review/operations.py", "record_export"): [("review", "export", None, None)],
    ("caseworks/ledgers/operations.py", "record_ledger_export"): [("ledgers", "export", None, None)],
    ("caseworks/cases/operations.py", "open_suspected_case"): [("cases", "create", "Case", "after")],
    ("caseworks/enrolment/absences.py", "_task"): [("enrolment", "create", "ContactTask", "run_start")],
    ("caseworks/enrolment/absences.py", "complete_task"): [("enrolment", "change", "ContactTask", None)],
    ("caseworks/enrolment/absences.py", "record_absences"): [("enrolment", "change", None, "absent")],
    ("caseworks/enrolment/imports.py", "apply_import"): [("enrolment", "import", "ImportBatch", "counts")],
    ("caseworks/enrolment/imports.py", "error_workbook"): [("enrolment", "export", "ImportBatch", "rows")],
    ("caseworks/enrolment/pupils.py", "enter_pupil"): [("enrolment", "create", "Enrolment", "after")],
    ("caseworks/core/audit_rekey.py", "rekey"): [("audit", "rekey", None, "entries")],
    ("caseworks/core/jobs.py", "_alarm"): [("audit", "audit_broken", None, None)],
    ("caseworks/cases/operations.py", "_refuse_duplicate"): [("cases", "id_duplicate", None, "id_number")],
    ("caseworks/demo/cases.py", "_case"): [("cases", "create", "Case", ("demo", True))],
    ("caseworks/demo/generator.py", "bulk_entry"): [("demo", "create", None, "rows")],
    ("caseworks/demo/generator.py", "seed"): [("demo", "create", None, "counts")],
}

#: the functions of caseworks.core.audit that write an entry
WRITING = ("record", "record_read")
#: a stored code or column name (``home_visit``, ``to_village_id``)
CODE = re.compile(r"[a-z]+_[a-z_]+")
#: English: two words in a row, or one lower-case word (a code such as ``refused``)
ENGLISH = re.compile(r"[A-Za-z]{2,}(?:[\s,.:;'’()-]+[A-Za-z]{2,})+|(?<![A-Za-z])[a-z]{3,}(?![A-Za-z])")
#: what people typed in Latin letters: usernames (the fixtures' and the scenario's)
NEW_USERNAME = "zhangxm"
UNKNOWN_USERNAME = "lisi"
#: kinds whose label says all there is to say (every other entry gets a sentence of its own)
SAID_BY_KIND = {"login", "logout", "view_sensitive"}
CHINESE_NAMES = ["李明", "王芳", "张伟", "刘洋", "陈静", "杨帆", "赵磊", "黄丽", "周杰", "吴敏", "徐强", "孙燕", "马超"]


# -- the writers in the source ---------------------------------------------------------------


def _module_constants(tree):
    return {
        target.id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
        for target in node.targets
        if isinstance(target, ast.Name)
    }


def _written(node, constants):
    """``(module, kind)`` if ``node`` writes an audit entry, else None."""
    if isinstance(node, ast.Call):
        func = node.func
        is_record = (isinstance(func, ast.Name) and func.id in WRITING) or (
            isinstance(func, ast.Attribute) and func.attr in WRITING and ast.unparse(func.value).endswith("audit")
        )
        if not is_record:
            return None
        kind = node.args[0].value if node.args and isinstance(node.args[0], ast.Constant) else None
        module = next((k.value for k in node.keywords if k.arg == "module"), None)
        if isinstance(module, ast.Name):
            module = ast.Constant(constants.get(module.id))
        return (module.value if isinstance(module, ast.Constant) else None, kind)
    if isinstance(node, ast.Dict):
        values = {k.value: v for k, v in zip(node.keys, node.values, strict=True) if isinstance(k, ast.Constant)}
        if {"kind", "module", "summary"} <= set(values):
            return tuple(values[k].value if isinstance(values[k], ast.Constant) else None for k in ("module", "kind"))
    return None


def _visit(node, function, relative, constants, found):
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
            _visit(child, child.name, relative, constants, found)
            continue
        written = _written(child, constants)
        if written is not None:
            found.setdefault((relative, function), Counter())[written] += 1
        _visit(child, function, relative, constants, found)


def writers_in_source():
    """``{(file, function): Counter of (module, kind)}`` for every audit writer under caseworks/
    (the trail's own module aside)."""
    found = {}
    for path in sorted((ROOT / "caseworks").rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if relative == "caseworks/core/audit.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))

        _visit(tree, "<module>", relative, _module_constants(tree), found)
    return found


def test_every_writer_is_listed():
    in_source = writers_in_source()
    listed = {key: Counter((m, k) for m, k, _target, _mark in rows) for key, rows in WRITERS.items()}
    missing = sorted(set(in_source) - set(listed))
    assert not missing, f"audit writers without a row in WRITERS (add one, and a sentence in readable.py): {missing}"
    gone = sorted(set(listed) - set(in_source))
    assert not gone, f"WRITERS lists writers that no longer exist: {gone}"
    differ = {key: (dict(in_source[key]), dict(listed[key])) for key in listed if in_source[key] != listed[key]}
    assert not differ, f"writers whose (module, kind) differ from WRITERS (source, listed): {differ}"


# -- every kind of entry, written by its operation ------------------------------------------


def _case_data(places, **overrides):
    birth = date(2012, 5, 17)
    data = {
        "kind": CaseKind.SUSPECTED,
        "name": "王小红",
        "gender": "female",
        "birth_date": birth,
        "id_number": idnumber.make("522727", birth, 322),
        "student_no": None,
        "address": "新场村三组8号",
        "disability_type": None,
        "village_id": places.vil_a1a.id,
        "groups": ["left_behind"],
        "guardians": [{"name": "王大山", "relation": "father", "phone": "13800138000", "is_working_away": True}],
        "grade": "六年级",
        "class_name": "2班",
        "dropout_date": None,
        "situation": "连续三天未到校",
        "plan_summary": "",
        "school_id": places.school_a1.id,
        "reasons": ["study_aversion"],
    }
    return {**data, **overrides}


def _demo_rows(admin, case):
    """The rows the demo data hands to ``audit.append_many``, built as its writers build them:
    a demo case's opening (caseworks/demo/cases.py), each bulk load (``bulk_entry`` in
    caseworks/demo/generator.py) and the last row of ``seed``."""
    opened = {
        "kind": "create",
        "module": "cases",
        "summary": "case opened (demo data)",
        "user_id": admin.id,
        "actor_name": admin.username,
        "target_type": "Case",
        "target_id": case.id,
        "case_id": case.id,
        "data": {"kind": CaseKind.DROPPED_OUT, "stage": Stage.SCHOOL_PERSUASION, "demo": True},
    }

    def bulk_entry(summary, rows, extra=None):
        return {
            "kind": "create",
            "module": "demo",
            "summary": summary,
            "user_id": admin.id,
            "actor_name": admin.username,
            "data": {"scale": "county", "rows": rows, **(extra or {})},
        }

    return [
        opened,
        bulk_entry("stage history loaded (demo data)", 5210),
        bulk_entry(
            "ladder records loaded (demo data)",
            310,
            {"legal_steps": 12, "closure_requests": 140, "notice_counters": 1, "lapsed": 20, "served": 290},
        ),
        bulk_entry("visits loaded (demo data)", 41000, {"done": 39000, "planned": 2000, "overdue": 150}),
        bulk_entry("support measures loaded (demo data)", 820),
        {
            "kind": "create",
            "module": "demo",
            "summary": "demo data loaded (county scale)",
            "user_id": admin.id,
            "actor_name": admin.username,
            "data": {"scale": "county", "counts": {"area": 40, "school": 12, "case": 2000, "audit_entry": 2006}},
        },
    ]


def _enrolment_entries(users, places, case):
    """The enrolment register's entries, written as its operations write them (an import, its
    error file, a pupil entered, attendance, a contact task and its end) and a suspected case
    opened from the matching (the same case opened again only as its entry)."""
    from caseworks.enrolment.models import ContactTask, Enrolment, ImportBatch

    principal = users.school_admin
    batch = ImportBatch(
        kind="roster",
        status="done",
        user_id=principal.id,
        school_id=places.school_a1.id,
        school_year=2026,
        filename="花名册.xlsx",
        sha256="0" * 64,
        size_bytes=10,
        content=b"x",
        counts={"new": 3, "changed": 1, "unchanged": 40, "invalid": 2},
    )
    pupil = Enrolment(child_id=case.child_id, school_id=places.school_a1.id, school_year=2026, grade="六年级")
    db.session.add_all([batch, pupil])
    db.session.flush()
    task = ContactTask(
        enrolment_id=pupil.id,
        kind="contact_family",
        run_start=clock.today(),
        assignee_id=users.teacher.id,
        due_date=clock.today(),
    )
    db.session.add(task)
    db.session.flush()
    data = {"filename": batch.filename, "sha256": batch.sha256, "school_id": batch.school_id, "area_id": None}
    data |= {"school_year": 2026, "only_valid": False, "counts": dict(batch.counts)}
    audit.record("import", "roster imported", module="enrolment", actor=principal, target=batch, data=data)
    audit.record(
        "export",
        "invalid rows downloaded",
        module="enrolment",
        actor=principal,
        target=batch,
        data={"rows": 2, "sha256": batch.sha256},
    )
    after = {
        "school_id": places.school_a1.id,
        "school_year": 2026,
        "grade": "六年级",
        "id_number": "522727***********8",
    }
    audit.record("create", "pupil entered", module="enrolment", actor=principal, target=pupil, data={"after": after})
    audit.record(
        "change",
        "attendance recorded",
        module="enrolment",
        actor=users.teacher,
        data={"date": clock.today(), "school_id": places.school_a1.id, "absent": 2, "changed": 2},
    )
    audit.record(
        "create",
        "contact task",
        module="enrolment",
        actor=users.teacher,
        target=task,
        data={"enrolment_id": pupil.id, "run_start": clock.today()},
    )
    audit.record("change", "contact task done", module="enrolment", actor=users.teacher, target=task)
    audit.record(
        "create",
        "suspected case opened",
        module="cases",
        actor=users.township_official,
        target=case,
        case=case,
        data={
            "after": {
                "kind": case.kind,
                "stage": case.stage,
                "source": "household_matching",
                "source_date": clock.today(),
            }
        },
    )


def write_every_kind(users, places, make_case):
    """Take every action that writes to the trail; returns the main case (walked up the whole
    ladder)."""
    for name, user in zip(CHINESE_NAMES, vars(users).values(), strict=False):
        user.full_name = name
    admin, reviewer = users.admin, users.county_reviewer
    today = clock.today

    # places and the county's policy
    area = place_ops.create_area(places.town_a1, name="新建村", code="522727100203")
    place_ops.rename_area(area, name="新民村")
    place_ops.deactivate_area(area)
    place_ops.reactivate_area(area)
    school = place_ops.create_school(places.town_a1, name="通州镇第二小学", code="2152000109", kind="primary")
    place_ops.update_school(school, name="通州镇第二小学", code="2152000109", kind="nine_year")
    place_ops.deactivate_school(school)
    place_ops.reactivate_school(school)
    profile = policy.profile_for(places.county_a.id)
    data = {name: getattr(profile, name) for name in policy.PolicyProfile.EDITABLE}
    policy.update_profile(places.county_a, {**data, "stale_after_days": 20, "urge_notice_title": "督促复学通知"}, admin)

    # accounts
    password = "chushi-mima-2026"
    person = account_ops.create_user(
        admin, username=NEW_USERNAME, full_name="张晓明", role=Role.TEACHER, place=places.school_a1, password=password
    )
    account_ops.update_user(
        admin, person, full_name="张晓明", role=Role.TEACHER, place=places.school_a1j, phone="13900001111"
    )
    assert account_ops.authenticate(NEW_USERNAME, "not-the-password") is None
    account_ops.deactivate_user(admin, person)
    assert account_ops.authenticate(NEW_USERNAME, password) is None  # inactive
    account_ops.reactivate_user(admin, person)
    account_ops.reset_password(admin, person, password)
    account_ops.issue_token(person, actor=admin)
    assert account_ops.authenticate(NEW_USERNAME, password) == person
    account_ops.log_out(person)
    account_ops.change_own_password(person, password, "xin-mima-2026x")
    config = current_app.config
    config["LOGIN_ATTACK_LIMIT"], attack_limit = 3, config["LOGIN_ATTACK_LIMIT"]
    for _attempt in range(3):
        assert account_ops.authenticate(NEW_USERNAME, "guess-guess") is None
    config["LOGIN_ATTACK_LIMIT"] = attack_limit
    for _attempt in range(5):
        assert account_ops.authenticate(UNKNOWN_USERNAME, "guess-guess") is None
    with pytest.raises(account_ops.LoginThrottled):
        account_ops.authenticate(UNKNOWN_USERNAME, "guess-guess")

    # cases the scheduler and the other steps need
    stale = make_case(opened_date=DAY0 - timedelta(days=90), stage_entered_date=DAY0 - timedelta(days=90))
    suspected = make_case(kind=CaseKind.SUSPECTED, teacher=users.teacher, cadre=users.village_cadre)
    at_risk = make_case(kind=CaseKind.AT_RISK, teacher=users.teacher, cadre=users.village_cadre)
    deferred = make_case(
        stage=Stage.CLOSED,
        closed_outcome=ClosedOutcome.HEALTH_DEFERRAL,
        closed_date=DAY0 - timedelta(days=200),
        closed_until=DAY0 - timedelta(days=1),
    )
    returned = make_case(
        stage=Stage.CLOSED,
        closed_outcome=ClosedOutcome.RETURNED_TO_SCHOOL,
        closed_date=DAY0 - timedelta(days=3),
        resume_stage=Stage.TOWNSHIP_PERSUASION,
    )
    moving = [make_case(teacher=users.teacher, cadre=users.village_cadre) for _n in range(2)]
    case_jobs.flag_stale_cases(today())
    visit_jobs.plan_visits(today())

    # the register, then the case walked up the whole ladder
    villages = {"通州镇": [(places.vil_a1a.id, "新场村"), (places.vil_a1b.id, "平里村")]}
    schools = [places.school_a1, places.school_a1j]
    case = case_ops.register_case(_case_data(places), users.teacher, villages=villages, schools=schools)
    case_ops.update_case(
        case,
        _case_data(places, address="平里村五组3号", village_id=places.vil_a1b.id, reasons=["poverty"], groups=[]),
        users.school_admin,
        villages=villages,
        schools=schools,
        version=case.version,
    )
    case_ops.assign_cadre(case, users.village_cadre, users.township_official, case.version)
    case_ops.add_plan_item(
        case,
        {"measure": "每周家访一次", "responsible": "李老师", "target_date": DAY0 + timedelta(days=7)},
        users.teacher,
    )
    case_ops.reveal_sensitive(case, users.teacher)
    transitions.apply(case, "confirm_dropout", users.teacher, evidence="三天未到校")
    planned = visit_ops.plan_visit(
        case, {"due_date": DAY0 + timedelta(days=3), "assignee_id": users.teacher.id}, users.school_admin
    )
    visit_ops.cancel_visit(planned, case, users.school_admin, "家长外出务工")
    for method in ("home_visit", "phone"):
        visit_ops.log_visit(
            case,
            {
                "visit_date": today(),
                "method": method,
                "outcome": "refused",
                "visitors": ["school_leader", "teacher"],
                "agreed_return_date": None,
            },
            users.teacher,
        )
    visit_ops.add_support_measure(
        case,
        {
            "kind": "tutoring",
            "detail": "每周补课两次",
            "department": "",
            "responsible": "李老师",
            "start_date": today(),
            "end_date": None,
        },
        users.school_admin,
    )
    transitions.apply(case, "escalate_township", users.school_admin, reason="学校多次劝返无效")
    official = users.township_official
    notice = ladder_ops.issue_notice(case, {"kind": "urge", "recipient": "王大山", "deadline_days": 15}, official)
    ladder_ops.record_service(
        notice,
        case,
        {"served_date": today(), "served_to": "王大山", "served_by": "李乡长", "service_method": "direct"},
        official,
    )
    png = io.BytesIO()
    Image.new("RGB", (4, 4)).save(png, "PNG")
    receipt = {"filename": "回证.jpg", "content_type": "image/jpeg", "data": png.getvalue()}
    ladder_ops.attach_receipt(notice, case, receipt, official)
    visit_ops.record_phones_shown([case], users.teacher)
    look = Visit(case_id=case.id, due_date=today(), purpose=VisitPurpose.COUNTY_LOOK, planned_dt=clock.now())
    db.session.add(look)
    db.session.flush()
    visit_ops.assign_county_look(look, case, users.county_reviewer2, users.county_reviewer)
    transitions.apply(case, "escalate_administrative", official, reason="乡镇劝返无效")
    clock.advance(days=16)
    visit_jobs.flag_overdue_visits(today())
    ladder_jobs.flag_lapsed_deadlines(today())
    legal = {
        "kind": "support_prosecution",
        "step_date": today(),
        "authority": "平塘县人民检察院",
        "document_no": "平检民支〔2026〕3号",
        "result": "已受理",
    }
    transitions.apply(case, "escalate_judicial", official, reason="逾期未送学", data=legal)
    ladder_ops.record_legal_step(case, legal, official)
    back = {
        "return_date": today(),
        "school_id": places.school_a1.id,
        "class_name": "七年级（2）班",
        "confirmed_by": "李校长",
    }
    transitions.apply(case, "record_return", users.school_admin, data=back)
    transitions.apply(case, "relapse", users.teacher, reason="返校一周后再次辍学")
    transitions.apply(case, "record_return", users.school_admin, data=back)
    clock.advance(days=31)
    transitions.apply(case, "end_monitoring", None)
    transitions.apply(case, "send_back", reviewer, reason="缺少出勤记录")
    closure = {"outcome": "home_schooling", "details": {"home_teacher": "李老师", "schedule": "每周两次，每次三节"}}
    transitions.apply(case, "request_closure", users.school_admin, reason="重度残疾，送教上门", data=closure)
    transitions.apply(case, "approve_closure", reviewer)
    transitions.apply(case, "reopen", reviewer, reason="复核发现未送教")

    # the other steps, on cases of their own
    transitions.apply(suspected, "dismiss_suspicion", users.school_admin, reason="已在外地就读")
    transitions.apply(at_risk, "stopped_attending", users.teacher, reason="连续五天未到校")
    transitions.apply(deferred, "deferral_expired", None)
    request = {"village_code": places.vil_a2a.code, "school_code": places.school_a2.code, "reason": "随父母迁居"}
    transfer = ladder_ops.request_transfer(moving[0], request, official)
    ladder_ops.accept_transfer(transfer, users.other_township_official)
    transfer = ladder_ops.request_transfer(moving[1], request, official)
    ladder_ops.decline_transfer(transfer, users.other_township_official, "户籍未迁入本镇")

    # the county review
    spot_check = review_ops.draw_spot_check(reviewer, [returned.id], start=DAY0, end=today(), percent=100, seed=7)
    with force_locale("zh_CN"):
        # the reopening reason is a sentence written in the reviewer's language when the result
        # is recorded (stored text, like any reason typed in), so it is written in Chinese here
        review_ops.record_spot_check_result(
            spot_check.items[0], reviewer, result="not_found", notes="班上无此人", checked_date=today()
        )
    review_ops.record_export(
        reviewer,
        filters={"kind": "transition", "module": "ladder", "case": case.id, "person": reviewer.username},
        rows=12,
        truncated=True,
    )
    ledger_ops.record_ledger_export(
        users.township_official,
        what="ledger",
        filters=CaseFilters(
            stage="school_persuasion", kind="dropped_out", group="orphan", village=places.vil_a1a.id, mine=True
        ),
        rows=3,
        full_ids=True,
    )
    # the audit trail's own entries: re-keying an old chain (written as audit_rekey.rekey writes it)
    # and a chain that no longer fits its checkpoint (the job's alarm)
    audit.record(
        "rekey",
        "audit chain keyed: 40 entries re-hashed",
        module="audit",
        actor=None,
        data={"entries": 40, "unkeyed": 40},
    )
    core_jobs._alarm("the chain ends before the checkpoint's last entry", today())
    audit.record_read(
        "id_duplicate",
        "ID number refused: the child is registered elsewhere",
        module="cases",
        actor=users.school_admin,
        data={"id_number": "522727***********8"},
    )
    _enrolment_entries(users, places, suspected)
    audit.append_many(db.session, _demo_rows(admin, stale))
    db.session.flush()
    return case


def _matches(entry, module, kind, target, mark):
    if (entry.module, entry.kind, entry.target_type) != (module, kind, target):
        return False
    data = entry.data or {}
    if mark is None:
        return True
    if isinstance(mark, tuple):
        return data.get(mark[0]) == mark[1]
    return mark in data or mark in (data.get("after") or {})


def _usernames():
    return sorted([*db.session.scalars(select(User.username)), UNKNOWN_USERNAME], key=len, reverse=True)


def _foreign_words(text, usernames):
    """The codes and English in ``text`` (what people typed in Latin letters aside)."""
    for username in usernames:
        text = text.replace(username, "")
    return CODE.findall(text) + ENGLISH.findall(text)


def _texts(item):
    yield item.summary
    yield item.kind
    yield item.module
    yield item.actor
    for change in item.changes:
        yield change.label
        yield change.before
        yield change.after


@pytest.fixture
def every_kind(users, places, make_case):
    return write_every_kind(users, places, make_case)


def test_every_writer_wrote_its_entries(every_kind):
    entries = db.session.scalars(select(AuditEntry)).all()
    unwritten = [
        (key, row) for key, rows in WRITERS.items() for row in rows if not any(_matches(e, *row) for e in entries)
    ]
    assert not unwritten, f"the scenario wrote none of these entries: {unwritten}"
    walked = {readable.transition_name(e) for e in entries if e.kind == "transition"}
    assert walked == set(transitions.TRANSITIONS), "every transition is taken (and named) once at least"


def test_every_entry_reads_in_chinese(app, every_kind):
    entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    usernames = _usernames()
    with app.test_request_context(), force_locale("zh_CN"):
        items = readable.readable_entries(entries)
        found = {}
        for item in items:
            for text in _texts(item):
                words = _foreign_words(text, usernames)
                if words:
                    entry = item.entry
                    found.setdefault((entry.module, entry.kind, entry.target_type), []).append((text, words))
        assert not found, "\n".join(f"{key}: {texts[:3]}" for key, texts in found.items())
        bare = {
            (item.entry.module, item.entry.kind)
            for item in items
            if item.summary == item.kind and item.entry.kind not in SAID_BY_KIND
        }
        assert not bare, f"entries without a sentence of their own in readable.py: {bare}"
        by_summary = {item.entry.summary: item.summary for item in items}
    # some sentences in full: transitions by their labels, codes by theirs, ids by their names
    assert by_summary["send_back: pending_review → judicial"] == "退回：待县级审核 → 司法督促复学"
    visit = next(item for item in items if item.entry.summary == "visit logged: home_visit (refused)")
    assert visit.summary == "入户家访：拒绝返校"
    visitors = next(c for c in visit.changes if c.label == "参加人员")
    assert visitors.after == "学校领导、包保教师"
    transfer = next(item for item in items if item.entry.summary.startswith("transfer requested"))
    assert transfer.summary == "申请转至 金河村"
    assert any(c.after == "金河村" for c in transfer.changes) and any(
        c.after == "克度镇中心小学" for c in transfer.changes
    )


def _texts_of_entries_on(page):
    """The visible text of the list of entries on an audit or history page."""
    listed = re.search(r'<ol class="audit-entries">(.*?)</ol>', page, re.S).group(1)
    return html.unescape(re.sub(r"<[^>]+>", " ", listed))


def test_pages_and_the_export_read_in_chinese(client, login, users, every_kind):
    case = every_kind
    usernames = _usernames()
    login(users.county_reviewer)
    client.post("/lang/zh_CN")
    page = client.get(f"/cases/{case.id}/history").get_data(as_text=True)
    text = _texts_of_entries_on(page)
    assert "退回：待县级审核 → 司法督促复学" in text
    assert not _foreign_words(text, usernames), _foreign_words(text, usernames)
    page = client.get("/audit").get_data(as_text=True)
    text = _texts_of_entries_on(page)
    assert "批准销号：待县级审核 → 已销号" in text
    assert not _foreign_words(text, usernames), _foreign_words(text, usernames)

    response = client.get("/audit/export")
    rows = list(load_workbook(BytesIO(response.data)).active.iter_rows(values_only=True))
    assert len(rows) > 40
    for row in rows:
        for value in row:
            if isinstance(value, str):
                assert not _foreign_words(value, usernames), (value, row)


def test_a_page_of_entries_costs_a_fixed_number_of_queries(every_kind):
    entries = db.session.scalars(select(AuditEntry)).all()
    statements = []

    def count(*args):
        statements.append(args[2])

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        readable.readable_entries(entries)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(entries) > 50
    assert len(statements) <= 4, statements


def test_an_entry_of_a_writer_not_known_yet_reads_as_its_kind(app):
    entry = AuditEntry(kind="export", module="reports", summary="report exported", data={"rows": 3})
    with app.test_request_context(), force_locale("zh_CN"):
        (item,) = readable.readable_entries([entry])
        assert (item.summary, item.module) == ("导出", "统计报表")
        assert [(c.label, c.after) for c in item.changes] == [("行数", "3")]


def test_the_export_uses_the_same_sentences(app, every_kind):
    stmt = select(AuditEntry).where(AuditEntry.case_id == every_kind.id).order_by(AuditEntry.id.desc())
    with app.test_request_context(), force_locale("zh_CN"):
        data, written, _total = export.audit_workbook(stmt)
        items = readable.readable_entries(db.session.scalars(stmt))
    rows = list(load_workbook(BytesIO(data)).active.iter_rows(values_only=True))
    assert rows[0] == ("时间（北京时间）", "人员", "类别", "摘要", "案件", "学生", "变更前 → 变更后")
    assert [r[3] for r in rows[1:]] == [item.summary for item in items]
    assert {r[5] for r in rows[1:]} == {"王小红"}
