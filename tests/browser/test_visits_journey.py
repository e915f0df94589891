"""A teacher on a phone logs a home visit from "my visits" and sees it on the case timeline; the
township's overdue list shrinks by one. (Visits typed without signal: test_offline_journey.py.)"""

from playwright.sync_api import expect

from tests.browser.helpers import logout
from tests.browser.test_login import assert_fits_width


def _overdue_total(page):
    page.goto("/visits/overdue")
    return int(page.locator("main h1 .muted").inner_text())


def test_teacher_logs_a_visit_and_the_overdue_list_shrinks(page, shot, login_as):
    login_as(page, "township1")
    before = _overdue_total(page)
    assert before > 0
    shot("overdue_before")
    logout(page)

    login_as(page, "teacher1")
    page.goto("/visits/mine")
    overdue = page.locator("#overdue .case-list li")
    expect(overdue.first).to_be_visible()
    count = overdue.count()
    name = overdue.first.locator("a.name").inner_text()
    assert_fits_width(page)
    shot("my_visits")
    overdue.first.locator("a.button.primary").click()
    expect(page.locator("main h1")).to_have_text("登记家访")
    page.select_option("#method", "home_visit")
    page.fill("#met_with", "父亲、奶奶")
    page.fill("#findings", "孩子在家帮父亲放牛，父亲同意下周一送回学校。")
    page.select_option("#guardian_attitude", "supportive")
    page.select_option("#child_willingness", "willing")
    page.select_option("#outcome", "agreed_to_return")
    page.fill("#agreed_return_date", page.locator("#visit_date").input_value())
    page.fill("#next_step", "周一到校核查出勤")
    assert_fits_width(page)
    shot("log_form")
    page.get_by_role("button", name="保存家访记录").click()
    expect(page.locator(".flash-success")).to_have_text("家访已记录。")
    expect(page.locator("main h1")).to_contain_text(name)
    expect(page.locator("#timeline")).to_contain_text("孩子在家帮父亲放牛")
    expect(page.locator("#timeline")).to_contain_text("入户家访：同意返校")
    shot("timeline")
    page.goto("/visits/mine")
    expect(page.locator("#overdue .case-list li")).to_have_count(count - 1)
    logout(page)

    login_as(page, "township1")
    assert _overdue_total(page) == before - 1
    shot("overdue_after")
