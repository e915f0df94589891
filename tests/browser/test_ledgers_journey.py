"""A township official, on a phone, downloads the persuasion ledger of the list's filter and the
monthly report, and prints the sign-off roster to PDF on A4."""

import re
from io import BytesIO
from pathlib import Path

from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_login import assert_fits_width


def _download(page, link):
    with page.expect_download() as info:
        link.click()
    download = info.value
    return load_workbook(BytesIO(Path(download.path()).read_bytes()))


def test_township_downloads_the_ledger_and_the_monthly_report_and_prints_the_roster(page, login_as, shot):
    login_as(page, "township1")
    page.goto("/cases?stage=school_persuasion")
    listed = int(re.search(r"(\d+)", page.locator("h1 .muted").inner_text()).group(1))
    book = _download(page, page.get_by_role("link", name="下载劝返台账（Excel）"))
    assert book["劝返台账"].max_row - 2 == listed
    assert book["劝返台账"]["A2"].value == "学生姓名"
    shot("case-list")

    page.goto("/reports/monthly")
    expect(page.locator("h1")).to_contain_text("控辍保学月报")
    expect(page.locator("table.totals tr.total")).to_have_count(1)
    assert_fits_width(page)
    shot("monthly")
    monthly = _download(page, page.get_by_role("link", name="下载（Excel）"))
    assert monthly["月报汇总"]["A2"].value == "单位"

    page.get_by_role("link", name="签字确认名册").click()
    expect(page.locator("h1")).to_contain_text("签字确认名册")
    expect(page.locator("table.signatures")).to_contain_text("教育局片区负责人")
    shot("sign-off")
    SCREENSHOTS.mkdir(exist_ok=True)
    pdf = SCREENSHOTS / "test_ledgers_journey_sign-off.pdf"
    page.emulate_media(media="print")
    page.pdf(path=str(pdf), format="A4", print_background=True)
    assert pdf.stat().st_size > 1000
