"""The daily work of each demo role, on a phone in Chinese, where new users tripped over: the
village cadre's own visits (with the number to call), the county's monthly look logged by the
county, a transfer chosen with the place picker, a notice served in a legal way, a child
registered with the ID number filling in birth date and gender, and a user placed without typing
a code."""

from datetime import date

from playwright.sync_api import expect
from sqlalchemy import select

from caseworks.accounts.models import User
from caseworks.cases.models import Case, ChildGroup
from caseworks.core import clock, idnumber
from caseworks.extensions import db
from caseworks.visits.models import Visit
from tests.browser.helpers import logout
from tests.browser.test_login import assert_fits_width


def _scalar(live_app, stmt):
    with live_app.app_context():
        return db.session.scalar(stmt)


def _user(live_app, username):
    return _scalar(live_app, select(User.id).where(User.username == username))


def test_the_village_cadre_sees_and_calls_for_their_own_visits(page, shot, login_as, live_app):
    login_as(page, "cadre1")
    page.goto("/visits/mine")
    cards = page.locator("#overdue .case-list li")
    expect(cards.first).to_be_visible()
    expect(cards.first.locator("a.tel")).to_have_attribute("href", __import__("re").compile(r"^tel:1\d{10}$"))
    expect(cards.first.locator(".visit-address")).not_to_be_empty()
    assert_fits_width(page)
    shot("cadre_my_visits")
    # the visit is the cadre's own: the cadre line's planned visit
    href = cards.first.locator("a.button.primary").get_attribute("href")
    visit_id = int(href.rsplit("planned=", 1)[1])
    cadre = _user(live_app, "cadre1")
    with live_app.app_context():
        visit = db.session.get(Visit, visit_id)
        assert (visit.line, visit.assignee_id) == ("cadre", cadre)


def test_the_county_look_is_logged_by_the_county(page, shot, login_as, live_app):
    reviewer = _user(live_app, "reviewer1")
    case_id = _scalar(
        live_app,
        select(Case.id)
        .join(Visit, Visit.case_id == Case.id)
        .join(ChildGroup, ChildGroup.child_id == Case.child_id)
        .where(
            ChildGroup.group == "orphan",
            Visit.purpose == "county_look",
            Visit.done_dt.is_(None),
            Visit.cancelled_dt.is_(None),
        )
        .order_by(Case.id)
        .limit(1),
    )
    login_as(page, "reviewer1")
    page.goto(f"/cases/{case_id}")
    look = page.locator("li.planned-visit[data-purpose='county_look']")
    expect(look).to_be_visible()
    expect(look.locator("form.look-assign select")).to_be_visible()
    look.scroll_into_view_if_needed()
    assert_fits_width(page)
    shot("reviewer_case_with_the_county_look")
    look.get_by_role("link", name="登记每月一看").click()
    expect(page.locator("main h1")).to_have_text("登记家访")
    expect(page.locator("input[name=visitors][value=county_staff]")).to_be_checked()
    page.select_option("#method", "home_visit")
    page.fill("#met_with", "奶奶")
    page.fill("#findings", "县级每月一看：孩子由奶奶照看，生活费已落实。")
    page.select_option("#outcome", "refused")
    shot("county_look_form")
    page.get_by_role("button", name="保存家访记录").click()
    expect(page.locator(".flash-success")).to_have_text("家访已记录。")
    with live_app.app_context():
        looks = db.session.scalars(
            select(Visit).where(Visit.case_id == case_id, Visit.purpose == "county_look").order_by(Visit.id)
        ).all()
        done = [v for v in looks if v.done_dt is not None and v.visit_date == clock.today()]
        planned = [v for v in looks if v.done_dt is None and v.cancelled_dt is None]
        assert done and done[-1].logged_by_id == reviewer
        assert len(planned) == 1 and planned[0].assignee_id == reviewer
    shot("after_the_county_look")


def test_a_transfer_is_chosen_with_the_place_picker(page, shot, login_as, live_app):
    official = _scalar(live_app, select(User).where(User.username == "township1"))
    with live_app.app_context():
        township_id = db.session.get(User, official.id).township_id
    case_id = _scalar(
        live_app,
        select(Case.id)
        .where(Case.township_id == township_id, Case.stage == "township_persuasion")
        .order_by(Case.id)
        .limit(1),
    )
    login_as(page, "township1")
    page.goto(f"/cases/{case_id}/transfer")
    assert_fits_width(page)
    shot("transfer_picker")
    # another township: the list of its villages comes at once (static/picker.js)
    township = page.locator("#picker-township option").nth(2)
    with page.expect_navigation():
        page.select_option("#picker-township", township.get_attribute("value"))
    expect(page.locator("#village_code option").nth(1)).to_be_attached()
    villages = page.locator("#village_code option:not([value=''])")
    name = villages.nth(1).inner_text()
    page.fill("input[data-picker-filter=village_code]", name)
    expect(page.locator("#village_code")).to_have_value(villages.nth(1).get_attribute("value"))
    page.fill("#reason", "随父母搬迁")
    shot("transfer_chosen")
    page.get_by_role("button", name="申请转出").click()
    expect(page.locator(".flash-success")).to_contain_text(name)
    assert_fits_width(page)


