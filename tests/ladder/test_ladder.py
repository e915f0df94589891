"""The ladder: every step's guard and role rule, notices and their numbers, legal steps, the
return and its monitoring, relapse, closure and transfer — one case walked from suspected to
closed, driven through the pages and the scheduler's jobs with an injected clock."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from caseworks.core import audit, clock
from caseworks.core.choices import CaseKind, Stage
from caseworks.extensions import db
from caseworks.inbox.models import Message
from caseworks.ladder import jobs, transitions
from caseworks.ladder.models import ClosureRequest, LegalStep, Notice, StageChange, Transfer
from caseworks.visits import operations as visit_ops

DAY0 = date(2026, 9, 7)


@pytest.fixture(autouse=True)
def frozen_clock():
    clock.set_now(clock.local_date_start(DAY0) + timedelta(hours=2))


def _days(n):
    clock.advance(days=n)
    return clock.today()


def _step(client, case, name, **data):
    db.session.expire_all()
    data.setdefault("version", case.version)
    response = client.post(f"/cases/{case.id}/transitions/{name}", data=data)
    db.session.expire_all()
    return response


def _visit(case, user, method="home_visit"):
    visit_ops.log_visit(
        case, {"visit_date": clock.today(), "method": method, "outcome": "refused", "visitors": ["teacher"]}, user
    )


@pytest.fixture
def case(make_case, users):
    return make_case(
        kind=CaseKind.SUSPECTED,
        teacher=users.teacher,
        cadre=users.village_cadre,
        opened_date=DAY0,
        stage_entered_date=DAY0,
    )


def test_a_case_walked_from_suspected_to_closed(client, login, users, case):
    login(users.teacher)
    assert _step(client, case, "confirm_dropout", evidence="三天未到校").status_code == 302
    assert case.stage == Stage.SCHOOL_PERSUASION and case.kind == CaseKind.DROPPED_OUT

    # leaving school persuasion needs 2 contacts, one a home visit — and a school admin
    login(users.school_admin)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "At least 2 persuasion contacts must be recorded" in page
    refused = _step(client, case, "escalate_township", reason="劝返无效")
    assert refused.status_code == 422 and "At least 2 persuasion contacts" in refused.get_data(as_text=True)
    _visit(case, users.teacher, "phone")
    _days(1)
    _visit(case, users.teacher, "phone")
    assert "At least 1 of them must be home visits" in client.get(f"/cases/{case.id}").get_data(as_text=True)
    _visit(case, users.teacher)
    login(users.teacher)
    assert _step(client, case, "escalate_township", reason="x").status_code == 403
    login(users.school_admin)
    assert _step(client, case, "escalate_township", reason="学校多次劝返无效").status_code == 302
    assert case.stage == Stage.TOWNSHIP_PERSUASION

    # the administrative procedure needs a served notice
    login(users.township_official)
    refused = _step(client, case, "escalate_administrative", reason="乡镇劝返无效")
    assert "A written notice with a deadline must be issued" in refused.get_data(as_text=True)
    response = client.post(
        f"/cases/{case.id}/notices/new", data={"kind": "urge", "recipient": "王大山", "deadline_days": 15}
    )
    notice = db.session.scalars(select(Notice)).one()
    assert response.headers["Location"].endswith(f"/notices/{notice.id}")
    assert notice.document_no == "义劝通字〔2026〕第1号"
    printed = client.get(f"/notices/{notice.id}").get_data(as_text=True)
    assert "督促复学通知书" in printed and "送达回证" in printed and "15日内" in printed
    assert (
        client.post(
            f"/notices/{notice.id}/serve",
            data={
                "served_date": (DAY0 + timedelta(days=5)).isoformat(),
                "served_to": "王大山",
                "served_by": "李乡长",
                "service_method": "direct",
            },
        ).status_code
        == 422
    )  # served before... the future
    served_on = _days(1)
    assert (
        client.post(
            f"/notices/{notice.id}/serve",
            data={
                "served_date": served_on.isoformat(),
                "served_to": "王大山",
                "served_by": "李乡长",
                "service_method": "direct",
            },
        ).status_code
        == 302
    )
    db.session.expire_all()
    assert notice.deadline_date == served_on + timedelta(days=15)
    assert _step(client, case, "escalate_administrative", reason="乡镇劝返无效").status_code == 302

    # judicial needs the deadline to have passed; the scheduler tells the township and county
    refused = _step(
        client,
        case,
        "escalate_judicial",
        reason="逾期",
        kind="support_prosecution",
        step_date=clock.today().isoformat(),
        authority="平塘县人民检察院",
    )
    assert "runs until" in refused.get_data(as_text=True)
    _days(16)
    assert jobs.flag_lapsed_deadlines(clock.today())["lapsed"] == 1
    assert jobs.flag_lapsed_deadlines(clock.today())["lapsed"] == 0  # once
    told = db.session.scalars(select(Message.user_id).where(Message.kind == "deadline_lapsed")).all()
    assert set(told) == {users.township_official.id, users.county_reviewer.id, users.county_reviewer2.id}
    assert (
        _step(
            client,
            case,
            "escalate_judicial",
            reason="逾期未送学",
            kind="support_prosecution",
            step_date=clock.today().isoformat(),
            authority="平塘县人民检察院",
            document_no="平检民支〔2026〕3号",
        ).status_code
        == 302
    )
    assert case.stage == Stage.JUDICIAL
    assert db.session.scalars(select(LegalStep)).one().authority == "平塘县人民检察院"

    # the return, its monitoring, the end of monitoring (scheduler) and the review
    login(users.school_admin)
    response = _step(
        client,
        case,
        "record_return",
        return_date=clock.today().isoformat(),
        school_id=case.school_id,
        class_name="七年级2班",
        confirmed_by="张校长",
    )
    assert response.status_code == 302
    assert case.stage == Stage.RETURNED and case.monitoring_until == clock.today() + timedelta(days=30)
    planned = visit_ops.open_planned_visits(case)
    assert {(v.line, v.purpose) for v in planned} == {("teacher", "monitoring"), ("cadre", "monitoring")}
    _days(29)
    assert jobs.end_monitoring(clock.today()) == {"to_review": 0}
    _days(1)
    assert jobs.end_monitoring(clock.today()) == {"to_review": 1}
    assert case.stage == Stage.PENDING_REVIEW
    request = db.session.scalars(select(ClosureRequest)).one()
    assert (request.outcome, request.from_stage, request.requested_by_id) == ("returned_to_school", "judicial", None)
    assert visit_ops.open_planned_visits(case) == []
    login(users.county_reviewer)
    assert _step(client, case, "approve_closure").status_code == 302
    assert (case.stage, case.closed_outcome) == (Stage.CLOSED, "returned_to_school")
    names = db.session.scalars(select(StageChange.transition).order_by(StageChange.id)).all()
    assert names == [
        "confirm_dropout",
        "escalate_township",
        "escalate_administrative",
        "escalate_judicial",
        "record_return",
        "end_monitoring",
        "approve_closure",
    ]
    assert audit.verify().ok


def test_a_relapse_goes_back_to_the_rung_left(client, login, users, make_case):
    case = make_case(
        stage=Stage.TOWNSHIP_PERSUASION,
        teacher=users.teacher,
        cadre=users.village_cadre,
        opened_date=DAY0 - timedelta(days=60),
    )
    login(users.township_official)
    assert (
        _step(
            client,
            case,
            "record_return",
            return_date=clock.today().isoformat(),
            school_id=case.school_id,
            class_name="七年级2班",
            confirmed_by="张校长",
        ).status_code
        == 302
    )
    login(users.teacher)
    assert _step(client, case, "relapse").status_code == 422  # needs a reason
    assert _step(client, case, "relapse", reason="返校一周后又不来了").status_code == 302
    assert (case.stage, case.relapse_count, case.monitoring_until) == (Stage.TOWNSHIP_PERSUASION, 1, None)


def test_the_reviewer_cannot_approve_their_own_request(client, login, users, make_case):
    case = make_case(stage=Stage.PENDING_REVIEW, teacher=users.teacher, cadre=users.village_cadre)
    db.session.add(
        ClosureRequest(
            case_id=case.id,
            outcome="aged_out",
            from_stage="school_persuasion",
            requested_by_id=users.county_reviewer.id,
        )
    )
    db.session.flush()
    login(users.county_reviewer)
    response = _step(client, case, "approve_closure")
    assert response.status_code == 422 and "another reviewer must decide" in response.get_data(as_text=True)
    assert case.stage == Stage.PENDING_REVIEW
    login(users.county_reviewer2)
    assert _step(client, case, "send_back", reason="年龄不符，继续劝返").status_code == 302
    assert case.stage == Stage.SCHOOL_PERSUASION
    assert db.session.scalar(select(func.count()).select_from(Message).where(Message.kind == "sent_back")) == 3


CLOSURES = [
    ({"outcome": "health_deferral"}, "certificate", "Needed for this outcome"),
    (
        {
            "outcome": "health_deferral",
            "certificate": "县医院 2026-118",
            "approval_date": DAY0.isoformat(),
            "approved_by": "县教育局",
            "until": DAY0.isoformat(),
        },
        "until",
        "ends in the future",
    ),
    ({"outcome": "home_schooling", "home_teacher": "刘老师"}, "schedule", "Needed for this outcome"),
    ({"outcome": "returned_to_school"}, "outcome", "monitored before"),
    ({"outcome": ""}, "outcome", "Choose the outcome"),
]


@pytest.mark.parametrize("data,field,message", CLOSURES, ids=[c[1] + ":" + c[2] for c in CLOSURES])
def test_a_closure_needs_what_its_outcome_needs(client, login, users, make_case, data, field, message):
    case = make_case(teacher=users.teacher, cadre=users.village_cadre)
    login(users.school_admin)
    response = _step(client, case, "request_closure", reason="申请销号", **data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page.split(f'id="field-{field}"', 1)[1].split('class="field', 1)[0]
    assert db.session.scalars(select(ClosureRequest)).all() == []


def test_a_health_deferral_is_reviewed_again_when_it_expires(client, login, users, make_case):
    case = make_case(teacher=users.teacher, cadre=users.village_cadre)
    login(users.school_admin)
    until = DAY0 + timedelta(days=200)
    assert (
        _step(
            client,
            case,
            "request_closure",
            reason="白血病治疗",
            outcome="health_deferral",
            certificate="县人民医院诊断证明 2026-118",
            approval_date=DAY0.isoformat(),
            approved_by="县教育局",
            until=until.isoformat(),
        ).status_code
        == 302
    )
    login(users.county_reviewer)
    assert _step(client, case, "approve_closure").status_code == 302
    assert (case.stage, case.closed_outcome, case.closed_until) == (Stage.CLOSED, "health_deferral", until)
    clock.set_now(clock.local_date_start(until + timedelta(days=1)))
    assert jobs.review_expired_deferrals(clock.today()) == {"to_review": 1}
    assert case.stage == Stage.PENDING_REVIEW


def test_notice_numbers_run_per_county_and_year(client, login, users, make_case, places, make_user):
    first, second = (make_case(stage=Stage.TOWNSHIP_PERSUASION) for _ in range(2))
    login(users.township_official)
    for c in (first, second):
        client.post(f"/cases/{c.id}/notices/new", data={"kind": "urge", "recipient": "王大山", "deadline_days": 15})
    other_case = make_case(stage=Stage.ADMINISTRATIVE, school=places.school_b1, village=places.vil_b1a)
    from caseworks.core.choices import Role

    login(make_user(Role.TOWNSHIP_OFFICIAL, places.town_b1))
    client.post(
        f"/cases/{other_case.id}/notices/new", data={"kind": "order", "recipient": "王大山", "deadline_days": 7}
    )
    numbers = db.session.execute(select(Notice.county_id, Notice.number, Notice.title).order_by(Notice.id)).all()
    assert [(n, t) for _c, n, t in numbers] == [(1, "督促复学通知书"), (2, "督促复学通知书"), (1, "责令限期改正通知书")]


def test_a_second_notice_of_a_kind_waits_for_the_first_to_be_served(client, login, users, make_case):
    case = make_case(stage=Stage.TOWNSHIP_PERSUASION)
    login(users.township_official)
    data = {"kind": "urge", "recipient": "王大山", "deadline_days": 15}
    assert client.post(f"/cases/{case.id}/notices/new", data=data).status_code == 302
    again = client.post(f"/cases/{case.id}/notices/new", data=data)  # a double tap
    assert again.status_code == 422 and "is not served yet" in again.get_data(as_text=True)
    assert len(db.session.scalars(select(Notice)).all()) == 1


def test_reading_a_notice_is_audited(client, login, users, make_case):
    case = make_case(stage=Stage.TOWNSHIP_PERSUASION, teacher=users.teacher)
    login(users.township_official)
    client.post(f"/cases/{case.id}/notices/new", data={"kind": "urge", "recipient": "王大山", "deadline_days": 15})
    notice = db.session.scalars(select(Notice)).one()
    login(users.teacher)
    assert client.get(f"/notices/{notice.id}").status_code == 200
    entry = db.session.scalars(select(audit.AuditEntry).where(audit.AuditEntry.kind == "view_sensitive")).one()
    assert entry.user_id == users.teacher.id


def test_notices_only_by_the_township_and_only_on_their_rungs(client, login, users, make_case):
    case = make_case(stage=Stage.SCHOOL_PERSUASION)
    login(users.school_admin)
    assert client.get(f"/cases/{case.id}/notices/new").status_code == 403
    login(users.township_official)
    response = client.post(
        f"/cases/{case.id}/notices/new", data={"kind": "urge", "recipient": "王", "deadline_days": 15}
    )
    assert response.status_code == 422
    assert db.session.scalars(select(Notice)).all() == []


def test_a_transfer_between_two_townships(client, login, users, make_case, places, app):
    case = make_case(stage=Stage.TOWNSHIP_PERSUASION, teacher=users.teacher, cadre=users.village_cadre)
    case_id = case.id
    db.session.add(
        Notice(
            case_id=case.id,
            kind="urge",
            county_id=case.county_id,
            year=2026,
            number=9,
            document_no="x",
            title="t",
            body="b",
            recipient="r",
            deadline_days=15,
            issued_by_id=users.township_official.id,
        )
    )
    db.session.flush()
    login(users.other_township_official)
    assert client.get(f"/cases/{case_id}").status_code == 404
    login(users.township_official)
    bad = client.post(f"/cases/{case_id}/transfer", data={"village_code": places.vil_a1b.code, "reason": "搬家"})
    assert bad.status_code == 422 and "own township" in bad.get_data(as_text=True)
    assert (
        client.post(
            f"/cases/{case_id}/transfer",
            data={
                "village_code": places.vil_a2a.code,
                "school_code": places.school_a2.code,
                "reason": "随父母搬到克度镇",
            },
        ).status_code
        == 302
    )
    login(users.other_township_official)
    assert client.get(f"/cases/{case_id}").status_code == 200  # the receiving township sees it waiting
    # ... but works on it only once it has accepted it
    assert client.get(f"/cases/{case_id}/edit").status_code == 403
    assert client.get(f"/cases/{case_id}/visits/new").status_code == 403
    assert client.post(f"/cases/{case_id}/reveal").status_code == 403
    assert _step(client, case, "request_closure", reason="x", outcome="aged_out").status_code == 403
    transfer = db.session.scalars(select(Transfer)).one()
    assert client.post(f"/transfers/{transfer.id}/accept", data={"school_id": places.school_a2.id}).status_code == 302
    db.session.expire_all()
    assert (case.village_id, case.township_id, case.school_id) == (
        places.vil_a2a.id,
        places.town_a2.id,
        places.school_a2.id,
    )
    assert (case.teacher_id, case.cadre_id, case.stage) == (None, None, Stage.TOWNSHIP_PERSUASION)
    assert db.session.scalar(select(func.count()).select_from(Notice).where(Notice.case_id == case_id)) == 1
    login(users.township_official)
    assert client.get(f"/cases/{case_id}").status_code == 404  # handed over
    login(users.other_township_official)
    assert client.get(f"/cases/{case_id}/assign/cadre").status_code == 200


def test_a_case_on_a_rung_too_long_is_flagged_once_a_day(users, make_case):
    make_case(stage=Stage.SCHOOL_PERSUASION, stage_entered_date=DAY0 - timedelta(days=31))
    make_case(stage=Stage.SCHOOL_PERSUASION, stage_entered_date=DAY0 - timedelta(days=5))
    assert jobs.flag_stage_overdue(clock.today()) == {"overdue": 1, "messages": 3}
    assert jobs.flag_stage_overdue(clock.today())["messages"] == 0


def test_two_escalations_at_once_record_one(client, login, users, make_case, app):
    case = make_case(stage=Stage.TOWNSHIP_PERSUASION, teacher=users.teacher, cadre=users.village_cadre)
    case.stage_entered_date = DAY0
    version = case.version
    login(users.township_official)
    assert (
        _step(
            client,
            case,
            "record_return",
            version=version,
            return_date=clock.today().isoformat(),
            school_id=case.school_id,
            class_name="七年级2班",
            confirmed_by="张校长",
        ).status_code
        == 302
    )
    second = app.test_client()
    second.post("/login", data={"username": users.school_admin.username, "password": "test-pass-2026"})
    response = second.post(
        f"/cases/{case.id}/transitions/record_return",
        data={
            "version": version,
            "return_date": clock.today().isoformat(),
            "school_id": case.school_id,
            "class_name": "七年级2班",
            "confirmed_by": "张校长",
        },
    )
    assert response.status_code == 409
    assert "Someone else changed this case" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(StageChange)) == 1


def test_the_scheduler_never_takes_a_persons_step(make_case):
    case = make_case()
    with pytest.raises(transitions.TransitionRefused, match="needs a person to take it"):
        transitions.apply(case, "escalate_township", None, reason="x")
