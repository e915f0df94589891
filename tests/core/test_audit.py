"""The audit trail: a hash chain that `flask audit verify` checks, written in the same
transaction as the change it records."""

import hashlib
import json
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


# --- a keyed chain, anchored outside the database -------------------------------------------


def forge(first_id):
    """Recompute the chain from ``first_id`` on and move the head, as someone with write access
    to the database but without the audit key would: with the unkeyed SHA-256 the entries'
    public payload gives (what ``compute_hash`` was before the chain was keyed)."""
    db.session.expunge_all()
    prev = db.session.scalar(select(AuditEntry.hash).where(AuditEntry.id == first_id - 1)) or audit.GENESIS_HASH
    rows = db.session.scalars(select(AuditEntry).where(AuditEntry.id >= first_id).order_by(AuditEntry.id)).all()
    for entry in rows:
        entry.prev_hash = prev
        text_ = json.dumps(entry.payload(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        entry.hash = prev = hashlib.sha256(text_.encode()).hexdigest()
    db.session.flush()
    last_id = rows[-1].id if rows else first_id - 1
    tamper("UPDATE audit_head SET last_id = :id, last_hash = :hash", id=last_id, hash=prev)


@pytest.fixture
def checkpoint_file(app, tmp_path, monkeypatch):
    path = tmp_path / "audit_checkpoints.jsonl"
    monkeypatch.setitem(app.config, "AUDIT_CHECKPOINT_FILE", str(path))
    return path


@pytest.fixture
def anchored(chain, checkpoint_file):
    """The five entries, with a checkpoint written outside the database."""
    from caseworks.core import checkpoints

    assert checkpoints.write_checkpoint() is not None
    return chain


def test_verify_catches_an_entry_edited_and_the_chain_recomputed(app, chain):
    tamper("UPDATE audit_entry SET summary = 'x' WHERE id = 3")
    forge(3)
    result = run_verify(app)
    assert_broken_at(result, 3)
    assert "edited" in result.output


def test_verify_catches_an_entry_deleted_and_the_rest_renumbered(app, chain):
    tamper("DELETE FROM audit_entry WHERE id = 3")
    tamper("UPDATE audit_entry SET id = id - 1 WHERE id > 3")
    forge(3)
    assert_broken_at(run_verify(app), 3)


def test_verify_catches_a_cut_tail_with_the_head_moved_back(app, anchored):
    tamper("DELETE FROM audit_entry WHERE id >= 4")
    tamper("UPDATE audit_head SET last_id = 3, last_hash = (SELECT hash FROM audit_entry WHERE id = 3)")
    result = run_verify(app)
    assert_broken_at(result, 4)
    assert "checkpoint" in result.output and "ends at 3" in result.output


def test_verify_catches_every_entry_and_the_head_deleted(app, anchored):
    tamper("DELETE FROM audit_entry")
    tamper("DELETE FROM audit_head")
    result = run_verify(app)
    assert_broken_at(result, 1)
    assert "counts 5 entries" in result.output


def test_verify_catches_a_chain_rewritten_from_a_checkpointed_entry_with_the_key(app, anchored, users):
    """Even with the key (an insider on the application server), a rewrite of what a
    checkpoint signed shows."""
    tamper("DELETE FROM audit_entry WHERE id >= 3")
    tamper("UPDATE audit_head SET last_id = 2, last_hash = (SELECT hash FROM audit_entry WHERE id = 2)")
    for n in range(3):
        audit.record("change", f"rewritten {n}", module="tests", actor=users.admin)
    result = run_verify(app)
    assert_broken_at(result, 5)
    assert "checkpoint" in result.output


def test_verify_names_the_checkpoint_it_reached(app, anchored, users):
    audit.record("change", "after the checkpoint", module="tests", actor=users.admin)
    result = run_verify(app)
    assert result.exit_code == 0, result.output
    assert "6 entries verified" in result.output
    assert "reaches the latest checkpoint" in result.output and "5 entries" in result.output


def test_a_forged_checkpoint_line_is_refused(app, anchored, checkpoint_file):
    line = json.loads(checkpoint_file.read_text().splitlines()[0])
    line["last_id"] = line["count"] = 2
    with checkpoint_file.open("a") as out:
        out.write(json.dumps(line) + "\n")
    result = run_verify(app)
    assert result.exit_code == 1
    assert "not signed with the audit key" in result.output


def test_checkpoints_of_another_database_are_ignored(app, checkpoint_file, chain):
    from caseworks.core import checkpoints

    point = checkpoints.Checkpoint("postgresql://elsewhere/db", "2026-01-01T00:00:00+00:00", 99, 99, "0" * 64)
    fields = point.__dict__.copy()
    checkpoint_file.write_text(json.dumps({**fields, "sig": checkpoints.sign(fields)}) + "\n")
    assert run_verify(app).exit_code == 0


def test_the_checkpoint_job_writes_when_the_chain_grew_and_alarms_when_it_was_cut(app, checkpoint_file, chain, users):
    from caseworks.core.jobs import write_audit_checkpoint
    from caseworks.inbox.models import Message

    today = clock.today()
    assert write_audit_checkpoint(today) == {"written": 1, "last_id": 5}
    assert write_audit_checkpoint(today) == {"written": 0}  # nothing new: no line
    assert len(checkpoint_file.read_text().splitlines()) == 1
    assert oct(checkpoint_file.stat().st_mode & 0o777) == "0o600"
    audit.record("change", "one more", module="tests", actor=users.admin)
    assert write_audit_checkpoint(today) == {"written": 1, "last_id": 6}
    tamper("DELETE FROM audit_entry WHERE id >= 5")
    tamper("UPDATE audit_head SET last_id = 4, last_hash = (SELECT hash FROM audit_entry WHERE id = 4)")
    summary = write_audit_checkpoint(today)
    assert summary["written"] == 0 and "no longer reaches" in summary["broken"]
    assert len(checkpoint_file.read_text().splitlines()) == 2
    alarm = db.session.scalars(select(Message).where(Message.kind == "audit_broken")).one()
    assert alarm.user_id == users.admin.id


def test_the_checkpoint_job_does_not_vouch_for_entries_edited_since_the_last_one(app, checkpoint_file, chain):
    from caseworks.core.jobs import write_audit_checkpoint

    tamper("UPDATE audit_entry SET summary = 'x' WHERE id = 4")
    summary = write_audit_checkpoint(clock.today())
    assert summary["written"] == 0 and "entry 4" in summary["broken"]
    assert not checkpoint_file.exists()


def test_a_chain_written_before_the_key_is_named_and_rekeyed_by_command(app, chain, users):
    forge(1)  # what an installation upgraded from the unkeyed chain holds
    result = run_verify(app)
    assert_broken_at(result, 1)
    assert "audit rekey" in result.output
    rekeyed = app.test_cli_runner().invoke(args=["audit", "rekey"])
    assert rekeyed.exit_code == 0 and "5 entries" in rekeyed.output
    result = run_verify(app)
    assert result.exit_code == 0, result.output
    assert "6 entries verified" in result.output  # the rekey is itself in the trail
    again = app.test_cli_runner().invoke(args=["audit", "rekey"])
    assert "keyed already" in again.output


def test_rekey_refuses_a_broken_chain(app, chain):
    forge(1)
    tamper("UPDATE audit_entry SET summary = 'x' WHERE id = 2")
    rekeyed = app.test_cli_runner().invoke(args=["audit", "rekey"])
    assert rekeyed.exit_code == 1 and "entry 2" in rekeyed.output


def test_a_mixed_chain_keyed_after_an_upgrade_is_rekeyed(app, users):
    """Entries written before the upgrade (unkeyed), then after it (keyed)."""
    for n in range(3):
        audit.record("change", f"old {n}", module="tests", actor=users.admin)
    forge(1)
    audit.record("change", "new", module="tests", actor=users.admin)
    assert app.test_cli_runner().invoke(args=["audit", "rekey"]).exit_code == 0
    assert run_verify(app).exit_code == 0


@pytest.mark.parametrize("key", [None, "", "short"])
def test_the_app_does_not_start_without_an_audit_key(key):
    class Production(TestConfig):
        TESTING = False
        SECRET_KEY = "k" * 40
        AUDIT_KEY = key

    with pytest.raises(RuntimeError, match="audit key of at least 32 characters"):
        create_app(Production)


def test_rekey_refuses_a_chain_that_was_checkpointed(app, anchored):
    forge(1)  # someone rewrote the whole chain without the key, hoping for a rekey
    result = run_verify(app)
    assert_broken_at(result, 1)
    assert "rekey" not in result.output
    rekeyed = app.test_cli_runner().invoke(args=["audit", "rekey"])
    assert rekeyed.exit_code == 1 and "checkpoints" in rekeyed.output