def test_a_notice_is_served_in_a_legal_way(page, shot, login_as, live_app):
    official = _user(live_app, "township1")
    with live_app.app_context():
        township_id = db.session.get(User, official).township_id
    case_id = _scalar(
        live_app,
        select(Case.id)
        .where(Case.township_id == township_id, Case.stage == "township_persuasion")
        .order_by(Case.id.desc())
        .limit(1),
    )
    login_as(page, "township1")
    page.goto(f"/cases/{case_id}/notices/new")
    page.get_by_role("button", name="发出", exact=True).click()
    expect(page.locator(".flash-success")).to_be_visible()
    notice_id = int(page.url.rsplit("/", 1)[1])
    serve = page.locator("#serve")
    expect(serve.locator("#served_date")).to_have_value(clock.today().isoformat())
    options = serve.locator("#service_method option").all_inner_texts()
    for way in ("直接送达", "留置送达", "邮寄送达", "委托送达", "公告送达"):
        assert way in options
    expect(serve.locator("#served_to")).not_to_have_value("")
    serve.scroll_into_view_if_needed()
    assert_fits_width(page)
    shot("serve_form")
    serve.locator("#service_method").select_option("left_at_home")
    serve.locator("#receipt").set_input_files(
        {"name": "huizheng.png", "mimeType": "image/png", "buffer": b"\x89PNG\r\n\x1a\n" + b"\0" * 32}
    )
    serve.get_by_role("button", name="登记送达").click()
    expect(page.locator(".flash-success")).to_contain_text("年")
    page.goto(f"/notices/{notice_id}")
    expect(page.locator("#receipts img.receipt-photo")).to_have_count(1)
    expect(page.locator("table.receipt")).to_contain_text("留置送达")
    shot("served_notice")


def test_registering_fills_birth_and_gender_from_the_id_number(page, shot, login_as):
    login_as(page, "teacher1")
    page.goto("/cases/new")
    number = idnumber.make("522727", date(2015, 3, 9), 124)  # an even 17th digit: a girl
    page.fill("#id_number", number)
    expect(page.locator("#birth_date")).to_have_value("2015-03-09")
    expect(page.locator("#gender")).to_have_value("female")
    # a primary school offers grades 1 to 6 only
    hidden = page.evaluate(
        "Array.from(document.querySelectorAll('#grade option')).filter(o => o.disabled).map(o => o.value)"
    )
    enabled = page.evaluate(
        "Array.from(document.querySelectorAll('#grade option')).filter(o => !o.disabled && o.value).map(o => o.value)"
    )
    assert set(hidden) | set(enabled) == {
        "一年级",
        "二年级",
        "三年级",
        "四年级",
        "五年级",
        "六年级",
        "七年级",
        "八年级",
        "九年级",
    }
    assert hidden and enabled
    assert_fits_width(page)
    shot("register_filled_from_the_id")


def test_a_user_is_placed_without_typing_a_code(page, shot, login_as):
    login_as(page, "admin")
    page.goto("/admin/users/new")
    page.fill("#username", "cadre_new")
    page.fill("#full_name", "新干部")
    page.select_option("#role", "village_cadre")
    counties = page.locator("#picker-county option:not([value=''])")
    if page.locator("#picker-county").input_value() == "":
        with page.expect_navigation():
            page.select_option("#picker-county", counties.first.get_attribute("value"))
    with page.expect_navigation():
        page.select_option("#picker-township", page.locator("#picker-township option").nth(1).get_attribute("value"))
    # what was typed before choosing the place is still there
    expect(page.locator("#full_name")).to_have_value("新干部")
    expect(page.locator("#role")).to_have_value("village_cadre")
    village = page.locator("#place optgroup[label^='村'] option").first
    page.select_option("#place", village.get_attribute("value"))
    assert_fits_width(page)
    shot("user_place_picker")
    page.fill("#password", "a-long-enough-password-2026")
    page.fill("#confirm", "a-long-enough-password-2026")
    page.get_by_role("button", name="创建用户").click()
    expect(page.locator(".flash-success")).to_contain_text("新干部")
    logout(page)
