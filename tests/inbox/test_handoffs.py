"""Hand-offs reach a person: each event that makes a case wait for someone puts a message in their
inbox (sent by the operation or transition that causes it), once, linking to where the work is
done."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from caseworks.accounts import operations as accounts
from caseworks.cases.models import Case
from caseworks.core import clock
from caseworks.core.choices import CaseKind, Role, Stage
from caseworks.extensions import db
from caseworks.inbox import mail
from caseworks.inbox.models import Message
from caseworks.ladder import jobs, transitions
from caseworks.ladder.models import ClosureRequest
from caseworks.visits import operations as visit_ops
from caseworks.visits.models import Visit

DAY0 = date(2026, 9, 14)


@pytest.fixture(autouse=True)
def frozen_clock():
    clock.set_now(clock.local_date_start(DAY0) + timedelta(hours=3))


def inbox_of(user, kind=None):
    db.session.expire_all()
    stmt = select(Message).where(Message.user_id == user.id).order_by(Message.id)
    if kind:
        stmt = stmt.where(Message.kind == kind)
    return db.session.scalars(stmt).all()


def test_a_case_assigned_to_you(client, login, users, make_case):
    case = make_case()
    login(users.school_admin)
    response = client.post(
        f"/cases/{case.id}/assign/teacher", data={"user_id": users.teacher.id, "version": case.version}
    )
    assert response.status_code == 302
    (message,) = inbox_of(users.teacher, "assigned")
    assert message.case_id == case.id and f"Case {case.id}" in message.subject and "新场村" in message.subject
    assert case.child.name not in message.subject  # it may leave by e-mail
    login(users.teacher)
    assert client.post(f"/inbox/{message.id}/open").headers["Location"].endswith(f"/cases/{case.id}")
    # assigning the same person again sends nothing new
    db.session.expire_all()
    login(users.school_admin)
    client.post(f"/cases/{case.id}/assign/teacher", data={"user_id": users.teacher.id, "version": case.version})
    assert len(inbox_of(users.teacher, "assigned")) == 1


def test_escalated_to_township_persuasion_waits_for_the_village_cadre(users, make_case):
    case = make_case(teacher=users.teacher, cadre=users.village_cadre, opened_date=DAY0, stage_entered_date=DAY0)
    for method in ("home_visit", "phone"):
        visit_ops.log_visit(
            case,
            {"visit_date": DAY0, "method": method, "outcome": "refused", "visitors": ["teacher"]},
            users.teacher,
        )
    transitions.apply(case, "escalate_township", users.school_admin, reason="两次劝返无效")
    for person in (users.village_cadre, users.township_official):
        (message,) = inbox_of(person, "township_persuasion")
        assert message.case_id == case.id
    assert not inbox_of(users.other_township_official)


def test_a_transfer_waits_for_the_receiving_township_on_its_dashboard_and_in_its_inbox(
    client, login, users, make_case, places
):
    case = make_case(teacher=users.teacher, cadre=users.village_cadre)
    login(users.township_official)
    response = client.post(
        f"/cases/{case.id}/transfer", data={"village_code": places.vil_a2a.code, "reason": "随父母搬到克度镇"}
    )
    assert response.status_code == 302
    (message,) = inbox_of(users.other_township_official, "transfer_waiting")
    assert message.case_id == case.id
    login(users.other_township_official)
    assert 'id="unread-count">1<' in client.get("/inbox").get_data(as_text=True)
    html = client.get("/dashboard").get_data(as_text=True)
    assert 'href="/cases?open=1&amp;flag=incoming_transfer">1</a>' in html
    listed = client.get("/cases?open=1&flag=incoming_transfer").get_data(as_text=True)
    assert f'href="/cases/{case.id}"' in listed and "1 found" in listed
    assert client.post(f"/inbox/{message.id}/open").headers["Location"].endswith(f"/cases/{case.id}")
    # the sending township sees it waiting on the other side
    login(users.township_official)
    html = client.get("/dashboard").get_data(as_text=True)
    assert 'href="/cases?open=1&amp;flag=outgoing_transfer">1</a>' in html


def test_a_case_entering_review_waits_for_the_countys_reviewers(client, login, users, make_case):
    case = make_case(kind=CaseKind.AT_RISK, teacher=users.teacher, cadre=users.village_cadre)
    transitions.apply(
        case, "request_closure", users.school_admin, reason="已转入职业学校", data={"outcome": "vocational_school"}
    )
    assert case.stage == Stage.PENDING_REVIEW
    for reviewer in (users.county_reviewer, users.county_reviewer2):
        (message,) = inbox_of(reviewer, "pending_review")
        assert message.link == f"/review/{case.id}"
    assert not inbox_of(users.other_county_reviewer)
    login(users.county_reviewer)
    (message,) = inbox_of(users.county_reviewer, "pending_review")
    assert client.post(f"/inbox/{message.id}/open").headers["Location"] == f"/review/{case.id}"


def test_the_end_of_monitoring_also_reaches_the_reviewers(users, make_case):
    case = make_case(
        stage=Stage.RETURNED,
        teacher=users.teacher,
        cadre=users.village_cadre,
        return_date=DAY0 - timedelta(days=31),
        monitoring_until=DAY0 - timedelta(days=1),
    )
    assert jobs.end_monitoring(DAY0) == {"to_review": 1}
    (message,) = inbox_of(users.county_reviewer, "pending_review")
    assert message.case_id == case.id


def test_an_approved_closure_reaches_whoever_asked_for_it(users, make_case):
    case = make_case(stage=Stage.PENDING_REVIEW, teacher=users.teacher, cadre=users.village_cadre)
    db.session.add(
        ClosureRequest(
            case_id=case.id, outcome="aged_out", from_stage="school_persuasion", requested_by_id=users.school_admin.id
        )
    )
    db.session.flush()
    transitions.apply(case, "approve_closure", users.county_reviewer)
    for person in (users.school_admin, users.teacher, users.village_cadre):
        (message,) = inbox_of(person, "closure_approved")
        assert message.case_id == case.id


@pytest.mark.parametrize("line", ["teacher", "village_cadre"])
def test_a_deactivated_teacher_or_cadre_leaves_their_cases_to_be_reassigned(client, login, users, make_case, line):
    person = getattr(users, line)
    cases = [make_case(teacher=users.teacher, cadre=users.village_cadre) for _ in range(2)]
    closed = make_case(stage=Stage.CLOSED, teacher=users.teacher, cadre=users.village_cadre)
    visit = Visit(case_id=cases[0].id, due_date=DAY0 + timedelta(days=3), assignee_id=person.id, purpose="monthly")
    db.session.add(visit)
    db.session.flush()
    accounts.deactivate_user(users.admin, person)
    db.session.expire_all()
    attr = "teacher_id" if line == "teacher" else "cadre_id"
    assert [getattr(c, attr) for c in cases] == [None, None]
    assert getattr(closed, attr) == person.id  # a closed case keeps its history
    other = users.village_cadre if line == "teacher" else users.teacher
    assert visit.assignee_id == other.id  # the other line goes meanwhile
    boss = users.school_admin if line == "teacher" else users.township_official
    (message,) = inbox_of(boss, "line_missing")
    assert "2 cases" in message.subject and person.full_name in message.subject
    flag = "no_teacher" if line == "teacher" else "no_cadre"
    assert message.link.startswith(f"/cases?flag={flag}")
    login(boss)
    location = client.post(f"/inbox/{message.id}/open").headers["Location"]
    listed = client.get(location).get_data(as_text=True)
    assert all(f'href="/cases/{c.id}"' in listed for c in cases) and "2 found" in listed


def test_the_e_mail_carries_the_link(app, users, make_case):
    case = make_case()
    message = Message(
        user_id=users.county_reviewer.id,
        kind="pending_review",
        subject="s",
        case_id=case.id,
        link=f"/review/{case.id}",
        dedupe_key="k",
    )
    app.config["BASE_URL"] = "https://kc.example.cn"
    try:
        with app.test_request_context():
            text = mail.compose(message, "r@example.cn").get_content()
    finally:
        app.config.pop("BASE_URL")
    assert f"https://kc.example.cn/review/{case.id}" in text


def test_a_reviewer_placed_at_a_city_is_not_a_countys_reviewer(users, make_case, make_user, places):
    city = make_user(Role.COUNTY_REVIEWER, places.city)
    case = make_case(kind=CaseKind.AT_RISK, teacher=users.teacher, cadre=users.village_cadre)
    transitions.apply(case, "request_closure", users.township_official, reason="超龄", data={"outcome": "aged_out"})
    assert not inbox_of(city)
    assert db.session.get(Case, case.id).stage == Stage.PENDING_REVIEW
