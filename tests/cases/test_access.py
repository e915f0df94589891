"""The authorisation matrix: every route and method of the app, for every role, inside and
outside its scope.

``MATRIX`` gives, for each (endpoint, method), the status each role gets on an object inside
its scope (``users.<role>``: county A, township 1, school a1, village a1a) and, for the routes
that address one object, the status the same roles get from outside it (``users.other_<role>``:
another township or county). Outside the scope a case answers 404, so that a guessed URL never
confirms that a case exists; the system administrator does not see case content at all.

Forms are posted empty: a role that may act gets as far as the form's validation (422, or the
redirect of a button), a role that may not is stopped before (403 or 404). The places, users and
objects are made once for the module; each cell runs in a savepoint rolled back at its end.
``test_every_route_and_method_is_in_the_matrix`` fails when the app gains a route or a method
that the matrix does not cover. The rules behind single cells, with real data posted, are in
tests/cases/test_access_rules.py.
"""

import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from flask import current_app, session, url_for
from flask_login import login_user

from caseworks.accounts.models import User
from caseworks.core import clock
from caseworks.core.choices import CaseKind, Role, Stage
from caseworks.enrolment.models import ContactTask, Enrolment, ImportBatch
from caseworks.extensions import db
from caseworks.inbox.models import Message
from caseworks.ladder.models import Notice, NoticeReceipt, Transfer
from caseworks.review.models import SpotCheck, SpotCheckItem
from caseworks.visits.models import Visit, VisitPhoto
from tests.conftest import _ConnectionSession
from tests.fixtures.cases import case_factory, child_factory
from tests.fixtures.places import build_places
from tests.fixtures.users import build_users, user_factory

ROLES = ("teacher", "village_cadre", "school_admin", "township_official", "county_reviewer", "admin", "anonymous")
#: who stands outside the scope of ``users.<role>``: the same role in another township or county
OUTSIDERS = {role: f"other_{role}" for role in ROLES[:-1]}
#: anonymous on a page: 302 to the login page
LOGIN = "302 to /login"
#: url arguments that name an object: which object of the ``World`` each one takes by default
OBJECTS = {
    "case_id": "case",
    "notice_id": "notice",
    "transfer_id": "transfer",
    "visit_id": "visit",
    "photo_id": "photo",
    "receipt_id": "receipt",
    "batch_id": "batch",
    "task_id": "task",
    "message_id": "message",
    "spot_check_id": "spot_check",
    "item_id": "spot_check_item",
    "area_id": "township",
    "school_id": "school",
    "user_id": "user",
}
#: the other url arguments, by default
VALUES = {"line": "teacher", "name": "confirm_dropout", "code": "zh_CN", "filename": "app.css"}


@dataclass(frozen=True)
class Row:
    endpoint: str
    method: str
    #: statuses inside the scope, in ``ROLES`` order
    inside: tuple
    #: statuses outside it, in ``ROLES`` order without anonymous; None where no object is addressed
    outside: tuple | None = None
    #: url arguments other than the defaults (``*_id``: the name of a ``World`` object)
    args: dict = field(default_factory=dict)

    @property
    def id(self):
        extra = ",".join(f"{k}={v}" for k, v in self.args.items())
        return f"{self.method} {self.endpoint}" + (f"[{extra}]" if extra else "")


def row(method, endpoint, inside, outside=None, **args):
    assert len(inside) == len(ROLES) and (outside is None or len(outside) == len(OUTSIDERS)), endpoint
    return Row(endpoint, method, tuple(inside), outside, args)


L = LOGIN
#: outside the scope (other_teacher ... other_admin): a case is not found; the administrator
#: has no case pages at all
NOT_FOUND = (404, 404, 404, 404, 404, 403)
REVIEWER_NOT_FOUND = (403, 403, 403, 403, 404, 403)
ADMIN_NOT_FOUND = (403, 403, 403, 403, 403, 404)
#: an import outside the scope: not found for the roles that own rosters
BATCH_NOT_FOUND = (403, 403, 404, 404, 404, 403)

