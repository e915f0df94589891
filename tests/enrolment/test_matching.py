"""Register matching (四查三比对) on a hand-built example: a household list of 12 children,
rosters holding 9 of them, one with an open case, one too old; a pupil who left a roster; a
pushed list; the poverty list's children given their special group."""

from datetime import date

import pytest
from sqlalchemy import select

from caseworks.cases.models import Case, Child
from caseworks.core import idnumber
from caseworks.extensions import db
from tests.enrolment.helpers import csv_bytes, pupil, upload, xlsx_bytes

HOUSEHOLD_HEADER = ["姓名", "身份证号", "性别", "出生日期", "户籍所在村", "户主姓名", "联系电话"]


def person(n, name, birth=date(2016, 3, 5), village="通州镇新场村"):
    number = idnumber.make("522727", birth, n)
    return {
        "姓名": name,
        "身份证号": number,
        "性别": "男" if idnumber.gender_of(number) == "male" else "女",
        "出生日期": birth.isoformat(),
        "户籍所在村": village,
        "户主姓名": "户主" + name[0],
        "联系电话": "13900000000",
    }


ON_ROSTERS = [person(n, f"在校{n}") for n in range(1, 10)]
NOT_ENROLLED = person(10, "赵未学", village="通州镇平里村")
WITH_CASE = person(11, "钱有案")
TOO_OLD = person(12, "孙超龄", birth=date(2009, 5, 1))  # 17 on 31 August 2026
LEFT = 20  # a pupil on school a1's roster who then left it


def _done(client, response, data=None):
    batch_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert client.post(f"/imports/{batch_id}/confirm", data=data or {}).status_code == 302
    return batch_id


@pytest.fixture
def example(client, login, users, places, make_child, make_case):
    login(users.school_admin)
    roster = [pupil(n, name=row["姓名"], id_number=row["身份证号"]) for n, row in enumerate(ON_ROSTERS, 1)]
    left = pupil(LEFT, name="李离校")
    _done(client, upload(client, xlsx_bytes(roster + [left]), school_id=places.school_a1.id))
    _done(client, upload(client, xlsx_bytes(roster), school_id=places.school_a1.id))  # 李离校 is gone
    child = make_child(name="钱有案", id_number=WITH_CASE["身份证号"], birth=date(2016, 3, 5), gender="female")
    make_case(child=child, kind="dropped_out")
    db.session.commit()

    login(users.township_official)
    household = ON_ROSTERS + [NOT_ENROLLED, WITH_CASE, TOO_OLD]
    response = upload(client, xlsx_bytes(household, header=HOUSEHOLD_HEADER), "户籍.xlsx", kind="household")
    _done(client, response)
    pushed = [{"姓名": "周推送", "身份证号": idnumber.make("522727", date(2014, 6, 1), 31), "原就读学校": "外县某中学"}]
    response = upload(client, csv_bytes(pushed, header=["姓名", "身份证号", "原就读学校"]), "推送.csv", kind="pushed")
    _done(client, response)
    poverty = [{"姓名": "在校1", "身份证号": ON_ROSTERS[0]["身份证号"]}]
    response = upload(client, csv_bytes(poverty, header=["姓名", "身份证号"]), "监测.csv", kind="poverty")
    _done(client, response)
    return users


def test_the_expected_children_are_listed(client, example):
    from caseworks.enrolment import matching

    result = matching.match(example.township_official, 2026)
    suspected = {item.child.name: item.reasons for item in result.suspected}
    assert suspected == {
        "赵未学": ["household_not_enrolled"],
        "李离校": ["roster_left"],
        "周推送": ["pushed"],
    }
    assert [item.child.name for item in result.recognised] == ["钱有案"]
    assert result.counts["household"] == 12 and result.counts["enrolled"] == 9
    first = db.session.scalar(select(Child).where(Child.name == "在校1"))
    assert "poverty" in first.groups

    page = client.get("/matching").get_data(as_text=True)
    for name in ("赵未学", "李离校", "周推送", "钱有案"):
        assert name in page
    assert "孙超龄" not in page and "在校2" not in page


def test_the_chosen_children_are_opened_as_suspected_cases_with_their_source(client, example, places):
    ids = {
        c.name: c.id for c in db.session.scalars(select(Child).where(Child.name.in_(["赵未学", "李离校", "周推送"])))
    }
    response = client.post(
        "/matching/open",
        data={
            "school_year": 2026,
            "child": [ids["赵未学"], ids["李离校"], ids["周推送"]],
            f"village_{ids['周推送']}": places.vil_a1b.id,
        },
    )
    assert response.status_code == 302
    cases = {c.child.name: c for c in db.session.scalars(select(Case).where(Case.child_id.in_(ids.values())))}
    assert set(cases) == {"赵未学", "李离校", "周推送"}
    for case in cases.values():
        assert (case.kind, case.stage) == ("suspected", "verification")
    assert cases["赵未学"].source == "household_matching" and cases["赵未学"].village_id == places.vil_a1b.id
    assert cases["赵未学"].source_label == "Household register matching (户籍比对) 2026 autumn"
    assert cases["李离校"].source == "roster_left" and cases["李离校"].school_id == places.school_a1.id
    assert cases["李离校"].grade == "三年级"
    assert cases["周推送"].source == "pushed_list"
    page = client.get(f"/cases/{cases['赵未学'].id}").get_data(as_text=True)
    assert "Household register matching" in page

    # listed no more: each now has an open case
    from caseworks.enrolment import matching

    result = matching.match(example.township_official, 2026)
    assert result.suspected == []
    assert len(result.recognised) == 4
    again = client.post("/matching/open", data={"school_year": 2026, "child": [ids["赵未学"]]})
    assert again.status_code == 302
    assert db.session.scalar(select(Case.id).where(Case.child_id == ids["赵未学"])) == cases["赵未学"].id


def test_a_county_reviewer_sees_the_list_but_does_not_open_cases(client, login, example):
    login(example.county_reviewer)
    page = client.get("/matching").get_data(as_text=True)
    assert "赵未学" in page and 'name="child"' not in page
