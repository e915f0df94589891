"""The review queue and one case's review: who may decide, self-review, send back, stale
versions, and the audit entry that goes with every decision (or none when it is refused)."""

import pytest
from sqlalchemy import func, select

from caseworks.core.audit import AuditEntry
from caseworks.core.choices import ClosedOutcome, Stage
from caseworks.extensions import db
from caseworks.inbox.models import Message
from caseworks.ladder.models import ClosureRequest, StageChange


def _audit_count(case, kind="transition"):
    return db.session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.case_id == case.id, AuditEntry.kind == kind)
    )


def _post(client, case, action, **data):
    db.session.expire_all()
    data.setdefault("version", case.version)
    response = client.post(f"/review/{case.id}/{action}", data=data)
    db.session.expire_all()
    return response


# -- the queue -----------------------------------------------------------------------------


def test_queue_lists_pending_cases_oldest_request_first(client, login, users, make_pending, make_case, places):
    newer = make_pending(requested_days_ago=2)
    older = make_pending(requested_days_ago=9, requested_by=None)
    make_case(stage=Stage.SCHOOL_PERSUASION)  # not waiting
    make_pending(school=places.school_b1, village=places.vil_b1a)  # another county
    login(users.county_reviewer)
    response = client.get("/review")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "2 waiting" in page
    assert page.index(f"/review/{older.id}") < page.index(f"/review/{newer.id}")
    assert "9 days waiting" in page and "2 days waiting" in page
    assert "the scheduler (end of monitoring)" in page  # who asked, when no person did
    assert users.school_admin.full_name in page
    assert "Returned to school" in page


def test_queue_is_in_the_reviewers_navigation_only(client, login, users):
    login(users.county_reviewer)
    page = client.get("/cases").get_data(as_text=True)
    assert 'href="/review"' in page and 'href="/audit"' in page
    login(users.school_admin)
    page = client.get("/cases").get_data(as_text=True)
    assert 'href="/review"' not in page and 'href="/audit"' not in page