# fmt: off
MATRIX = [
    # inside the scope: teacher, village cadre, school admin, township official, county reviewer,
    # admin, anonymous; outside it (other_<role>, when the route addresses one object): the same
    # roles of another township or county, in the same order, without anonymous
    #                                        tea  cad  sch  twn  cty  adm  anon   outside: the same, no anon
    # -- core and login ---------------------------------------------------------------------------------
    row("GET",  "core.index",               (302, 302, 302, 302, 302, 302, L)),
    row("GET",  "core.healthz",             (200, 200, 200, 200, 200, 200, 200)),
    row("POST", "core.set_language",        (302, 302, 302, 302, 302, 302, 302)),
    row("GET",  "static",                   (200, 200, 200, 200, 200, 200, 200)),
    row("GET",  "accounts.login",           (302, 302, 302, 302, 302, 302, 200)),
    row("POST", "accounts.login",           (302, 302, 302, 302, 302, 302, 200)),
    row("POST", "accounts.logout",          (L,   L,   L,   L,   L,   L,   L)),  # logged out, or never in
    row("GET",  "accounts.my_account",      (200, 200, 200, 200, 200, 200, L)),
    row("POST", "accounts.my_account",      (422, 422, 422, 422, 422, 422, L)),
    # -- the case register ---------------------------------------------------------------------------------
    row("GET",  "cases.list_cases",         (200, 200, 200, 200, 200, 403, L)),
    row("GET",  "cases.new_case",           (200, 200, 200, 200, 403, 403, L)),
    row("POST", "cases.new_case",           (422, 422, 422, 422, 403, 403, L)),
    row("GET",  "cases.case_detail",        (200, 200, 200, 200, 200, 403, L), NOT_FOUND),
    row("GET",  "cases.edit_case",          (200, 200, 200, 200, 403, 403, L), NOT_FOUND),
    row("POST", "cases.edit_case",          (422, 422, 422, 422, 403, 403, L), NOT_FOUND),
    row("POST", "cases.reveal",             (200, 200, 200, 200, 200, 403, L), NOT_FOUND),
    row("POST", "cases.add_plan_item",      (422, 422, 422, 422, 403, 403, L), NOT_FOUND),
    row("GET",  "reports.dashboard",        (403, 403, 200, 200, 200, 403, L)),
    row("GET",  "reports.definitions",      (403, 403, 200, 200, 200, 403, L)),
    row("GET",  "reports.notices",          (403, 403, 200, 200, 200, 403, L)),
    row("GET",  "reports.transfers",        (403, 403, 200, 200, 200, 403, L)),
    row("GET",  "reports.legal_steps",      (403, 403, 200, 200, 200, 403, L)),
    row("GET",  "ledgers.ledger",           (403, 403, 200, 200, 200, 403, L)),
    row("GET",  "ledgers.monthly_report",   (403, 403, 200, 200, 200, 403, L)),
    row("GET",  "ledgers.monthly_workbook", (403, 403, 200, 200, 200, 403, L)),
    row("GET",  "ledgers.village_sheet",    (403, 200, 200, 200, 200, 403, L)),
    row("GET",  "ledgers.sign_off_roster",  (403, 200, 200, 200, 200, 403, L)),
    row("GET",  "ledgers.village_workbook", (403, 200, 200, 200, 200, 403, L)),
    row("GET",  "ledgers.sign_off_workbook", (403, 200, 200, 200, 200, 403, L)),
    row("GET",  "cases.assign",             (403, 403, 200, 403, 403, 403, L), NOT_FOUND, line="teacher"),
    row("POST", "cases.assign",             (403, 403, 422, 403, 403, 403, L), NOT_FOUND, line="teacher"),
    row("GET",  "cases.assign",             (403, 403, 403, 200, 403, 403, L), NOT_FOUND, line="cadre"),
    row("POST", "cases.assign",             (403, 403, 403, 422, 403, 403, L), NOT_FOUND, line="cadre"),
    row("GET",  "cases.assign",             (404, 404, 404, 404, 404, 403, L), NOT_FOUND, line="principal"),
    # -- the ladder: a suspected case; a step posted without the case's version is a conflict (409) --------
    row("GET",  "ladder.take_transition", (200, 200, 200, 200, 403, 403, L), NOT_FOUND, name="confirm_dropout"),
    row("POST", "ladder.take_transition", (409, 409, 409, 409, 403, 403, L), NOT_FOUND, name="confirm_dropout"),
    row("GET",  "ladder.take_transition", (403, 403, 200, 200, 403, 403, L), NOT_FOUND, name="dismiss_suspicion"),
    row("GET",  "ladder.take_transition", (403, 403, 403, 200, 200, 403, L), NOT_FOUND, name="escalate_judicial"),
    row("POST", "ladder.take_transition", (403, 403, 403, 403, 409, 403, L), NOT_FOUND, name="reopen"),
    row("GET",  "ladder.take_transition", (404, 404, 404, 404, 404, 403, L), NOT_FOUND, name="end_monitoring"),
    row("GET",  "ladder.issue_notice",      (403, 403, 403, 200, 403, 403, L), NOT_FOUND),
    row("POST", "ladder.issue_notice",      (403, 403, 403, 422, 403, 403, L), NOT_FOUND),
    row("GET",  "ladder.show_notice",       (200, 200, 200, 200, 200, 403, L), NOT_FOUND),
    row("POST", "ladder.attach_receipt",    (403, 403, 403, 422, 403, 403, L), NOT_FOUND),
    row("GET",  "ladder.receipt_photo",     (200, 200, 200, 200, 200, 403, L), NOT_FOUND),
    row("POST", "ladder.serve_notice",      (403, 403, 403, 422, 403, 403, L), NOT_FOUND),
    row("POST", "ladder.add_legal_step",    (403, 403, 403, 403, 403, 403, L), NOT_FOUND),
    row("POST", "ladder.add_legal_step",    (403, 403, 403, 422, 422, 403, L), NOT_FOUND, case_id="judicial_case"),
    row("GET",  "ladder.transfer_case",     (403, 403, 200, 200, 403, 403, L), NOT_FOUND),
    row("POST", "ladder.transfer_case",     (403, 403, 422, 422, 403, 403, L), NOT_FOUND),
    # a transfer into township 1: only that township's official accepts or declines it
    row("POST", "ladder.accept_transfer",   (404, 404, 404, 422, 404, 403, L), NOT_FOUND),  # asks the school
    row("POST", "ladder.decline_transfer",  (404, 404, 404, 302, 404, 403, L), NOT_FOUND),
    # -- visits ----------------------------------------------------------------------------------------------
    row("GET",  "visits.log_visit",         (200, 200, 200, 200, 403, 403, L), NOT_FOUND),
    row("POST", "visits.log_visit",         (422, 422, 422, 422, 403, 403, L), NOT_FOUND),
    row("POST", "visits.plan_visit",        (422, 422, 422, 422, 403, 403, L), NOT_FOUND),
    row("POST", "visits.assign_county_look", (403, 403, 403, 403, 302, 403, L), NOT_FOUND, visit_id="look"),
    row("POST", "visits.cancel_visit",      (302, 302, 302, 302, 403, 403, L), NOT_FOUND),
    row("POST", "visits.add_support",       (422, 422, 422, 422, 403, 403, L), NOT_FOUND),
    row("GET",  "visits.photo",             (200, 200, 200, 200, 200, 403, L), NOT_FOUND),
    row("GET",  "visits.my_visits",         (200, 200, 200, 200, 200, 403, L)),
    row("GET",  "visits.overdue",           (403, 403, 200, 200, 200, 403, L)),
    # -- the enrolment register, imports, matching and absences ----------------------------------------
    row("GET",  "enrolment.register",       (200, 403, 200, 200, 200, 403, L)),
    row("GET",  "enrolment.new_pupil",      (403, 403, 200, 200, 200, 403, L)),
    row("POST", "enrolment.new_pupil",      (403, 403, 422, 422, 422, 403, L)),
    row("GET",  "enrolment.new_import",     (403, 403, 200, 200, 200, 403, L)),
    row("POST", "enrolment.new_import",     (403, 403, 422, 422, 422, 403, L)),
    row("GET",  "enrolment.show_import",    (403, 403, 200, 200, 200, 403, L), BATCH_NOT_FOUND),
    row("GET",  "enrolment.import_progress", (403, 403, 200, 200, 200, 403, L), BATCH_NOT_FOUND),
    row("POST", "enrolment.map_columns",    (403, 403, 302, 403, 403, 403, L), BATCH_NOT_FOUND),  # the uploader's
    row("POST", "enrolment.confirm_import", (403, 403, 303, 303, 303, 403, L), BATCH_NOT_FOUND),
    row("POST", "enrolment.restart_import", (403, 403, 303, 403, 403, 403, L), BATCH_NOT_FOUND),  # the uploader's
    row("GET",  "enrolment.error_file",     (403, 403, 200, 200, 200, 403, L), BATCH_NOT_FOUND),
    row("GET",  "enrolment.matching_page",  (403, 403, 403, 200, 200, 403, L)),
    row("POST", "enrolment.open_found",     (403, 403, 403, 400, 403, 403, L)),  # nothing chosen
    row("GET",  "enrolment.attendance",     (200, 403, 200, 403, 403, 403, L)),
    row("POST", "enrolment.attendance",     (422, 403, 422, 403, 403, 403, L)),
    row("POST", "enrolment.task_done",      (302, 404, 404, 404, 404, 404, L), (404, 404, 404, 404, 404, 404)),
    # -- inbox: a message is its owner's alone ---------------------------------------------------------------
    row("GET",  "inbox.inbox",              (200, 200, 200, 200, 200, 200, L)),
    row("POST", "inbox.open_message",       (302, 302, 302, 302, 302, 302, L), (404, 404, 404, 404, 404, 404)),
    row("POST", "inbox.read_all",           (302, 302, 302, 302, 302, 302, L)),
    # -- county review: the approval is posted without the case's version (409) ------------------------------
    row("GET",  "review.queue",             (403, 403, 403, 403, 200, 403, L)),
    row("GET",  "review.review_case",       (403, 403, 403, 403, 200, 403, L), REVIEWER_NOT_FOUND),
    row("POST", "review.approve",           (403, 403, 403, 403, 409, 403, L), REVIEWER_NOT_FOUND),
    row("POST", "review.send_back",         (403, 403, 403, 403, 422, 403, L), REVIEWER_NOT_FOUND),
    row("GET",  "review.spot_checks",       (403, 403, 403, 403, 200, 403, L)),
    row("POST", "review.spot_checks",       (403, 403, 403, 403, 422, 403, L)),
    row("GET",  "review.spot_check",        (403, 403, 403, 403, 200, 403, L), REVIEWER_NOT_FOUND),
    row("GET",  "review.print_spot_check",  (403, 403, 403, 403, 200, 403, L), REVIEWER_NOT_FOUND),
    row("POST", "review.record_result",     (403, 403, 403, 403, 422, 403, L), REVIEWER_NOT_FOUND),
    row("GET",  "review.case_history",      (200, 200, 200, 200, 200, 403, L), NOT_FOUND),
    row("GET",  "review.audit_log",         (403, 403, 403, 403, 200, 403, L)),
    row("GET",  "review.export_audit",      (403, 403, 403, 403, 200, 403, L)),
    # -- administration: users of the administrator's area (outside: an administrator of county B) -------
    row("GET",  "accounts.list_users",      (403, 403, 403, 403, 403, 200, L)),
    row("GET",  "accounts.create_user",     (403, 403, 403, 403, 403, 200, L)),
    row("POST", "accounts.create_user",     (403, 403, 403, 403, 403, 422, L)),
    row("GET",  "accounts.show_user",       (403, 403, 403, 403, 403, 200, L), ADMIN_NOT_FOUND),
    row("GET",  "accounts.edit_user",       (403, 403, 403, 403, 403, 200, L), ADMIN_NOT_FOUND),
    row("POST", "accounts.edit_user",       (403, 403, 403, 403, 403, 422, L), ADMIN_NOT_FOUND),
    row("POST", "accounts.deactivate_user", (403, 403, 403, 403, 403, 302, L), ADMIN_NOT_FOUND),
    row("POST", "accounts.reactivate_user", (403, 403, 403, 403, 403, 302, L), ADMIN_NOT_FOUND),
    row("GET",  "accounts.reset_password",  (403, 403, 403, 403, 403, 200, L), ADMIN_NOT_FOUND),
    row("POST", "accounts.reset_password",  (403, 403, 403, 403, 403, 422, L), ADMIN_NOT_FOUND),
    # -- administration: places (a township; the policy is a county's) -----------------------------------
    row("GET",  "places.index",             (403, 403, 403, 403, 403, 200, L)),
    row("GET",  "places.show_area",         (403, 403, 403, 403, 403, 200, L), ADMIN_NOT_FOUND),
    row("GET",  "places.create_area",       (403, 403, 403, 403, 403, 200, L), ADMIN_NOT_FOUND),
    row("POST", "places.create_area",       (403, 403, 403, 403, 403, 422, L), ADMIN_NOT_FOUND),
    row("GET",  "places.rename_area",       (403, 403, 403, 403, 403, 200, L), ADMIN_NOT_FOUND),
    row("POST", "places.rename_area",       (403, 403, 403, 403, 403, 422, L), ADMIN_NOT_FOUND),
    row("POST", "places.deactivate_area",   (403, 403, 403, 403, 403, 302, L), ADMIN_NOT_FOUND),
    row("POST", "places.reactivate_area",   (403, 403, 403, 403, 403, 302, L), ADMIN_NOT_FOUND),
    row("GET",  "places.edit_policy",       (403, 403, 403, 403, 403, 200, L), ADMIN_NOT_FOUND, area_id="county"),
    row("POST", "places.edit_policy",       (403, 403, 403, 403, 403, 422, L), ADMIN_NOT_FOUND, area_id="county"),
    row("GET",  "places.create_school",     (403, 403, 403, 403, 403, 200, L), ADMIN_NOT_FOUND),
    row("POST", "places.create_school",     (403, 403, 403, 403, 403, 422, L), ADMIN_NOT_FOUND),
    row("GET",  "places.show_school",       (403, 403, 403, 403, 403, 200, L), ADMIN_NOT_FOUND),
    row("GET",  "places.edit_school",       (403, 403, 403, 403, 403, 200, L), ADMIN_NOT_FOUND),
    row("POST", "places.edit_school",       (403, 403, 403, 403, 403, 422, L), ADMIN_NOT_FOUND),
    row("POST", "places.deactivate_school", (403, 403, 403, 403, 403, 302, L), ADMIN_NOT_FOUND),
    row("POST", "places.reactivate_school", (403, 403, 403, 403, 403, 302, L), ADMIN_NOT_FOUND),
    # -- the JSON API: a token, never a session; 401 without one; 400 for a visit without a JSON body ------
    row("GET",  "api.list_cases",           (200, 200, 200, 200, 200, 403, 401)),
    row("GET",  "api.read_case",            (200, 200, 200, 200, 200, 403, 401), NOT_FOUND),
    row("GET",  "api.case_timeline",        (200, 200, 200, 200, 200, 403, 401), NOT_FOUND),
    row("POST", "api.log_visit",            (400, 400, 400, 400, 403, 403, 401), NOT_FOUND),
    row("GET",  "api.due_visits",           (200, 200, 200, 200, 200, 200, 401)),
    row("GET",  "api.openapi_document",     (200, 200, 200, 200, 200, 200, 200)),
    # -- the phone app (tests/offline/test_offline.py) -------------------------------------------------
    row("GET",  "offline.service_worker",   (200, 200, 200, 200, 200, 200, 200)),
    row("GET",  "offline.manifest",         (200, 200, 200, 200, 200, 200, 200)),
    row("GET",  "offline.offline_page",     (200, 200, 200, 200, 200, 200, 200)),
    row("GET",  "offline.outbox",           (200, 200, 200, 200, 403, 403, L)),
    row("GET",  "offline.own_pages",        (200, 200, 200, 200, 403, 403, L)),
]
# fmt: on


