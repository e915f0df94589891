"""A township official's morning on a phone: log in, land on the township's dashboard, tap a
number, and find the list with exactly that many cases; the dashboard printed on A4."""

import re
import shutil
import subprocess

from playwright.sync_api import expect

from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_login import assert_fits_width, zh


def test_township_official_taps_a_number_and_finds_its_list(page, shot, login_as, live_app):
    login_as(page, "township1")
    assert page.url.endswith("/dashboard")  # lands on the township's work
    expect(page.locator("main h1")).to_contain_text(zh(live_app, "Dashboard"))
    expect(page.locator("#late-work h2")).to_have_text(zh(live_app, "Late work"))
    expect(page.locator("svg.chart").first).to_be_visible()
    shot("dashboard")
    assert_fits_width(page)

    # the overdue visits of the township: the number, then the list behind it
    number = page.locator("#late a.num[href*='flag=overdue_visit']")
    count = int(number.inner_text())
    assert count > 0
    number.scroll_into_view_if_needed()
    shot("dashboard_late_work")
    with page.expect_navigation():
        number.tap()
    assert "/cases?" in page.url and "flag=overdue_visit" in page.url
    expect(page.locator("main h1 .muted")).to_have_text(f"共 {count} 件")
    expect(page.locator("#flag")).to_have_value("overdue_visit")
    shot("list_behind_the_number")
    assert_fits_width(page)

    # a township's row by village, then the definitions one tap away
    page.goto("/dashboard")
    row_number = page.locator("#by-village table a.num").first
    village_count = int(row_number.inner_text())
    with page.expect_navigation():
        row_number.tap()
    assert re.search(r"village=\d+", page.url)
    expect(page.locator("main h1 .muted")).to_have_text(f"共 {village_count} 件")

    page.goto("/dashboard/definitions")
    expect(page.locator("main h1")).to_have_text(zh(live_app, "How the figures are counted"))
    assert_fits_width(page)
    shot("definitions")


def test_the_dashboard_prints_on_a4(page, login_as, shot):
    login_as(page, "township1")
    page.emulate_media(media="print")
    pdf = SCREENSHOTS / "test_the_dashboard_prints_on_a4_dashboard.pdf"
    SCREENSHOTS.mkdir(exist_ok=True)
    page.pdf(path=str(pdf), format="A4", print_background=True)
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    # A4 is 595 × 842 points
    assert re.search(rb"/MediaBox\s*\[\s*0 0 595\.\d+ 841\.\d+\s*\]", data) or b"595" in data
    pages = len(re.findall(rb"/Type\s*/Page[^s]", data))
    assert 2 <= pages <= 8, pages
    if shutil.which("pdftoppm"):  # a picture of the first two pages, to look at
        subprocess.run(
            ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "2", str(pdf), str(pdf.with_suffix(""))], check=True
        )