def test_anonymous_users_are_sent_to_log_in(client, make_pending):
    case = make_pending()
    for url in (
        "/review",
        f"/review/{case.id}",
        "/review/spot-checks",
        "/audit",
        "/audit/export",
        f"/cases/{case.id}/history",
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url


@pytest.mark.parametrize("role", ["teacher", "village_cadre", "school_admin", "township_official", "admin"])
def test_other_roles_may_not_review(client, login, users, make_pending, role):
    case = make_pending()
    login(getattr(users, role))
    for url in ("/review", f"/review/{case.id}", "/review/spot-checks", "/audit", "/audit/export"):
        assert client.get(url).status_code == 403, url
    assert _post(client, case, "approve").status_code == 403
    assert _post(client, case, "send-back", reason="材料不全").status_code == 403
    assert case.stage == Stage.PENDING_REVIEW
    assert _audit_count(case) == 0


def test_a_reviewer_of_another_county_gets_404(client, login, users, make_pending):
    case = make_pending()
    login(users.other_county_reviewer)
    assert client.get(f"/review/{case.id}").status_code == 404
    assert _post(client, case, "approve").status_code == 404
    assert _post(client, case, "send-back", reason="材料不全").status_code == 404
    assert client.get(f"/cases/{case.id}/history").status_code == 404
    assert case.stage == Stage.PENDING_REVIEW


# -- the review page -----------------------------------------------------------------------


def test_review_page_shows_the_evidence_without_edit_links(client, login, users, make_pending):
    case = make_pending(details={"return_date": "2026-09-02", "note": "已返校"})
    db.session.add(
        StageChange(
            case_id=case.id,
            transition="end_monitoring",
            from_stage=Stage.RETURNED,
            to_stage=Stage.PENDING_REVIEW,
            actor_id=None,
            reason="监测期满",
        )
    )
    db.session.flush()
    login(users.county_reviewer)
    response = client.get(f"/review/{case.id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for text in (
        "Closure request",
        "Returned to school",
        users.school_admin.full_name,
        "Return confirmation",
        "七年级（2）班",
        "李校长",
        "Monitoring checks",
        "Visits and contacts",
        "Support measures",
        "Notices",
        "Legal steps",
        "Stage history",
        "监测期满",
        "Township persuasion",
        "Return date",
        "已返校",
    ):
        assert text in page, text
    assert f"/cases/{case.id}/edit" not in page
    assert case.child.id_number not in page and case.child.masked_id_number in page
    assert 'name="version"' in page and f'value="{case.version}"' in page


def test_approve_closes_the_case_with_one_transition_entry(client, login, users, make_pending):
    case = make_pending()
    login(users.county_reviewer)
    response = _post(client, case, "approve", note="材料齐全")
    assert response.status_code == 302 and response.headers["Location"].endswith("/review")
    assert case.stage == Stage.CLOSED
    assert case.closed_outcome == ClosedOutcome.RETURNED_TO_SCHOOL
    request = db.session.scalar(select(ClosureRequest).where(ClosureRequest.case_id == case.id))
    assert request.decision == "approved" and request.decided_by_id == users.county_reviewer.id
    assert _audit_count(case) == 1
    assert client.get("/review").get_data(as_text=True).count(f"/review/{case.id}") == 0


def test_self_review_is_refused_with_a_message(client, login, users, make_pending):
    case = make_pending(requested_by=users.county_reviewer)
    login(users.county_reviewer)
    page = client.get(f"/review/{case.id}").get_data(as_text=True)
    assert "You asked for this closure: another reviewer must decide it." in page
    response = _post(client, case, "approve")
    assert response.status_code == 422
    assert "You asked for this closure: another reviewer must decide it." in response.get_data(as_text=True)
    assert case.stage == Stage.PENDING_REVIEW
    assert _audit_count(case) == 0
    # another reviewer of the county may decide it
    login(users.county_reviewer2)
    assert _post(client, case, "approve").status_code == 302
    assert case.stage == Stage.CLOSED and _audit_count(case) == 1


def test_send_back_needs_a_reason(client, login, users, make_pending):
    case = make_pending()
    login(users.county_reviewer)
    response = _post(client, case, "send-back", reason="  ")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="field-reason"' in page and "Give the reason for sending the case back." in page
    assert case.stage == Stage.PENDING_REVIEW and _audit_count(case) == 0


def test_send_back_returns_the_case_to_where_it_came_from(client, login, users, make_pending):
    case = make_pending(from_stage=Stage.ADMINISTRATIVE)
    login(users.county_reviewer)
    response = _post(client, case, "send-back", reason="缺少第三周出勤记录")
    assert response.status_code == 302
    assert case.stage == Stage.ADMINISTRATIVE
    change = db.session.scalar(select(StageChange).where(StageChange.case_id == case.id))
    assert change.transition == "send_back" and change.reason == "缺少第三周出勤记录"
    told = set(
        db.session.scalars(select(Message.user_id).where(Message.case_id == case.id, Message.kind == "sent_back"))
    )
    assert told == {users.teacher.id, users.village_cadre.id, users.school_admin.id}
    assert _audit_count(case) == 1
    # the reason is on the case page's timeline
    login(users.school_admin)
    assert "缺少第三周出勤记录" in client.get(f"/cases/{case.id}").get_data(as_text=True)


@pytest.mark.parametrize("action,data", [("approve", {}), ("send-back", {"reason": "材料不全"})])
def test_a_stale_version_is_a_conflict_and_changes_nothing(client, login, users, make_pending, action, data):
    case = make_pending()
    stale = case.version
    case.situation = "someone else changed the case"
    db.session.flush()
    assert case.version == stale + 1
    login(users.county_reviewer)
    response = _post(client, case, action, version=stale, **data)
    assert response.status_code == 409
    assert "Someone else changed this case while you were working on it." in response.get_data(as_text=True)
    assert case.stage == Stage.PENDING_REVIEW
    assert _audit_count(case) == 0
    assert db.session.scalar(select(ClosureRequest.decided_dt).where(ClosureRequest.case_id == case.id)) is None


def test_a_case_not_waiting_for_review_offers_no_decision(client, login, users, make_case):
    case = make_case(stage=Stage.SCHOOL_PERSUASION)
    login(users.county_reviewer)
    page = client.get(f"/review/{case.id}").get_data(as_text=True)
    assert "This case is not waiting for a decision." in page
    assert 'id="approve-form"' not in page
    response = _post(client, case, "approve")
    assert response.status_code == 422 and case.stage == Stage.SCHOOL_PERSUASION