@dataclass(frozen=True)
class World:
    """What the matrix addresses, by id: made once, read by every cell."""

    #: object ids by the names ``OBJECTS`` and ``Row.args`` use
    ids: dict
    #: user ids by fixture name (teacher, other_teacher...)
    users: dict
    #: each user's own message, by fixture name
    messages: dict
    #: each user's API headers, by fixture name
    tokens: dict


def build_world(places, users, make_case, make_user):
    """The objects the routes address, all inside the scope of ``users.<role>``, by id."""
    users.other_admin = make_user(Role.ADMIN, places.county_b, "admin_b")
    p, u = places, users
    today, now = clock.today(), clock.now()

    def add(obj):
        db.session.add(obj)
        db.session.flush()
        return obj

    case = make_case(kind=CaseKind.SUSPECTED, teacher=u.teacher, cadre=u.village_cadre)
    judicial_case = make_case(stage=Stage.JUDICIAL, teacher=u.teacher, cadre=u.village_cadre)
    # a notice issued at township persuasion, not served yet
    township_case = make_case(stage=Stage.TOWNSHIP_PERSUASION, teacher=u.teacher, cadre=u.village_cadre)
    notice = add(
        Notice(
            case_id=township_case.id,
            kind="urge",
            county_id=township_case.county_id,
            year=2026,
            number=1,
            document_no="义劝通字〔2026〕第1号",
            title="督促复学通知书",
            body="…",
            recipient="王大山",
            deadline_days=15,
            issued_by_id=u.township_official.id,
        )
    )
    # a case of township 2 waiting to move into village a1a (township 1)
    moving = make_case(school=p.school_a2, village=p.vil_a2a, teacher=u.other_teacher)
    transfer = add(
        Transfer(
            case_id=moving.id,
            from_village_id=p.vil_a2a.id,
            to_village_id=p.vil_a1a.id,
            to_township_id=p.town_a1.id,
            to_school_id=p.school_a1.id,
            reason="随父母搬到通州镇",
            requested_by_id=u.other_township_official.id,
        )
    )
    visit = add(Visit(case_id=case.id, due_date=today + timedelta(days=3), assignee_id=u.teacher.id, planned_dt=now))
    done = add(
        Visit(
            case_id=case.id,
            visit_date=today,
            done_dt=now,
            method="home_visit",
            outcome="refused",
            stage_at_visit=case.stage,
        )
    )
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 100
    photo = add(VisitPhoto(visit_id=done.id, filename="door.png", content_type="image/png", data=png))
    receipt = add(NoticeReceipt(notice_id=notice.id, filename="receipt.jpg", content_type="image/png", data=png))
    # a roster import of school a1 waiting for confirmation, and an absence's contact task for
    # the teacher
    batch = add(
        ImportBatch(
            kind="roster",
            status="ready",
            user_id=u.school_admin.id,
            school_id=p.school_a1.id,
            school_year=2026,
            filename="roster.csv",
            sha256="0" * 64,
            size_bytes=0,
            content="姓名,身份证号码,年级\n张三,123,六年级\n".encode(),
            counts={"invalid": 1},
        )
    )
    pupil = add(Enrolment(child_id=case.child_id, school_id=p.school_a1.id, school_year=2026, grade="六年级"))
    task = add(
        ContactTask(
            enrolment_id=pupil.id, kind="contact_family", run_start=today, assignee_id=u.teacher.id, due_date=today
        )
    )
    # a county look (每月一看) planned for the case
    look = add(Visit(case_id=case.id, due_date=today + timedelta(days=5), purpose="county_look", planned_dt=now))
    spot_check = SpotCheck(
        county_id=p.county_a.id,
        drawn_by_id=u.county_reviewer.id,
        period_start_date=today - timedelta(days=30),
        period_end_date=today,
        percent=10,
        seed=7,
        population_size=1,
        case_ids=[case.id],
    )
    spot_check.items = [SpotCheckItem(case_id=case.id, position=0)]
    add(spot_check)
    people = dict(vars(u))
    messages, tokens = {}, {}
    for name, user in people.items():
        # a message of each user's own, and a token for the API
        messages[name] = add(
            Message(user_id=user.id, kind="visit_due", subject="家访提醒", dedupe_key=f"access:{user.id}")
        ).id
        token = secrets.token_urlsafe(16)
        user.api_token_hash = User.hash_token(token)
        tokens[name] = {"Authorization": f"Bearer {token}"}
    db.session.flush()
    return World(
        ids={
            "case": case.id,
            "judicial_case": judicial_case.id,
            "notice": notice.id,
            "transfer": transfer.id,
            "visit": visit.id,
            "photo": photo.id,
            "receipt": receipt.id,
            "batch": batch.id,
            "task": task.id,
            "look": look.id,
            "spot_check": spot_check.id,
            "spot_check_item": spot_check.items[0].id,
            "township": p.town_a1.id,
            "county": p.county_a.id,
            "school": p.school_a1.id,
            "user": u.teacher2.id,
        },
        users={name: user.id for name, user in people.items()},
        messages=messages,
        tokens=tokens,
    )


