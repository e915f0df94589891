"""Smoke test of the browser set-up: logging in and out on a phone, in Chinese."""

import re

from flask_babel import force_locale, gettext
from playwright.sync_api import expect
from sqlalchemy import select

from caseworks.accounts.models import User
from caseworks.core.audit import AuditEntry
from caseworks.extensions import db
from tests.browser.helpers import logout

CJK = re.compile(r"[\u4e00-\u9fff]")


def zh(live_app, msgid):
    """The Chinese text the live server shows for ``msgid``; fails if there is none."""
    with live_app.test_request_context(), force_locale("zh_CN"):
        text = gettext(msgid)
    assert CJK.search(text), f"no zh_CN translation for {msgid!r}"
    return text


def assert_fits_width(page):
    """Nothing sticks out sideways: the page scrolls only up and down."""
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.viewport_size["width"]
    assert width <= viewport, f"the page is {width}px wide on a {viewport}px screen"


def latest_audit_entry(live_app, username):
    with live_app.app_context():
        entry = db.session.scalars(
            select(AuditEntry).where(AuditEntry.actor_name == username).order_by(AuditEntry.id.desc()).limit(1)
        ).first()
        db.session.remove()
        return entry


def test_log_in_and_out_on_a_phone(page, shot, login_as, live_app):
    page.goto("/login")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    expect(page).to_have_title(re.compile("登录"))
    expect(page.locator("main h1")).to_have_text("登录")
    expect(page.locator("input[name='username']")).to_be_visible()
    shot("login")
    assert_fits_width(page)

    login_as(page, "admin")
    assert "/login" not in page.url
    with live_app.app_context():
        admin = db.session.scalar(select(User).where(User.username == "admin"))
        full_name = admin.full_name
        db.session.remove()
    who = page.locator("header .userbox .who")
    expect(who).to_be_visible()
    expect(who).to_contain_text(full_name)
    expect(who).to_contain_text(zh(live_app, "System administrator"))
    log_out_button = page.locator("header form[action$='/logout'] button")
    expect(log_out_button).to_have_text(zh(live_app, "Log out"))
    shot("logged_in")
    assert_fits_width(page)

    # what the browser's request wrote is committed and seen by the next request
    assert latest_audit_entry(live_app, "admin").kind == "login"
    page.reload()
    expect(who).to_contain_text(full_name)

    logout(page)
    assert page.url.endswith("/login")
    expect(page.locator(".flash")).to_have_text(zh(live_app, "You have logged out."))
    expect(page.locator("header .userbox")).to_have_count(0)
    shot("logged_out")
    assert latest_audit_entry(live_app, "admin").kind == "logout"
    # logged out for good: a page behind the login sends back to the form
    page.goto("/")
    assert "/login" in page.url


def test_wrong_password_shows_the_error_next_to_the_form(page, shot, login_as, live_app):
    login_as(page, "reviewer1", "not-the-password")
    assert "/login" in page.url
    error = page.locator("main [role='alert']")
    expect(error).to_have_text(zh(live_app, "Wrong username or password."))
    form = page.locator("main form:has(input[name='password'])")
    error_box, form_box = error.bounding_box(), form.bounding_box()
    # right above the form, inside the screen
    assert 0 <= form_box["y"] - (error_box["y"] + error_box["height"]) < 80
    assert error_box["x"] >= 0 and error_box["x"] + error_box["width"] <= 390
    expect(page.locator("header .userbox")).to_have_count(0)
    shot("wrong_password")
    assert_fits_width(page)
    assert latest_audit_entry(live_app, "reviewer1").kind == "login_failed"


def test_desktop_login_page(desktop_page, shot):
    desktop_page.goto("/login")
    expect(desktop_page.locator("main h1")).to_have_text("登录")
    shot("login")
    assert_fits_width(desktop_page)
