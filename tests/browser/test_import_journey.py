"""Finding children, on a phone: principal1 imports the school's roster with mistakes, downloads
the error file, corrects it and imports it; township1 compares the household register with the
rosters (四查三比对) and opens two suspected cases."""

import io
from datetime import date

import openpyxl
from playwright.sync_api import expect
from sqlalchemy import select

from caseworks.accounts.models import User
from caseworks.cases.models import Case, Child
from caseworks.core import idnumber
from caseworks.enrolment.models import Enrolment
from caseworks.enrolment.queries import current_school_year
from caseworks.extensions import db
from tests.browser.test_login import assert_fits_width
from tests.enrolment.helpers import HEADER, pupil, xlsx_bytes

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BIRTH = date(2017, 3, 9)
NEW_IDS = [idnumber.make("110101", BIRTH, n) for n in (901, 902, 903, 904)]  # a region no demo child has
FORMULA = "=cmd|' /C calc'!A0"


def _school_roster(live_app):
    """The demo school's pupils as its roster lists them, one moved to another class."""
    with live_app.app_context():
        principal = db.session.scalar(select(User).where(User.username == "principal1"))
        rows = db.session.execute(
            select(Child, Enrolment)
            .join(Enrolment, Enrolment.child_id == Child.id)
            .where(
                Enrolment.school_id == principal.school_id,
                Enrolment.school_year == current_school_year(),
                Enrolment.status == "enrolled",
            )
            .order_by(Enrolment.id)
        ).all()
        roster = [
            {
                "姓名": child.name,
                "身份证号": child.id_number,
                "性别": "男" if child.gender == "male" else "女",
                "出生日期": child.birth_date.isoformat(),
                "全国学籍号": enrolment.student_no or "",
                "年级": enrolment.grade,
                "班级": enrolment.class_name,
                "监护人": enrolment.guardian_name,
                "联系电话": enrolment.guardian_phone,
                "户籍地": enrolment.household_place,
            }
            for child, enrolment in rows
        ]
    roster[0]["班级"] = "2班" if roster[0]["班级"] == "1班" else "1班"
    return roster


def _new_pupils():
    good, bad_check, bad_grade, formula = (
        pupil(0, name=name, birth=BIRTH, id_number=number, place="")
        for name, number in zip(("吴新生", "郑新生", "冯新生", "陈新生"), NEW_IDS, strict=True)
    )
    wrong = NEW_IDS[1][:-1] + ("1" if NEW_IDS[1][-1] != "1" else "2")
    bad_check.update({"身份证号": wrong, "全国学籍号": ""})
    bad_grade["年级"] = "七年级"
    formula["监护人"] = FORMULA
    return [good, bad_check, bad_grade, formula]


def _upload(page, content, filename):
    page.locator("nav.mainnav a", has_text="学籍名册").click()
    page.get_by_role("link", name="导入学籍名册").click()
    expect(page.locator("main h1")).to_have_text("导入文件")
    page.set_input_files("#file", files=[{"name": filename, "mimeType": XLSX, "buffer": content}])
    page.get_by_role("button", name="校验文件").click()
    expect(page.locator("#counts")).to_be_visible()


