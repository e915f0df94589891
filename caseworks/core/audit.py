"""The audit trail: one append-only, hash-chained table.

Every operation that changes data calls :func:`record` before the request or job commits, so
the entry lands in the same transaction as the change or not at all. Each entry carries the hash
of the one before it; :func:`verify` walks the chain and names the first entry that does not fit.
The single ``audit_head`` row holds the last id and hash: writers lock it, which serialises
appends, and it lets :func:`verify` notice a deleted tail.

The hash is an HMAC-SHA256 keyed with the audit key (``CASEWORKS_AUDIT_KEY`` or
``instance/audit_key``), which is not in the database: whoever can write to the database but
does not hold the key cannot recompute the chain after changing it. Cutting the tail (or
emptying the table) and moving the head back leaves a shorter chain that is whole; the signed
checkpoints kept outside the database (:mod:`caseworks.core.checkpoints`) catch that.
"""

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, Optional

from flask import current_app, g, has_request_context, request
from flask_login import current_user
from sqlalchemy import ForeignKey, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseworks.core import clock
from caseworks.extensions import db

GENESIS_HASH = "0" * 64


class AuditEntry(db.Model):
    __tablename__ = "audit_entry"

    #: assigned from audit_head under its lock, so ids are gapless and ordered like the chain
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    logged_dt: Mapped[datetime]
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"), index=True)
    #: the username as typed (for failed logins) or the user's name at the time
    actor_name: Mapped[str] = mapped_column(String(64), index=True)
    #: create, change, assign, transition, login, login_failed, logout, export, view_sensitive...
    kind: Mapped[str] = mapped_column(String(32), index=True)
    module: Mapped[str] = mapped_column(String(32))
    summary: Mapped[str] = mapped_column(Text)
    target_type: Mapped[Optional[str]] = mapped_column(String(32))
    target_id: Mapped[Optional[int]]
    case_id: Mapped[Optional[int]] = mapped_column(index=True)
    #: {"before": {...}, "after": {...}} or other JSON-native details
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    ip: Mapped[Optional[str]] = mapped_column(String(45))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    user = relationship("User")

    def payload(self):
        return {
            "id": self.id,
            "logged_dt": self.logged_dt.isoformat(),
            "user_id": self.user_id,
            "actor_name": self.actor_name,
            "kind": self.kind,
            "module": self.module,
            "summary": self.summary,
            "target_type": self.target_type,
            "target_id": self.target_id,
            "case_id": self.case_id,
            "data": self.data,
            "ip": self.ip,
            "prev_hash": self.prev_hash,
        }

    def _payload_bytes(self):
        return json.dumps(self.payload(), sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()

    def compute_hash(self, key=None):
        """The entry's HMAC-SHA256 under the audit key (the configured one unless given)."""
        return hmac.new(key or audit_key(), self._payload_bytes(), hashlib.sha256).hexdigest()

    def legacy_hash(self):
        """The unkeyed SHA-256 that entries carried before the chain was keyed."""
        return hashlib.sha256(self._payload_bytes()).hexdigest()


class AuditHead(db.Model):
    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_id: Mapped[int] = mapped_column(default=0)
    last_hash: Mapped[str] = mapped_column(String(64), default=GENESIS_HASH)


#: keys shorter than this are refused (a guessable key lets anyone rewrite the chain)
MIN_AUDIT_KEY_LENGTH = 32


def audit_key() -> bytes:
    """The key of the chain's HMAC, from the configuration (never from the database)."""
    key = current_app.config.get("AUDIT_KEY")
    if not key or len(key) < MIN_AUDIT_KEY_LENGTH:
        raise RuntimeError(
            "the audit trail needs a key of at least 32 characters: set CASEWORKS_AUDIT_KEY, or run "
            "`make audit-key` to keep a generated one in instance/audit_key"
        )
    return key.encode()


def jsonable(value):
    """Turn model values into JSON-native ones that hash the same after a round trip."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        items = [jsonable(v) for v in value]
        return sorted(items, key=str) if isinstance(value, set) else items
    return value


def changes(before: dict, after: dict) -> dict:
    """The fields that differ, as {"before": {...}, "after": {...}}."""
    keys = [k for k in after if jsonable(before.get(k)) != jsonable(after.get(k))]
    return {
        "before": {k: jsonable(before.get(k)) for k in keys},
        "after": {k: jsonable(after.get(k)) for k in keys},
    }


def _lock_head(session):
    head = session.get(AuditHead, 1, with_for_update=True, populate_existing=True)
    if head is None:
        head = AuditHead(id=1, last_id=0, last_hash=GENESIS_HASH)
        session.add(head)
        session.flush()
    return head


def _default_actor():
    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user._get_current_object()
    return None


def record(
    kind,
    summary,
    *,
    module,
    actor=None,
    actor_name=None,
    target=None,
    case=None,
    data=None,
    session=None,
):
    """Append one entry to the chain in the current transaction and return it.

    ``actor`` defaults to the logged-in user; jobs pass None and are logged as "system".
    """
    actor = actor if actor is not None else _default_actor()
    fields = {
        "logged_dt": clock.now(),
        "user_id": actor.id if actor is not None else None,
        "actor_name": actor_name or (actor.username if actor is not None else "system"),
        "kind": kind,
        "module": module,
        "summary": str(summary),
        "target_type": type(target).__name__ if target is not None else None,
        "target_id": target.id if target is not None else None,
        "case_id": case.id if case is not None else None,
        "data": jsonable(data or {}),
        "ip": request.remote_addr if has_request_context() else None,
    }
    return _append(session or db.session, fields)


def _append(session, fields):
    head = _lock_head(session)
    entry = AuditEntry(id=head.last_id + 1, prev_hash=head.last_hash, **fields)
    entry.hash = entry.compute_hash(audit_key())
    session.add(entry)
    head.last_id = entry.id
    head.last_hash = entry.hash
    session.flush()
    return entry


#: the entry fields a read keeps in ``g`` to write it again after a rollback
_READ_FIELDS = (
    "logged_dt",
    "user_id",
    "actor_name",
    "kind",
    "module",
    "summary",
    "target_type",
    "target_id",
    "case_id",
    "data",
    "ip",
)


def record_read(kind, summary, **kwargs):
    """Record that someone saw something sensitive (a full ID number): like :func:`record`,
    but the entry outlives the request's rollback. A page that shows the number and then answers
    with an error status (a refused form shown again) has still shown it; the request teardown
    calls :func:`keep_reads` after rolling back."""
    entry = record(kind, summary, **kwargs)
    if has_request_context():
        g.setdefault("audited_reads", []).append({f: getattr(entry, f) for f in _READ_FIELDS})
    return entry


def keep_reads(session=None):
    """Write again, and commit, the reads recorded by a request whose changes were rolled back.
    Returns how many."""
    reads = g.pop("audited_reads", []) if has_request_context() else []
    if not reads:
        return 0
    session = session or db.session
    for fields in reads:
        _append(session, fields)
    session.commit()
    return len(reads)


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    entry_id: Optional[int] = None
    problem: Optional[str] = None
    #: the latest checkpoint the chain was checked against, if any
    checkpoint: Optional[Any] = None


LEGACY_PROBLEM = (
    "it carries an unkeyed hash, written before the chain was keyed: run `flask --app wsgi audit rekey` "
    "once after upgrading"
)


def verify(session=None, batch=5000, *, checkpoints=()) -> VerifyResult:
    """Walk the whole chain in id order and report the first entry that breaks it.

    ``checkpoints`` (signed, kept outside the database: :mod:`caseworks.core.checkpoints`) each
    name an entry and its hash; the chain must pass through every one of them and reach the
    latest, so a chain cut short, emptied or rewritten from an earlier entry on is caught even
    when its head was moved to match.
    """
    session = session or db.session
    key = audit_key()
    marks = {c.last_id: c for c in checkpoints}
    latest = max(checkpoints, key=lambda c: c.last_id) if checkpoints else None
    expected_prev = GENESIS_HASH
    expected_id = 1
    checked = 0
    cols = select(AuditEntry).order_by(AuditEntry.id).execution_options(yield_per=batch)
    result = session.scalars(cols)
    try:
        for entry in result:
            if entry.id != expected_id:
                return VerifyResult(
                    False, checked, entry.id, f"expected entry {expected_id} here; entries are missing or out of order"
                )
            if entry.prev_hash != expected_prev:
                return VerifyResult(
                    False,
                    checked,
                    entry.id,
                    "its link to the previous entry is broken (an entry before it was removed, changed or reordered)",
                )
            if entry.compute_hash(key) != entry.hash:
                # only a chain unkeyed from its start, never checkpointed, can be one from before the
                # key; an unkeyed entry after a keyed one was recomputed by someone without the key
                if entry.id == 1 and not marks and entry.legacy_hash() == entry.hash:
                    return VerifyResult(False, checked, entry.id, LEGACY_PROBLEM)
                return VerifyResult(False, checked, entry.id, "its content does not match its hash (it was edited)")
            mark = marks.get(entry.id)
            if mark is not None and mark.head != entry.hash:
                return VerifyResult(
                    False,
                    checked,
                    entry.id,
                    f"it is not the entry the checkpoint of {mark.written} signed (the chain was rewritten)",
                )
            expected_prev = entry.hash
            expected_id += 1
            checked += 1
            session.expunge(entry)
    finally:
        # stop the server-side cursor even when the walk ends early at a broken entry
        result.close()
    head = session.get(AuditHead, 1)
    last_id = expected_id - 1
    if head is None and checked:
        return VerifyResult(False, checked, last_id, "the chain head is missing")
    if head is not None and (head.last_id != last_id or head.last_hash != expected_prev):
        return VerifyResult(
            False,
            checked,
            head.last_id,
            f"the chain head points at entry {head.last_id} but the chain ends at {last_id} "
            "(entries at the end were removed or changed)",
        )
    if latest is not None and latest.last_id > last_id:
        return VerifyResult(
            False,
            checked,
            last_id + 1,
            f"the checkpoint of {latest.written} counts {latest.last_id} entries but the chain ends at {last_id} "
            "(entries at the end were removed)",
            latest,
        )
    return VerifyResult(True, checked, checkpoint=latest)


def append_many(session, rows, *, batch=5000):
    """Append many entries at once (bulk loads such as the demo data), chained exactly as
    :func:`record` chains them, and move the head. Returns the number of entries written.

    Each row is a dict with ``kind``, ``module`` and ``summary`` and optionally ``user_id``,
    ``actor_name`` (default "system"), ``target_type``, ``target_id``, ``case_id``, ``data``,
    ``ip`` and ``logged_dt`` (default now).
    """
    from sqlalchemy import insert

    head = _lock_head(session)
    last_id, last_hash = head.last_id, head.last_hash
    now = clock.now()
    key = audit_key()
    pending = []
    written = 0
    for row in rows:
        entry = AuditEntry(
            id=last_id + 1,
            logged_dt=row.get("logged_dt") or now,
            user_id=row.get("user_id"),
            actor_name=row.get("actor_name") or "system",
            kind=row["kind"],
            module=row["module"],
            summary=str(row["summary"]),
            target_type=row.get("target_type"),
            target_id=row.get("target_id"),
            case_id=row.get("case_id"),
            data=jsonable(row.get("data") or {}),
            ip=row.get("ip"),
            prev_hash=last_hash,
        )
        entry.hash = entry.compute_hash(key)
        last_id, last_hash = entry.id, entry.hash
        pending.append({**entry.payload(), "logged_dt": entry.logged_dt, "hash": entry.hash})
        if len(pending) >= batch:
            session.execute(insert(AuditEntry), pending)
            written += len(pending)
            pending = []
    if pending:
        session.execute(insert(AuditEntry), pending)
        written += len(pending)
    head.last_id = last_id
    head.last_hash = last_hash
    session.flush()
    return written