@pytest.fixture(scope="module")
def _module_data(app):
    """The places, users and objects of the matrix, made once for the module inside a
    transaction that is never committed (the pattern of tests/demo/conftest.py)."""
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        original = db.session
        db.session = _bound_session(connection)
        try:
            places = build_places()
            make_user = user_factory()
            users = build_users(places, make_user)
            built = build_world(places, users, case_factory(places, child_factory(places)), make_user)
            db.session.commit()  # releases the session's savepoint: the data stays in ``outer``
        except BaseException:
            outer.rollback()
            connection.close()
            raise
        finally:
            db.session.remove()
            db.session = original
    yield connection, built
    outer.rollback()
    connection.close()


@pytest.fixture(autouse=True)
def _test_transaction(app, _module_data):
    """Overrides tests/conftest.py's: each test runs in a savepoint on the module's data, rolled
    back at its end, so that every request meets the same objects."""
    connection, _world = _module_data
    with app.app_context():
        savepoint = connection.begin_nested()
        original = db.session
        db.session = _bound_session(connection)
        try:
            yield
        finally:
            db.session.remove()
            db.session = original
            if savepoint.is_active:
                savepoint.rollback()


@pytest.fixture
def world(_module_data):
    return _module_data[1]


def _bound_session(connection):
    return db._make_scoped_session(
        {"class_": _ConnectionSession, "bind": connection, "join_transaction_mode": "create_savepoint"}
    )