def test_principal_imports_a_roster_with_mistakes_and_the_corrected_error_file(page, shot, login_as, live_app):
    roster = _school_roster(live_app)
    login_as(page, "principal1")
    _upload(page, xlsx_bytes(roster + _new_pupils(), title_row="2026年秋季学生名单"), "学生名单.xlsx")
    shot("preview_first")
    expect(page.locator("#count-new")).to_have_text("1")
    expect(page.locator("#count-changed")).to_have_text("1")
    expect(page.locator("#count-unchanged")).to_have_text(str(len(roster) - 1))
    expect(page.locator("#count-invalid")).to_have_text("3")
    invalid = page.locator("#invalid-rows")
    expect(invalid).to_contain_text("校验位")
    expect(invalid).to_contain_text("没有七年级")
    expect(invalid).to_contain_text("公式")
    expect(page.locator("#changed-rows")).to_contain_text("班级")
    assert_fits_width(page)
    shot("preview")

    with page.expect_download() as download:
        page.locator("#error-file").click()
    workbook = openpyxl.load_workbook(io.BytesIO(download.value.path().read_bytes()))
    sheet = workbook.active
    header = [c.value for c in sheet[1]]
    assert header == HEADER + ["错误原因"]
    assert [row[0].value for row in sheet.iter_rows(min_row=2)] == ["郑新生", "冯新生", "陈新生"]
    assert sheet["K2"].value.startswith("身份证号") or "校验位" in sheet["K2"].value
    assert sheet["H4"].value == "'" + FORMULA and sheet["H4"].data_type == "s"  # inert: never a formula

    page.get_by_role("button", name="只导入正确的行").click()
    expect(page.locator(".flash-success")).to_contain_text("新增 1")
    expect(page.locator("#import-status")).to_have_text("已导入")
    shot("imported")

    # the principal corrects the three rows in the error file and imports it
    sheet["B2"] = NEW_IDS[1]
    sheet["F3"] = "三年级"
    sheet["H4"] = "陈大山"
    corrected = io.BytesIO()
    workbook.save(corrected)
    _upload(page, corrected.getvalue(), "学生名单 - 错误行.xlsx")
    expect(page.locator("#count-new")).to_have_text("3")
    expect(page.locator("#count-invalid")).to_have_text("0")
    expect(page.locator("#count-left")).to_have_text("0")
    expect(page.locator("#partial-note")).to_be_visible()
    shot("corrected_preview")
    page.get_by_role("button", name="导入", exact=True).click()
    expect(page.locator(".flash-success")).to_contain_text("新增 3")
    assert_fits_width(page)

    with live_app.app_context():
        numbers = set(
            db.session.scalars(select(Child.id_number).join(Enrolment).where(Child.id_number.in_(NEW_IDS[:4])))
        )
        assert numbers == set(NEW_IDS)
        moved = db.session.scalar(
            select(Enrolment.class_name).join(Child).where(Child.id_number == roster[0]["身份证号"])
        )
        assert moved == roster[0]["班级"]


def test_township_compares_the_registers_and_opens_two_suspected_cases(page, shot, login_as, live_app):
    login_as(page, "township1")
    page.locator("nav.mainnav a", has_text="四查三比对").click()
    expect(page.locator("main h1")).to_contain_text("四查三比对")
    suspected = page.locator("#suspected li")
    expect(suspected.first).to_be_visible()
    expect(page.locator("#suspected")).to_contain_text("户籍适龄，但不在任何学校名册")
    assert_fits_width(page)
    shot("matching")
    names = [suspected.nth(i).locator(".name").inner_text() for i in (0, 1)]
    for i in (0, 1):
        suspected.nth(i).locator("input[name='child']").check()
    page.get_by_role("button", name="为所选儿童建立疑似辍学案件").click()
    expect(page.locator(".flash-success")).to_contain_text("已建立 2 个疑似辍学案件")
    recognised = page.locator("#recognised")
    for name in names:
        expect(recognised).to_contain_text(name)
    shot("opened")

    for name in names:
        page.locator("#recognised a", has_text=name).click()
        expect(page.locator("main h1")).to_contain_text(name)
        expect(page.locator("main")).to_contain_text("核实")
        expect(page.locator("#case-source")).to_contain_text("户籍比对")
        assert_fits_width(page)
        shot(f"case_{names.index(name)}")
        page.go_back()

    with live_app.app_context():
        cases = db.session.scalars(
            select(Case).join(Child).where(Child.name.in_(names), Case.source.is_not(None))
        ).all()
        assert len(cases) == 2
        assert {(c.kind, c.stage) for c in cases} == {("suspected", "verification")}
        assert all(c.source in ("household_matching", "roster_left") for c in cases)


def test_teacher_takes_a_class_attendance_on_a_phone(page, shot, login_as, live_app):
    from caseworks.core import clock
    from caseworks.enrolment.absences import is_school_day, previous_school_day

    day = clock.today() if is_school_day(clock.today()) else previous_school_day(clock.today())
    login_as(page, "teacher1")
    page.locator("nav.mainnav a", has_text="考勤").click()
    expect(page.locator("main h1")).to_have_text("考勤")
    page.select_option("#class", index=1)
    page.fill("#date", day.isoformat())
    page.get_by_role("button", name="显示该班").click()
    rows = page.locator("ul.attendance li")
    expect(rows.first).to_be_visible()
    name = rows.first.locator(".name").inner_text()
    rows.first.locator("select[name^='mark_']").select_option("whole")
    assert_fits_width(page)
    shot("sheet")
    page.get_by_role("button", name="保存考勤").click()
    expect(page.locator(".flash-success")).to_contain_text("缺课 1 人")
    page.locator("nav.mainnav a", has_text="我的家访").click()
    expect(page.locator("#contact-tasks")).to_contain_text(name)
    assert_fits_width(page)
    shot("my_visits")
