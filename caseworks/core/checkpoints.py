"""Signed checkpoints of the audit chain, kept outside the database.

The keyed chain (:mod:`caseworks.core.audit`) stops anyone without the audit key from changing
an entry and recomputing the chain, but a shorter chain is still a whole chain: cutting the
tail, or emptying the table, and moving the head back leaves nothing to notice inside the
database. So a scheduled job writes, every few minutes, one signed line per change of the head
(entry count, last id, head hash) to an append-only file that the database cannot reach
(``CASEWORKS_AUDIT_CHECKPOINT_FILE``, default ``instance/audit_checkpoints.jsonl``), and logs it
to the ``caseworks.audit.checkpoint`` logger, which an operator may send elsewhere too
(syslog, a log host). ``flask audit verify`` then checks that the chain in the database passes
through every checkpoint and reaches the latest.

Each line names the database it describes (its URL without password), so test runs or a
second installation sharing the file never confuse one chain with another.
"""

import hashlib
import hmac
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from caseworks.core import clock
from caseworks.core.audit import AuditEntry, AuditHead, audit_key
from caseworks.extensions import db

log = logging.getLogger("caseworks.audit.checkpoint")


class CheckpointError(Exception):
    """The checkpoint file or the chain does not fit: something was tampered with."""


@dataclass(frozen=True)
class Checkpoint:
    database: str
    written: str
    count: int
    last_id: int
    head: str


def _signing_key():
    # a key of its own, derived from the audit key: a checkpoint signature is never an entry hash
    return hmac.new(audit_key(), b"caseworks audit checkpoint", hashlib.sha256).digest()


def _canonical(fields):
    return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()


def sign(fields):
    return hmac.new(_signing_key(), _canonical(fields), hashlib.sha256).hexdigest()


def database_name():
    """The database the chain lives in, as the checkpoints name it."""
    return db.engine.url.render_as_string(hide_password=True)


def checkpoint_path():
    path = current_app.config.get("AUDIT_CHECKPOINT_FILE")
    return Path(path) if path else None


def read_checkpoints(path=None, database=None):
    """The checkpoints of ``database`` (this one by default) in the file, oldest first.
    Raises :class:`CheckpointError` for a line that is not signed with the audit key."""
    path = path or checkpoint_path()
    database = database or database_name()
    if path is None or not path.exists():
        return []
    found = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                fields = json.loads(line)
                signature = fields.pop("sig")
                point = Checkpoint(**fields)
            except (ValueError, TypeError, KeyError):
                raise CheckpointError(f"line {number} of {path} is no checkpoint") from None
            if not hmac.compare_digest(signature, sign(fields)):
                raise CheckpointError(f"line {number} of {path} is not signed with the audit key (it was forged)")
            if point.database == database:
                found.append(point)
    return found


def _entry_hash(entry_id):
    return db.session.scalar(select(AuditEntry.hash).where(AuditEntry.id == entry_id))


def write_checkpoint(path=None):
    """Append a checkpoint of the chain as it is committed now, unless the head has not moved
    since the latest one. The chain since the latest checkpoint is verified first (entry by
    entry, with the key), so a checkpoint never vouches for a chain that was cut or changed.
    Returns the new :class:`Checkpoint`, or None when there was nothing new."""
    path = path or checkpoint_path()
    if path is None:
        return None
    key = audit_key()
    points = read_checkpoints(path)
    latest = points[-1] if points else None
    head = db.session.get(AuditHead, 1, populate_existing=True)
    last_id, last_hash = (head.last_id, head.last_hash) if head is not None else (0, None)
    if latest is not None:
        if last_id < latest.last_id or _entry_hash(latest.last_id) != latest.head:
            raise CheckpointError(
                f"the chain no longer reaches the checkpoint of {latest.written} (entry {latest.last_id}): "
                "run `flask --app wsgi audit verify`"
            )
        if last_id == latest.last_id:
            return None
    elif last_id == 0:
        return None
    start = latest.last_id if latest is not None else 0
    prev = latest.head if latest is not None else None
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.id > start, AuditEntry.id <= last_id).order_by(AuditEntry.id)
    )
    expected = start + 1
    for entry in entries:
        if (
            entry.id != expected
            or (prev is not None and entry.prev_hash != prev)
            or entry.compute_hash(key) != entry.hash
        ):
            raise CheckpointError(f"entry {entry.id} does not fit the chain: run `flask --app wsgi audit verify`")
        prev, expected = entry.hash, expected + 1
        db.session.expunge(entry)
    if expected != last_id + 1 or prev != last_hash:
        raise CheckpointError("the chain head does not fit the chain: run `flask --app wsgi audit verify`")
    fields = {
        "database": database_name(),
        "written": clock.now().isoformat(timespec="seconds"),
        "count": last_id,
        "last_id": last_id,
        "head": last_hash,
    }
    line = json.dumps({**fields, "sig": sign(fields)}, sort_keys=True) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    # append-only, readable by the owner only; O_APPEND keeps concurrent writers' lines whole
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line.encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    log.info("audit checkpoint %s", line.strip())
    return Checkpoint(**fields)