def _rule(row):
    return next(r for r in current_app.url_map.iter_rules(endpoint=row.endpoint) if row.method in r.methods)


def _url(row, world, owner):
    """The row's URL, addressing ``owner``'s objects (their own message; everything else is shared)."""
    values = {}
    for name in _rule(row).arguments:
        if name == "message_id":
            values[name] = world.messages[owner]
        elif name in OBJECTS:
            values[name] = world.ids[row.args.get(name, OBJECTS[name])]
        else:
            values[name] = row.args.get(name, VALUES[name])
    with current_app.test_request_context():
        return url_for(row.endpoint, **values)


def _client_for(app, world, who, api):
    """A test client and headers for the user ``who`` (None: anonymous): a token for the API,
    a session for the pages as the login page leaves it."""
    client = app.test_client()
    if who is None:
        return client, {}
    if api:
        return client, world.tokens[who]
    with app.test_request_context(environ_base=client.environ_base):
        login_user(db.session.get(User, world.users[who]))
        signed_in = dict(session)
    with client.session_transaction() as stored:
        stored.update(signed_in)
    return client, {}


def _answer(app, world, row, who, owner):
    url = _url(row, world, owner)
    client, headers = _client_for(app, world, who, api=url.startswith("/api/"))
    response = client.open(url, method=row.method, data={} if row.method == "POST" else None, headers=headers)
    response.close()
    location = urlsplit(response.headers.get("Location", "")).path
    return LOGIN if response.status_code == 302 and location == "/login" else response.status_code


