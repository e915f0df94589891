"""One way to refuse a request (core.views.refusals), and rules that used to live in views and
templates: each now holds for every caller."""

from datetime import date, timedelta

import pytest
from flask import get_flashed_messages
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from caseworks.cases import operations as case_ops
from caseworks.cases.models import Case, Child
from caseworks.core import clock
from caseworks.core.choices import Stage
from caseworks.core.errors import Refused, VersionConflict
from caseworks.core.forms import EmptyForm
from caseworks.core.views import CONFLICT_MESSAGE, page_status, refusals
from caseworks.extensions import db
from caseworks.inbox.models import Message
from caseworks.ladder import jobs
from caseworks.ladder.models import Notice


@pytest.fixture
def request_ctx(app):
    with app.test_request_context("/", method="POST"):
        yield


def test_a_refusal_undoes_what_the_operation_changed_and_says_why(request_ctx, make_case):
    case = make_case()
    form = EmptyForm(meta={"csrf": False})
    with refusals(form) as done:
        case.situation = "half-made change"
        db.session.flush()
        raise Refused("Not now.")
    assert not done and done.status == 422 and page_status(done) == 422
    db.session.refresh(case)
    assert case.situation != "half-made change"
    assert get_flashed_messages() == ["Not now."]


def test_a_refusal_with_a_field_goes_by_that_field(request_ctx):
    from wtforms import StringField

    class Form(EmptyForm):
        reason = StringField()

    form = Form(meta={"csrf": False})
    with refusals(form) as done:
        raise Refused("Give the reason.", "reason")
    assert done.status == 422 and form.reason.errors == ["Give the reason."]
    assert get_flashed_messages() == []


def test_a_conflict_is_409_with_the_conflict_message(request_ctx):
    with refusals() as done:
        raise VersionConflict()
    assert done.status == 409 and get_flashed_messages() == [str(CONFLICT_MESSAGE)]


def test_a_duplicate_is_409_only_where_the_caller_expects_one(request_ctx, make_child):
    child = make_child()

    def same_child_again():
        columns = ("name", "gender", "birth_date", "id_number", "household_village_id", "address")
        db.session.add(Child(**{c: getattr(child, c) for c in columns}))
        db.session.flush()

    with refusals(duplicate=True) as done:
        same_child_again()
    assert done.duplicate and done.status == 409
    assert db.session.scalar(select(func.count()).select_from(Child).where(Child.id_number == child.id_number)) == 1
    with pytest.raises(IntegrityError, match="(?i)unique|duplicate"), refusals():
        same_child_again()


def test_what_went_through_is_kept(request_ctx, make_case):
    case = make_case()
    with refusals() as done:
        case.situation = "kept"
    assert done and done.status is None
    assert db.session.get(Case, case.id).situation == "kept"


def test_school_staff_cannot_register_a_child_without_a_school_even_past_the_form(users, places):
    data = {
        "village_id": places.vil_a1a.id,
        "school_id": 0,
        "id_number": "522727201303091231",
    }
    villages = {places.town_a1.name: [(places.vil_a1a.id, places.vil_a1a.name)]}
    with pytest.raises(case_ops.CaseError, match="school staff register children at their own school"):
        case_ops.register_case(data, users.school_admin, villages=villages, schools=[places.school_a1])


def test_a_lapsed_deadline_shows_on_the_case_page_where_the_job_flags_it(client, login, users, make_case):
    """At township persuasion too: the inbox message and the case page agree."""
    case = make_case(stage=Stage.TOWNSHIP_PERSUASION, teacher=users.teacher, cadre=users.village_cadre)
    day0 = date(2026, 9, 7)
    clock.set_now(clock.local_date_start(day0) + timedelta(hours=2))
    try:
        notice = Notice(
            case_id=case.id,
            kind="urge",
            number=1,
            year=2026,
            county_id=case.county_id,
            document_no="义劝通字〔2026〕第1号",
            title="督促复学通知书",
            body="…",
            issuer="新场镇人民政府",
            recipient="王大山",
            issued_by_id=users.township_official.id,
            deadline_days=15,
            served_date=day0,
            deadline_date=day0 + timedelta(days=15),
        )
        db.session.add(notice)
        db.session.flush()
        login(users.township_official)
        assert "Deadline passed" not in client.get(f"/cases/{case.id}").get_data(as_text=True)
        clock.advance(days=16)
        jobs.flag_lapsed_deadlines(clock.today())
        assert db.session.scalar(
            select(func.count())
            .select_from(Message)
            .where(Message.kind == "deadline_lapsed", Message.case_id == case.id)
        )
        assert "Deadline passed" in client.get(f"/cases/{case.id}").get_data(as_text=True)
    finally:
        clock.set_now(None)
