"""The audit trail: a hash chain that `flask audit verify` checks, written in the same
transaction as the change it records."""

from datetime import UTC, datetime
from itertools import pairwise

import pytest
from flask import abort
from sqlalchemy import func, select, text

from caseworks import create_app
from caseworks.core import audit, clock
from caseworks.core.audit import AuditEntry, AuditHead
from caseworks.extensions import db
from config import TestConfig
from tests.fixtures.users import PASSWORD


def entries():
    return db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()


def count(kind=None):
    query = select(func.count()).select_from(AuditEntry)
    if kind is not None:
        query = query.where(AuditEntry.kind == kind)
    return db.session.scalar(query)


@pytest.fixture
def chain(users):
    """Five entries by different actors, with before → after data; returned as ids."""
    clock.set_now(datetime(2026, 3, 2, 1, 30, 15, 123456, tzinfo=UTC))
    made = []
    for n, actor in enumerate([users.teacher, users.school_admin, None, users.county_reviewer, users.admin], 1):
        entry = audit.record(
            "change",
            f"change number {n} 第{n}次修改",
            module="tests",
            actor=actor,
            target=users.teacher,
            data=audit.changes({"stage": "school_persuasion", "n": n - 1}, {"stage": "returned", "n": n}),
        )
        made.append(entry.id)
        clock.advance(minutes=7)
    return made


def run_verify(app):
    """`flask --app wsgi audit verify` as the shell runs it, inside the test's transaction.
    The session forgets what it holds first, as a separate verifying process would."""
    db.session.expunge_all()
    return app.test_cli_runner().invoke(args=["audit", "verify"])


def tamper(sql, **params):
    """Change the table behind the application's back."""
    db.session.execute(text(sql), params)
    db.session.expunge_all()


# --- the chain ------------------------------------------------------------------------------


def test_record_chains_each_entry_to_the_previous(chain):
    rows = entries()
    assert [e.id for e in rows] == chain == [1, 2, 3, 4, 5]
    assert rows[0].prev_hash == audit.GENESIS_HASH
    for previous, entry in pairwise(rows):
        assert entry.prev_hash == previous.hash
    for entry in rows:
        assert len(entry.hash) == 64
        assert entry.hash == entry.compute_hash()
    head = db.session.get(AuditHead, 1)
    assert (head.last_id, head.last_hash) == (5, rows[-1].hash)


def test_record_keeps_who_what_and_when(chain, users):
    first, _, system, *_ = entries()
    assert first.user_id == users.teacher.id
    assert first.actor_name == "teacher_a"
    assert first.kind == "change"
    assert first.module == "tests"
    assert first.summary == "change number 1 第1次修改"
    assert (first.target_type, first.target_id) == ("User", users.teacher.id)
    assert first.data == {"before": {"n": 0, "stage": "school_persuasion"}, "after": {"n": 1, "stage": "returned"}}
    assert first.logged_dt == datetime(2026, 3, 2, 1, 30, 15, 123456, tzinfo=UTC)
    assert system.user_id is None
    assert system.actor_name == "system"


def test_changes_keeps_only_what_differs():
    assert audit.changes({"a": 1, "b": "x"}, {"a": 1, "b": "y"}) == {"before": {"b": "x"}, "after": {"b": "y"}}
    assert audit.changes({"a": 1}, {"a": 1}) == {"before": {}, "after": {}}


def test_verify_passes_on_a_clean_chain(app, chain):
    result = run_verify(app)
    assert result.exit_code == 0, result.output
    assert "ok" in result.output
    assert "5 entries verified" in result.output


def test_verify_passes_on_an_empty_trail(app):
    result = run_verify(app)
    assert result.exit_code == 0, result.output
    assert "0 entries verified" in result.output


def test_verify_survives_a_round_trip_through_the_database(app, chain):
    """Hashes are computed from what the database gives back, not only from what was written."""
    db.session.expunge_all()
    for entry in entries():
        assert entry.compute_hash() == entry.hash
    assert audit.verify(db.session).ok


def test_an_entry_logged_while_the_clock_is_set_to_local_time_verifies(app, users):
    """The hash covers logged_dt as the database gives it back (UTC), whatever zone the clock
    was set in."""
    clock.set_now(datetime(2026, 3, 2, 9, 30, tzinfo=clock.LOCAL_TZ))
    entry = audit.record("change", "recorded at 09:30 Beijing time", module="tests", actor=users.admin)
    assert entry.logged_dt == datetime(2026, 3, 2, 1, 30, tzinfo=UTC)
    assert entry.logged_dt.utcoffset().total_seconds() == 0
    result = run_verify(app)
    assert result.exit_code == 0, result.output


# --- tampering ------------------------------------------------------------------------------


def assert_broken_at(result, entry_id):
    assert result.exit_code == 1, result.output
    assert f"BROKEN at entry {entry_id}:" in result.output


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_entry SET summary = 'x' WHERE id = :id",
        """UPDATE audit_entry SET data = '{"before": {}, "after": {"stage": "closed"}}' WHERE id = :id""",
        "UPDATE audit_entry SET actor_name = 'someone_else' WHERE id = :id",
        "UPDATE audit_entry SET kind = 'view' WHERE id = :id",
    ],
    ids=["summary", "data", "actor", "kind"],
)
def test_verify_names_an_edited_entry(app, chain, sql):
    tamper(sql, id=3)
    result = run_verify(app)
    assert_broken_at(result, 3)
    assert "edited" in result.output
    assert "(2 entries before it verified)" in result.output