INSIDE = [(r, role, expected) for r in MATRIX for role, expected in zip(ROLES, r.inside, strict=True)]
OUTSIDE = [
    (r, role, expected)
    for r in MATRIX
    if r.outside is not None
    for role, expected in zip(ROLES[:-1], r.outside, strict=True)
]


@pytest.mark.parametrize("row,role,expected", INSIDE, ids=[f"{r.id}-{role}" for r, role, _ in INSIDE])
def test_inside_the_scope(app, world, row, role, expected):
    who = None if role == "anonymous" else role
    got = _answer(app, world, row, who, owner=who or "teacher")
    assert got == expected, f"{row.id} as {role}: {got}, expected {expected}"


@pytest.mark.parametrize("row,role,expected", OUTSIDE, ids=[f"{r.id}-{OUTSIDERS[role]}" for r, role, _ in OUTSIDE])
def test_outside_the_scope(app, world, row, role, expected):
    """``other_<role>`` asks for what belongs to ``users.<role>``."""
    got = _answer(app, world, row, OUTSIDERS[role], owner=role)
    assert got == expected, f"{row.id} as {OUTSIDERS[role]}: {got}, expected {expected}"


def test_every_route_and_method_is_in_the_matrix(app):
    covered = {(r.endpoint, r.method) for r in MATRIX}
    scoped = {(r.endpoint, r.method) for r in MATRIX if r.outside is not None}
    pairs = {
        (rule.endpoint, method, any(a in OBJECTS for a in rule.arguments))
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    missing = sorted(f"{m} {e}" for e, m, _ in pairs if (e, m) not in covered)
    assert not missing, f"routes and methods with no expected status in MATRIX: {missing}"
    unscoped = sorted(f"{m} {e}" for e, m, addresses in pairs if addresses and (e, m) not in scoped)
    assert not unscoped, f"routes that address an object but have no statuses outside the scope: {unscoped}"
    stale = sorted(r.id for r in MATRIX if (r.endpoint, r.method) not in {(e, m) for e, m, _ in pairs})
    assert not stale, f"MATRIX rows for routes the app no longer has: {stale}"
