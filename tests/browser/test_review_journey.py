"""A county reviewer, at a desk, works through the review queue: sends one closure back with a
reason and approves another. The principal who asked for both then reads the reason on the
case page and in the inbox (another browser context)."""

from playwright.sync_api import expect
from sqlalchemy import select

from caseworks.accounts.models import User
from caseworks.cases.models import Case
from caseworks.core import clock
from caseworks.core.choices import ClosedOutcome, Stage
from caseworks.extensions import db
from caseworks.ladder.models import ClosureRequest
from tests.browser.test_login import assert_fits_width

REASON = "第三周出勤记录缺失，请补充班主任签字的考勤表后再提交。"


def _two_requests_by_principal(live_app):
    """Two cases of principal1's school waiting for review, each with an open closure request
    asked by principal1."""
    with live_app.app_context():
        principal = db.session.scalar(select(User).where(User.username == "principal1"))
        pending = db.session.scalars(
            select(Case)
            .where(Case.stage == Stage.PENDING_REVIEW, Case.school_id == principal.school_id)
            .order_by(Case.id)
            .limit(2)
        ).all()
        assert len(pending) == 2, "the demo data should give principal1's school two cases waiting for review"
        ids = []
        for case in pending:
            request = db.session.scalar(
                select(ClosureRequest).where(ClosureRequest.case_id == case.id, ClosureRequest.decided_dt.is_(None))
            )
            if request is None:
                request = ClosureRequest(
                    case_id=case.id,
                    outcome=ClosedOutcome.RETURNED_TO_SCHOOL,
                    details={"return_date": case.return_date.isoformat() if case.return_date else None},
                    from_stage=case.resume_stage or Stage.SCHOOL_PERSUASION,
                    requested_by_id=principal.id,
                    requested_dt=clock.now(),
                )
                db.session.add(request)
            else:
                request.requested_by_id = principal.id
            ids.append((case.id, case.child.name, request.from_stage))
        db.session.commit()
        db.session.remove()
        return ids


def _stage_of(live_app, case_id):
    with live_app.app_context():
        stage = db.session.get(Case, case_id).stage
        db.session.remove()
        return stage


def test_reviewer_sends_back_and_approves(desktop_page, page, shot, login_as, live_app):
    (back_id, back_name, back_stage), (ok_id, ok_name, _) = _two_requests_by_principal(live_app)
    reviewer = desktop_page

    login_as(reviewer, "reviewer1")
    reviewer.locator("nav.mainnav a[href='/review']").click()
    expect(reviewer.locator(f".review-queue a[href='/review/{back_id}']")).to_be_visible()
    expect(reviewer.locator(f".review-queue a[href='/review/{ok_id}']")).to_be_visible()
    assert_fits_width(reviewer)
    shot("queue", page=reviewer)

    # send the first one back: an empty reason is refused next to the field
    reviewer.locator(f".review-queue a[href='/review/{back_id}']").click()
    expect(reviewer.locator("main h1")).to_contain_text(back_name)
    expect(reviewer.locator("#request")).to_be_visible()
    expect(reviewer.locator("#stages")).to_be_visible()
    shot("evidence", page=reviewer)
    reviewer.locator("#send-back-form button[type='submit']").click()
    expect(reviewer.locator("#field-reason .error")).to_be_visible()
    assert _stage_of(live_app, back_id) == Stage.PENDING_REVIEW
    reviewer.locator("#send-back-form textarea[name='reason']").fill(REASON)
    reviewer.locator("#send-back-form button[type='submit']").click()
    expect(reviewer.locator(".flash-success")).to_contain_text(back_name)
    assert _stage_of(live_app, back_id) == back_stage
    expect(reviewer.locator(f".review-queue a[href='/review/{back_id}']")).to_have_count(0)
    shot("sent_back", page=reviewer)

    # approve the second
    reviewer.locator(f".review-queue a[href='/review/{ok_id}']").click()
    expect(reviewer.locator("main h1")).to_contain_text(ok_name)
    reviewer.locator("#approve-form textarea[name='note']").fill("监测期出勤正常，材料齐全。")
    reviewer.locator("#approve-form button[type='submit']").click()
    expect(reviewer.locator(".flash-success")).to_contain_text(ok_name)
    assert _stage_of(live_app, ok_id) == Stage.CLOSED

    # a spot check of the returns approved lately draws the approved case; it is confirmed in school
    # (the county's default share is 10%; drawing all of them makes the approved case certain)
    reviewer.goto("/review/spot-checks")
    expect(reviewer.locator("input[name='percent']")).to_have_value("10")
    reviewer.locator("input[name='percent']").fill("100")
    reviewer.locator("main form[method='post'] button[type='submit']").click()
    item = reviewer.locator(f".sample-item:has(a[href='/cases/{ok_id}'])")
    expect(item).to_be_visible()
    item.locator("select[name$='-result']").select_option("confirmed")
    item.locator("textarea[name$='-notes']").fill("到班核查，学生在课堂上课。")
    item.locator("button[type='submit']").click()
    expect(reviewer.locator(".flash-success")).to_be_visible()
    expect(reviewer.locator(f".sample-item:has(a[href='/cases/{ok_id}'])")).to_contain_text("到班核查")
    assert _stage_of(live_app, ok_id) == Stage.CLOSED
    assert_fits_width(reviewer)
    shot("spot_check", page=reviewer)

    # the audit trail, filtered to the approved case
    reviewer.goto(f"/audit?case={ok_id}")
    expect(reviewer.locator(".audit-entry.kind-transition")).to_have_count(1)
    expect(reviewer.locator(".audit-entry.kind-spot_check")).to_have_count(1)
    assert_fits_width(reviewer)
    shot("audit", page=reviewer)

    # the case's history shows both decisions readably
    reviewer.goto(f"/cases/{back_id}/history")
    expect(reviewer.locator(".audit-entry").first).to_contain_text(REASON)
    assert_fits_width(reviewer)
    shot("history", page=reviewer)

    # the principal, in a browser of their own, reads why
    principal = page
    login_as(principal, "principal1")
    principal.goto(f"/cases/{back_id}")
    expect(principal.locator("#timeline")).to_contain_text(REASON)
    assert_fits_width(principal)
    shot("principal_case", page=principal)
    principal.goto("/inbox")
    expect(principal.locator("main")).to_contain_text(back_name)
    expect(principal.locator("main")).to_contain_text(REASON)
    shot("principal_inbox", page=principal)