def test_verify_names_an_entry_edited_together_with_its_hash(app, chain):
    """Whoever recomputes the edited entry's own hash still breaks the next entry's link."""
    tamper("UPDATE audit_entry SET summary = 'x' WHERE id = 2")
    edited = db.session.get(AuditEntry, 2)
    tamper("UPDATE audit_entry SET hash = :hash WHERE id = 2", hash=edited.compute_hash())
    assert_broken_at(run_verify(app), 3)


def test_verify_names_the_entry_after_a_deleted_middle_entry(app, chain):
    # verify stops at the gap: on PostgreSQL its server-side cursor must still be closed
    # (an open one raises a ResourceWarning, an error under filterwarnings = error)
    tamper("DELETE FROM audit_entry WHERE id = 3")
    result = run_verify(app)
    assert_broken_at(result, 4)
    assert "expected entry 3" in result.output


def test_verify_catches_a_deleted_last_entry_through_the_head(app, chain):
    tamper("DELETE FROM audit_entry WHERE id = 5")
    result = run_verify(app)
    assert_broken_at(result, 5)
    assert "ends at 4" in result.output


def test_verify_catches_deleted_last_entries_through_the_head(app, chain):
    tamper("DELETE FROM audit_entry WHERE id >= 4")
    result = run_verify(app)
    assert_broken_at(result, 5)
    assert "ends at 3" in result.output


def test_verify_catches_an_emptied_table(app, chain):
    tamper("DELETE FROM audit_entry")
    assert_broken_at(run_verify(app), 5)


def test_verify_names_the_first_of_two_swapped_entries(app, chain):
    """Entries 2 and 4 trade places (ids swapped, so the order by id changes)."""
    tamper("UPDATE audit_entry SET id = -4 WHERE id = 4")
    tamper("UPDATE audit_entry SET id = 4 WHERE id = 2")
    tamper("UPDATE audit_entry SET id = 2 WHERE id = -4")
    result = run_verify(app)
    assert_broken_at(result, 2)
    assert "link to the previous entry" in result.output


def test_verify_names_the_first_of_two_entries_whose_contents_were_swapped(app, chain):
    tamper(
        "UPDATE audit_entry SET summary = CASE id WHEN 2 THEN 'change number 3 第3次修改' "
        "ELSE 'change number 2 第2次修改' END WHERE id IN (2, 3)"
    )
    assert_broken_at(run_verify(app), 2)


def test_verify_catches_a_forged_appended_entry(app, chain):
    """An entry inserted at the end without moving the head."""
    tamper(
        "INSERT INTO audit_entry (id, logged_dt, actor_name, kind, module, summary, data, prev_hash, hash) "
        "SELECT 6, logged_dt, 'forger', 'change', 'tests', 'forged', data, hash, hash FROM audit_entry WHERE id = 5"
    )
    result = run_verify(app)
    assert result.exit_code == 1, result.output


# --- one transaction with the change --------------------------------------------------------


def test_an_entry_in_a_rolled_back_savepoint_is_gone(app, users):
    audit.record("change", "kept", module="tests", actor=users.admin)
    savepoint = db.session.begin_nested()
    audit.record("change", "rolled back", module="tests", actor=users.admin)
    savepoint.rollback()
    assert [e.summary for e in entries()] == ["kept"]
    # the next entry takes the id the rolled-back one had, and the chain is whole
    after = audit.record("change", "after", module="tests", actor=users.admin)
    assert after.id == 2
    assert run_verify(app).exit_code == 0


def test_an_entry_recorded_by_a_request_that_fails_is_gone(app, users):
    """A request that records an entry and then ends in an error keeps nothing."""
    failing_app = create_app(TestConfig)

    @failing_app.post("/_record_then_fail")
    def record_then_fail():
        audit.record("change", "recorded before the failure", module="tests", actor=None)
        abort(409)

    @failing_app.post("/_record_then_succeed")
    def record_then_succeed():
        audit.record("change", "recorded by a good request", module="tests", actor=None)
        return "ok"

    with failing_app.test_client() as http:
        assert http.post("/_record_then_fail").status_code == 409
        assert count() == 0
        assert http.post("/_record_then_succeed").status_code == 200
    assert [e.summary for e in entries()] == ["recorded by a good request"]
    with failing_app.app_context():
        db.engine.dispose()


def test_a_successful_login_leaves_exactly_one_login_entry(client, users):
    response = client.post("/login", data={"username": "principal_a", "password": PASSWORD})
    assert response.status_code == 302
    assert count() == 1
    (entry,) = entries()
    assert entry.kind == "login"
    assert entry.user_id == users.school_admin.id
    assert entry.actor_name == "principal_a"
    assert entry.ip == "127.0.0.1"
