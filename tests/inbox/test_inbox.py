"""The inbox: a user's own messages, the unread count in the header, opening one goes to its case."""

from sqlalchemy import select

from caseworks.extensions import db
from caseworks.inbox.models import Message
from caseworks.inbox.operations import notify


def test_messages_their_count_and_opening_one(client, login, users, own_case):
    first = notify(users.teacher.id, "visit_due", "家访到期", body="请登记", case_id=own_case.id, dedupe_key="a")
    notify(users.teacher.id, "case_stale", "久未联系", dedupe_key="b")
    assert notify(users.teacher.id, "visit_due", "家访到期", case_id=own_case.id, dedupe_key="a") is None
    notify(users.teacher2.id, "visit_due", "别人的消息", dedupe_key="c")
    login(users.teacher)
    page = client.get("/inbox").get_data(as_text=True)
    assert "家访到期" in page and "久未联系" in page and "别人的消息" not in page
    assert '<span class="badge" id="unread-count">2</span>' in page
    response = client.post(f"/inbox/{first.id}/open")
    assert response.headers["Location"].endswith(f"/cases/{own_case.id}")
    assert '<span class="badge" id="unread-count">1</span>' in client.get("/inbox").get_data(as_text=True)
    client.post("/inbox/read-all")
    assert 'id="unread-count"' not in client.get("/inbox").get_data(as_text=True)
    assert all(m.read_dt for m in db.session.scalars(select(Message).where(Message.user_id == users.teacher.id)))


def test_another_users_message_is_not_found(client, login, users):
    other = notify(users.teacher2.id, "visit_due", "别人的消息", dedupe_key="c")
    login(users.teacher)
    assert client.post(f"/inbox/{other.id}/open").status_code == 404
    db.session.expire_all()
    assert other.read_dt is None
    client.post("/logout")
    assert client.get("/inbox").status_code == 302
