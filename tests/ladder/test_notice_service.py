"""Serving a notice: the served date defaults to today, the legal ways of service are offered with
the recipient's name, and the signed receipt (送达回证) can be photographed and attached — it shows
on the notice and on the county's review page. The stuck-cases digest links to exactly its cases."""

import io
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from caseworks.core import clock
from caseworks.core.choices import ClosedOutcome, Stage
from caseworks.extensions import db
from caseworks.inbox.models import Message
from caseworks.ladder import jobs
from caseworks.ladder.models import ClosureRequest, NoticeReceipt

TODAY = date(2026, 9, 7)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def frozen_clock():
    clock.set_now(clock.local_date_start(TODAY) + timedelta(hours=3))


@pytest.fixture
def notice(client, login, users, make_case):
    case = make_case(stage=Stage.TOWNSHIP_PERSUASION, teacher=users.teacher, cadre=users.village_cadre)
    login(users.township_official)
    response = client.post(
        f"/cases/{case.id}/notices/new", data={"kind": "urge", "recipient": "王大山", "deadline_days": 15}
    )
    assert response.status_code == 302
    from caseworks.ladder.models import Notice

    return db.session.scalars(select(Notice)).one()


def test_the_serve_form_starts_from_today_and_offers_the_legal_ways(client, notice):
    page = client.get(f"/notices/{notice.id}").get_data(as_text=True)
    form = page.split('id="serve"', 1)[1]
    assert f'name="served_date" required type="date" value="{TODAY.isoformat()}"' in form
    assert 'name="served_to" required type="text" value="王大山"' in form
    for way in ("直接送达", "留置送达", "邮寄送达", "委托送达", "公告送达"):
        assert way in form
    assert 'type="file"' in form and 'capture="environment"' in form


def test_a_photographed_receipt_shows_on_the_notice_and_the_review_page(client, login, users, notice):
    response = client.post(
        f"/notices/{notice.id}/serve",
        data={
            "served_date": TODAY.isoformat(),
            "service_method": "left_at_home",
            "served_to": "王大山",
            "served_by": "李乡长",
            "receipt": (io.BytesIO(PNG), "huizheng.png"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert notice.service_method == "left_at_home" and notice.deadline_date == TODAY + timedelta(days=15)
    receipt = db.session.scalars(select(NoticeReceipt)).one()
    page = client.get(f"/notices/{notice.id}").get_data(as_text=True)
    assert f"/notices/receipts/{receipt.id}" in page
    assert "Service by leaving it at the residence (留置送达)" in page
    photo = client.get(f"/notices/receipts/{receipt.id}")
    assert photo.status_code == 200 and photo.mimetype == "image/png"
    # the county reviewer sees it with the case's evidence
    db.session.add(
        ClosureRequest(
            case_id=notice.case_id,
            outcome=ClosedOutcome.AGED_OUT,
            from_stage=Stage.TOWNSHIP_PERSUASION,
            requested_by_id=users.township_official.id,
        )
    )
    notice.case.stage = Stage.PENDING_REVIEW
    db.session.flush()
    login(users.county_reviewer)
    review = client.get(f"/review/{notice.case_id}").get_data(as_text=True)
    assert f"/notices/receipts/{receipt.id}" in review
    # outside the case's scope the photo does not exist
    login(users.other_township_official)
    assert client.get(f"/notices/receipts/{receipt.id}").status_code == 404


def test_the_receipt_can_be_attached_after_the_service(client, notice):
    data = {"served_date": TODAY.isoformat(), "service_method": "direct", "served_to": "王大山", "served_by": "李乡长"}
    assert client.post(f"/notices/{notice.id}/serve", data=data).status_code == 302
    page = client.get(f"/notices/{notice.id}").get_data(as_text=True)
    assert "No photo of the signed receipt yet." in page
    fake = client.post(
        f"/notices/{notice.id}/receipt",
        data={"receipt": (io.BytesIO(b"not an image at all"), "x.png")},
        content_type="multipart/form-data",
    )
    assert fake.status_code == 422
    attached = client.post(
        f"/notices/{notice.id}/receipt",
        data={"receipt": (io.BytesIO(PNG), "huizheng.png")},
        content_type="multipart/form-data",
    )
    assert attached.status_code == 302
    assert db.session.scalars(select(NoticeReceipt)).one().notice_id == notice.id


def test_the_way_of_service_is_required(client, notice):
    data = {"served_date": TODAY.isoformat(), "served_to": "王大山", "served_by": "李乡长"}
    response = client.post(f"/notices/{notice.id}/serve", data=data)
    assert response.status_code == 422 and "Choose how the notice was served." in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "role,status",
    [
        ("teacher", 403),
        ("village_cadre", 403),
        ("school_admin", 403),
        ("township_official", 302),
        ("county_reviewer", 403),
        ("other_township_official", 404),
    ],
)
def test_who_may_attach_a_receipt(client, login, users, notice, role, status):
    data = {"served_date": TODAY.isoformat(), "service_method": "direct", "served_to": "王大山", "served_by": "李乡长"}
    assert client.post(f"/notices/{notice.id}/serve", data=data).status_code == 302
    login(getattr(users, role))
    response = client.post(
        f"/notices/{notice.id}/receipt",
        data={"receipt": (io.BytesIO(PNG), "huizheng.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == status


def test_the_stuck_cases_digest_links_to_exactly_its_cases(client, login, users, make_case, places):
    late = [
        make_case(stage=Stage.SCHOOL_PERSUASION, stage_entered_date=TODAY - timedelta(days=31)),
        make_case(stage=Stage.ADMINISTRATIVE, stage_entered_date=TODAY - timedelta(days=46)),
        # in township a2 by village, at school a1: township a1 sees it too
        make_case(stage=Stage.SCHOOL_PERSUASION, village=places.vil_a2a, stage_entered_date=TODAY - timedelta(days=40)),
    ]
    make_case(stage=Stage.SCHOOL_PERSUASION, stage_entered_date=TODAY - timedelta(days=5))
    make_case(stage=Stage.ADMINISTRATIVE, stage_entered_date=TODAY - timedelta(days=40))
    assert jobs.flag_stage_overdue(clock.today())["overdue"] == 3
    for user, expected in (
        (users.township_official, {c.id for c in late}),
        (users.other_township_official, {late[2].id}),
        (users.county_reviewer, {c.id for c in late}),
    ):
        message = db.session.scalars(select(Message).where(Message.user_id == user.id)).one()
        assert message.link == "/cases?flag=past_limit"
        assert message.subject.startswith(f"{len(expected)} cases")
        login(user)
        inbox = client.get("/inbox").get_data(as_text=True)
        assert "Show these cases" in inbox
        opened = client.post(f"/inbox/{message.id}/open")
        assert opened.headers["Location"] == "/cases?flag=past_limit"
        listed = client.get(opened.headers["Location"]).get_data(as_text=True)
        shown = {int(part.split('"', 1)[0]) for part in listed.split('href="/cases/')[1:] if part[0].isdigit()}
        assert shown == expected, user
