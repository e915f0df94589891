"""send_reminders: in-app messages that never repeat, and e-mail when SMTP is configured."""

import socket
from collections import Counter
from datetime import timedelta

import pytest
from flask_babel import format_date
from sqlalchemy import select

from caseworks.core import clock
from caseworks.extensions import db
from caseworks.inbox.models import Message
from caseworks.visits import operations
from tests.fixtures.jobs import open_planned, run
from tests.inbox.smtp_sink import SmtpSink


def messages(**filters):
    query = select(Message).order_by(Message.id)
    for name, value in filters.items():
        query = query.where(getattr(Message, name) == value)
    return db.session.scalars(query).all()


def kinds_by_user(users):
    names = {u.id: name for name, u in vars(users).items()}
    return Counter((names[m.user_id], m.kind) for m in messages())


@pytest.fixture
def smtp_url(app, monkeypatch):
    """``smtp_url(url)`` configures SMTP for the test."""
    return lambda url: monkeypatch.setitem(app.config, "SMTP_URL", url)


@pytest.fixture
def no_smtp(app, monkeypatch):
    monkeypatch.setitem(app.config, "SMTP_URL", None)


def test_reminders_over_several_days_are_never_repeated(day0, make_case, users, no_smtp):
    case = make_case(teacher=users.teacher, cadre=users.village_cadre)  # weekly: due day0 + 7
    other = make_case(teacher=users.other_teacher, school=None, village=None)  # same township a1, no cadre
    counts = []
    for _ in range(40):
        clock.advance(days=1)
        run()
        run("send_reminders")  # the half-hourly runs in between add nothing
        counts.append(kinds_by_user(users))
    final = counts[-1]
    # one "due" and one "overdue" per planned visit, whatever the number of runs
    visit = open_planned(case, line="teacher")[0]
    assert final[("teacher", "visit_due")] == 1 and final[("teacher", "visit_overdue")] == 1
    # the village cadre is reminded of their own planned visit (双线控辍)
    assert final[("village_cadre", "visit_due")] == 1 and final[("village_cadre", "visit_overdue")] == 1
    assert final[("other_teacher", "visit_due")] == 1 and final[("other_teacher", "visit_overdue")] == 1
    # stale after 30 days without contact: teacher and cadre told once each
    assert final[("teacher", "case_stale")] == 1 and final[("village_cadre", "case_stale")] == 1
    assert final[("other_teacher", "case_stale")] == 1
    # the digest: one a day from the first overdue day (day 8) on, to the township official of a1 only
    assert final[("township_official", "overdue_digest")] == 40 - 7
    assert final[("other_township_official", "overdue_digest")] == 0
    digests = messages(kind="overdue_digest")
    # each case has a visit for each line; the other case's cadre line is held by nobody yet
    assert digests[-1].subject == "Overdue visits in 通州镇: 4" and digests[-1].case_id is None
    assert len({m.dedupe_key for m in digests}) == len(digests)
    for m in messages():
        if m.kind in ("visit_due", "visit_overdue", "case_stale"):
            assert m.case_id in (case.id, other.id)
    due = messages(kind="visit_due", user_id=users.teacher.id)[0]
    # dates as the interface shows them everywhere (English in the tests: "Mar 9, 2026")
    assert due.subject == f"Visit due on {format_date(visit.due_date)}: case {case.id}, 新场村"
    assert visit.reminded_dt is not None


def test_logging_the_visit_starts_a_new_round(day0, make_case, users, no_smtp):
    case = make_case(teacher=users.teacher)
    clock.advance(days=6)
    run()
    first = open_planned(case, line="teacher")[0]
    operations.log_visit(
        case, {"visit_date": clock.today(), "method": "home_visit", "outcome": "refused"}, users.teacher, planned=first
    )
    clock.advance(days=6)
    run()
    due = messages(kind="visit_due")
    assert [m.case_id for m in due] == [case.id, case.id] and due[0].dedupe_key != due[1].dedupe_key


def test_the_digest_waits_for_the_morning(day0, make_case, users, no_smtp):
    make_case(
        teacher=users.teacher, opened_date=day0 - timedelta(days=20), stage_entered_date=day0 - timedelta(days=20)
    )
    clock.set_now(clock.local_date_start(day0) + timedelta(hours=7))  # 07:00 local
    run()
    assert messages(kind="visit_overdue") and not messages(kind="overdue_digest")
    clock.advance(minutes=30)
    run("send_reminders")
    assert len(messages(kind="overdue_digest")) == 1


def test_no_email_without_smtp(day0, make_case, users, no_smtp):
    users.teacher.email = "teacher@example.cn"
    make_case(teacher=users.teacher)
    clock.advance(days=6)
    summary = run()["send_reminders"]
    assert "emailed" not in summary
    assert [m.emailed_dt for m in messages()] == [None]


def test_email_sent_once_when_smtp_is_configured(app, day0, make_case, users, smtp_url):
    users.teacher.email = "teacher@example.cn"  # the cadre has no address: in-app only
    case = make_case(
        teacher=users.teacher,
        cadre=users.village_cadre,
        opened_date=day0 - timedelta(days=40),
        stage_entered_date=day0 - timedelta(days=40),
    )
    with SmtpSink() as sink:
        smtp_url(sink.url)
        summary = run()["send_reminders"]
        assert summary["visit_overdue"] == 2 and summary["case_stale"] == 2  # each line's visit
        teacher_messages = messages(user_id=users.teacher.id)
        assert summary["emailed"] == len(teacher_messages) == 2
        assert all(m.emailed_dt is not None for m in teacher_messages)
        assert all(m.emailed_dt is None for m in messages(user_id=users.village_cadre.id))
        assert len(sink.messages) == 2
        sender, recipients, email = sink.messages[0]
        assert recipients == ["teacher@example.cn"] and sender == app.config["MAIL_FROM"]
        assert email["Subject"] == teacher_messages[0].subject
        assert f"case {case.id}" in email.get_content()
        clock.advance(hours=1)
        assert run("send_reminders")["send_reminders"]["emailed"] == 0
        assert len(sink.messages) == 2


def _dead_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_dead_smtp_server_keeps_the_inbox_messages(day0, make_case, users, smtp_url):
    users.teacher.email = "teacher@example.cn"
    make_case(teacher=users.teacher)
    clock.advance(days=6)
    smtp_url(f"smtp://user:secret@127.0.0.1:{_dead_port()}")
    summary = run()["send_reminders"]
    assert summary["visit_due"] == 1 and summary["emailed"] == 0 and "mail_error" in summary
    [message] = messages()
    assert message.emailed_dt is None
    # the next run, with the server back, sends what was left
    with SmtpSink() as sink:
        smtp_url(sink.url)
        assert run("send_reminders")["send_reminders"]["emailed"] == 1
        assert len(sink.messages) == 1 and message.emailed_dt is not None


def test_smtp_url_forms():
    from caseworks.inbox.mail import parse_smtp_url

    plain = parse_smtp_url("smtp://user%40x:p%3Ass@mail.example.cn:587")
    assert (plain.host, plain.port, plain.username, plain.password, plain.use_ssl) == (
        "mail.example.cn",
        587,
        "user@x",
        "p:ss",
        False,
    )
    secure = parse_smtp_url("smtps://mail.example.cn")
    assert (secure.port, secure.use_ssl, secure.username) == (465, True, None)
    with pytest.raises(ValueError, match=r"not an smtp:// or smtps:// URL: 'http://mail\.example\.cn'"):
        parse_smtp_url("http://mail.example.cn")
