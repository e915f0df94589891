"""One case up the ladder on a phone: school persuasion → township persuasion → a notice issued,
printed and served → the administrative procedure → the deadline lapses (the scheduler says so)
→ the judicial procedure with its first legal step → the child returns."""

from datetime import timedelta

from playwright.sync_api import expect
from sqlalchemy import select

from caseworks.accounts.models import User
from caseworks.cases.models import Case
from caseworks.core import clock
from caseworks.extensions import db
from caseworks.ladder import jobs
from caseworks.visits import operations as visit_ops
from tests.browser.conftest import SCREENSHOTS
from tests.browser.helpers import logout
from tests.browser.test_login import assert_fits_width


def _prepare_case(live_app):
    """A case of principal1's school in township1's township, at school persuasion, with the
    contacts the first guard asks for."""
    with live_app.app_context():
        principal = db.session.scalar(select(User).where(User.username == "principal1"))
        township = db.session.scalar(select(User).where(User.username == "township1"))
        case = db.session.scalar(
            select(Case)
            .where(
                Case.school_id == principal.school_id,
                Case.township_id == township.township_id,
                Case.stage == "school_persuasion",
                Case.teacher_id.is_not(None),
                Case.cadre_id.is_not(None),
            )
            .order_by(Case.id)
            .limit(1)
        )
        teacher = db.session.get(User, case.teacher_id)
        for method in ("home_visit", "phone"):
            visit_ops.log_visit(
                case,
                {"visit_date": clock.today(), "method": method, "outcome": "refused", "visitors": ["teacher"]},
                teacher,
            )
        db.session.commit()
        case_id, name = case.id, case.child.name
        db.session.remove()
    return case_id, name


def _take_transition(page, case_id, name, fields=()):
    page.goto(f"/cases/{case_id}")
    page.locator(f"a[href$='/transitions/{name}']").click()
    for selector, value in fields:
        page.fill(selector, value)
    page.locator("form button[type=submit].primary").click()
    expect(page.locator(".flash-success")).to_be_visible()


def test_a_case_goes_up_the_ladder_and_back_to_school(page, shot, login_as, live_app):
    case_id, name = _prepare_case(live_app)
    login_as(page, "principal1")
    page.goto(f"/cases/{case_id}")
    expect(page.locator("#ladder")).to_be_visible()
    shot("school_persuasion")
    _take_transition(page, case_id, "escalate_township", [("#reason", "学校三次家访劝返无效，家长拒绝送学")])
    expect(page.locator("main h1 .tag")).to_have_text("乡镇劝返")
    logout(page)

    login_as(page, "township1")
    page.goto(f"/cases/{case_id}")
    expect(page.locator("a[href$='/transitions/escalate_administrative']")).to_have_count(0)
    expect(page.locator("#ladder ul.unmet")).to_be_visible()  # the page says what is missing
    shot("guard_unmet")
    page.locator(f"a[href$='/cases/{case_id}/notices/new']").click()
    page.locator("form button[type=submit].primary").click()
    expect(page.locator("article.notice h1")).to_have_text("督促复学通知书")
    expect(page.locator("article.notice")).to_contain_text("送达回证")
    expect(page.locator("article.notice")).to_contain_text(name)
    SCREENSHOTS.mkdir(exist_ok=True)
    page.emulate_media(media="print")
    page.pdf(path=str(SCREENSHOTS / "notice.pdf"), format="A4")
    page.emulate_media(media="screen")
    shot("notice")
    page.fill("#served_date", clock.today().isoformat())
    page.fill("#served_to", "监护人本人")
    page.fill("#served_by", "乡镇控辍专干")
    page.locator("#serve button[type=submit]").click()
    expect(page.locator(".flash-success")).to_be_visible()
    _take_transition(page, case_id, "escalate_administrative", [("#reason", "乡镇劝返无效，已送达督促复学通知书")])
    expect(page.locator("main h1 .tag")).to_have_text("行政督促复学")

    clock.set_now(clock.now() + timedelta(days=16))
    with live_app.app_context():
        assert jobs.flag_lapsed_deadlines(clock.today())["lapsed"] >= 1
        db.session.commit()
        db.session.remove()
    page.goto("/inbox")
    expect(page.locator(".case-list")).to_contain_text(name)
    shot("inbox_deadline_lapsed")
    _take_transition(
        page,
        case_id,
        "escalate_judicial",
        [
            ("#reason", "通知书期限届满仍未送学"),
            ("#step_date", clock.today().isoformat()),
            ("#authority", "县人民检察院"),
            ("#document_no", "检民支〔2026〕8号"),
        ],
    )
    expect(page.locator("main h1 .tag")).to_have_text("司法督促复学")
    expect(page.locator("#ladder")).to_contain_text("县人民检察院")
    logout(page)

    login_as(page, "principal1")
    _take_transition(
        page,
        case_id,
        "record_return",
        [("#return_date", clock.today().isoformat()), ("#class_name", "七年级2班"), ("#confirmed_by", "校长")],
    )
    expect(page.locator("main h1 .tag")).to_have_text("已复学（巩固观察）")
    expect(page.locator("#ladder")).to_contain_text("七年级2班")
    assert_fits_width(page)
    shot("returned")
