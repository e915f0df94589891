"""The persuasion ledger (劝返台账): the case list's cases for the same filter, cell by cell."""

import re
from datetime import date, timedelta
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from caseworks.core import clock
from caseworks.core.audit import AuditEntry
from caseworks.core.choices import CaseKind, Stage
from caseworks.extensions import db
from caseworks.visits.models import SupportMeasure, Visit

DAY0 = date(2026, 9, 7)


@pytest.fixture(autouse=True)
def frozen_clock():
    clock.set_now(clock.local_date_start(DAY0) + timedelta(hours=3))
    yield
    clock.set_now(None)


def _visit(case, when, outcome, findings, names="李老师、王村干部", method="home_visit"):
    visit = Visit(
        case_id=case.id,
        done_dt=clock.local_date_start(when) + timedelta(hours=10),
        visit_date=when,
        method=method,
        visitor_names=names,
        outcome=outcome,
        findings=findings,
        stage_at_visit=case.stage,
    )
    db.session.add(visit)
    db.session.flush()
    return visit


@pytest.fixture
def ledger_case(make_case, make_child, users):
    child = make_child(name='=HYPERLINK("http://x")', address="新场村三组12号\x01")
    case = make_case(
        child=child,
        teacher=users.teacher,
        cadre=users.village_cadre,
        dropout_date=date(2026, 5, 20),
        reasons=("study_aversion", "poverty"),
    )
    db.session.add(
        SupportMeasure(
            case_id=case.id, kind="financial_aid", detail="发放助学金", responsible="李校长", start_date=DAY0
        )
    )
    _visit(case, DAY0 - timedelta(days=9), "refused", "家长不同意返校")
    _visit(case, DAY0 - timedelta(days=2), "agreed_to_return", "约定下周一返校", method="phone")
    return case


def _download(client, **args):
    response = client.get("/cases/ledger.xlsx", query_string=args)
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    data = response.data
    response.close()  # the server's temporary file goes with the response
    return load_workbook(BytesIO(data))


def test_the_ledger_holds_each_case_and_each_attempt_cell_by_cell(client, login, users, ledger_case):
    login(users.township_official)
    book = _download(client)
    cases, attempts = book["劝返台账"], book["劝返记录"]
    assert cases["A1"].value.startswith(
        f"{users.township_official.place_name}控辍保学劝返台账（全部案件，2026年09月07日"
    )
    assert [c.value for c in cases[2]][:4] == ["学生姓名", "性别", "身份证号码", "就读学校及年级"]
    assert cases.freeze_panes == "A3" and attempts.freeze_panes == "A3"
    row = {header.value: cell for header, cell in zip(cases[2], cases[3], strict=True)}
    child = ledger_case.child
    # a name typed as a formula stays a name: stored as text, never as a formula
    assert row["学生姓名"].value == '=HYPERLINK("http://x")' and row["学生姓名"].data_type == "s"
    assert row["身份证号码"].value == child.id_number and row["身份证号码"].data_type == "s"
    assert row["辍学年月"].value == "2026-05"
    assert row["家庭住址"].value == "新场村三组12号?"  # a control character cannot break the file
    assert row["监护人姓名"].value == "王大山（Father）"
    assert row["电话"].value == "13800138000"
    assert row["包保教师"].value == users.teacher.full_name and row["包村干部"].value == users.village_cadre.full_name
    assert row["当前阶段"].value == "School persuasion"
    assert row["劝返次数"].value == 2
    assert row["最近劝返时间"].value.date() == date(2026, 9, 5) and row["最近劝返时间"].is_date
    assert "约定下周一返校" in row["劝返情况"].value
    assert "发放助学金" in row["已采取的帮扶措施"].value
    assert cases.max_row == 3
    # the attempts, in order, numbered
    lines = [[c.value for c in r] for r in attempts.iter_rows(min_row=3)]
    assert [(line[2], line[4].date()) for line in lines] == [(1, date(2026, 8, 29)), (2, date(2026, 9, 5))]
    assert lines[0][3] == "李老师、王村干部" and "家长不同意返校" in lines[0][6]
    assert lines[1][5] == "Phone call"


def test_the_ledger_has_as_many_rows_as_the_list_for_the_same_filter(client, login, users, make_case, places):
    make_case(stage=Stage.TOWNSHIP_PERSUASION)
    make_case(stage=Stage.TOWNSHIP_PERSUASION, kind=CaseKind.NEVER_ENROLLED, school=None)
    make_case(kind=CaseKind.SUSPECTED)
    make_case(village=places.vil_a1b if hasattr(places, "vil_a1b") else places.vil_a1a)
    login(users.township_official)
    for args in ({}, {"stage": "township_persuasion"}, {"kind": "suspected"}, {"kind": "never_enrolled"}, {"q": "王"}):
        page = client.get("/cases", query_string=args).get_data(as_text=True)
        listed = int(re.search(r"(\d+) found", page).group(1))
        book = _download(client, **args)
        assert book["劝返台账"].max_row - 2 == listed, args


def test_the_county_gets_masked_numbers_and_the_file_says_so(client, login, users, ledger_case):
    login(users.county_reviewer)
    book = _download(client)
    sheet = book["劝返台账"]
    assert "(ID numbers masked)" in sheet["A1"].value
    assert "*" in sheet["C3"].value and sheet["C3"].value != ledger_case.child.id_number


@pytest.mark.parametrize("role", ["teacher", "village_cadre", "admin"])
def test_only_the_school_township_and_county_export(client, login, users, role):
    login(getattr(users, role))
    assert client.get("/cases/ledger.xlsx").status_code == 403


def test_each_export_is_in_the_audit_trail_with_its_filter_and_count(client, login, users, ledger_case):
    login(users.school_admin)
    _download(client, stage="school_persuasion")
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.module == "ledgers")).one()
    assert entry.kind == "export" and entry.user_id == users.school_admin.id
    assert entry.data["case_filters"] == {"stage": "school_persuasion"}
    assert entry.data["rows"] == 1 and entry.data["full_ids"] is True
