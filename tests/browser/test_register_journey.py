"""A school administrator, on a phone, opens a case and registers a child: a mistyped ID number
is refused next to its field, the corrected one opens the case."""

from datetime import date

from playwright.sync_api import expect

from caseworks.core import idnumber
from tests.browser.test_login import assert_fits_width

BIRTH = date(2013, 3, 9)
GOOD_ID = idnumber.make("110101", BIRTH, 987)  # a region no demo child comes from
BAD_ID = GOOD_ID[:-1] + ("1" if GOOD_ID[-1] != "1" else "2")  # one wrong character


def test_principal_registers_a_child(page, shot, login_as):
    login_as(page, "principal1")
    expect(page.locator("main h1")).to_contain_text("工作台")  # a school administrator lands on the dashboard
    page.locator("nav.mainnav a", has_text="案件").click()
    expect(page.locator("main h1")).to_contain_text("案件")
    first_case = page.locator(".case-list li a.name").first
    name = first_case.inner_text()
    first_case.click()
    expect(page.locator("main h1")).to_contain_text(name)
    expect(page.locator("#timeline")).to_be_visible()
    assert_fits_width(page)
    shot("case")

    page.locator("nav.mainnav a", has_text="登记学生").click()
    expect(page.locator("main h1")).to_have_text("登记学生")
    page.fill("#name", "赵小兰")
    page.fill("#id_number", BAD_ID)
    page.fill("#birth_date", BIRTH.isoformat())
    page.select_option("#gender", "female" if idnumber.gender_of(GOOD_ID) == "female" else "male")
    page.fill("#address", "新寨村三组15号")
    page.fill("#guardians-0-name", "赵大海")
    page.fill("#guardians-0-phone", "13985012345")
    page.select_option("#kind", "dropped_out")
    page.fill("#dropout_date", "2026-09-01")
    page.get_by_label("厌学").check()
    page.get_by_label("留守儿童").check()
    page.get_by_role("button", name="登记并建档").click()

    error = page.locator("#field-id_number .error")
    expect(error).to_contain_text("校验位不正确")
    expect(page.locator("#id_number")).to_have_value(BAD_ID)
    assert_fits_width(page)
    shot("wrong_id_number")

    page.fill("#id_number", GOOD_ID)
    page.get_by_role("button", name="登记并建档").click()
    expect(page.locator(".flash-success")).to_contain_text("赵小兰")
    expect(page.locator("main h1")).to_contain_text("赵小兰")
    expect(page.locator("main")).to_contain_text(idnumber.mask(GOOD_ID))
    expect(page.locator("main")).to_contain_text("学校劝返")
    assert_fits_width(page)
    shot("registered")
