"""Keying an audit chain written before the audit key existed (``flask audit rekey``)."""

from sqlalchemy import select

from caseworks.core.audit import GENESIS_HASH, AuditEntry, _lock_head, audit_key, record
from caseworks.extensions import db


class RekeyRefused(Exception):
    """The chain is broken even by its old hashes: it is not re-keyed (that would hide it)."""


def rekey(session=None, batch=2000):
    """Key a chain written before the audit key existed: check it by the hashes it carries
    (unkeyed SHA-256 up to some entry, keyed after it, as after an upgrade), then recompute
    every link and hash with the key and move the head. Refuses (:class:`RekeyRefused`) a chain
    that is broken by its own hashes. Returns the number of entries re-keyed (0 if the chain is
    keyed already). The caller commits.

    Entries written before the key was in use were never protected against someone with
    database access; re-keying vouches for them as they are now, so run it once, right after
    upgrading.
    """
    from caseworks.core.checkpoints import read_checkpoints

    session = session or db.session
    if read_checkpoints():
        # a checkpointed chain was keyed: an unkeyed entry in it is a forgery, not a leftover
        raise RekeyRefused("this database's chain has signed checkpoints, so it was keyed already")
    key = audit_key()
    head = _lock_head(session)
    prev = GENESIS_HASH
    legacy = 0
    last_id = 0
    while True:
        rows = session.scalars(
            select(AuditEntry).where(AuditEntry.id > last_id).order_by(AuditEntry.id).limit(batch)
        ).all()
        if not rows:
            break
        for entry in rows:
            if entry.id != last_id + 1 or entry.prev_hash != prev:
                raise RekeyRefused(f"entry {entry.id}: the chain is broken before it")
            if entry.hash == entry.compute_hash(key):
                pass
            elif entry.hash == entry.legacy_hash() and legacy == last_id:
                legacy += 1
            else:
                raise RekeyRefused(f"entry {entry.id}: its content does not match its hash")
            prev, last_id = entry.hash, entry.id
        session.expunge_all()
    if (head.last_id, head.last_hash) != (last_id, prev):
        raise RekeyRefused(f"the chain head points at entry {head.last_id} but the chain ends at {last_id}")
    if legacy == 0:
        return 0
    prev = GENESIS_HASH
    done = 0
    while done < last_id:
        rows = session.scalars(
            select(AuditEntry).where(AuditEntry.id > done).order_by(AuditEntry.id).limit(batch)
        ).all()
        for entry in rows:
            entry.prev_hash = prev
            entry.hash = prev = entry.compute_hash(key)
        session.flush()
        done = rows[-1].id
        session.expunge_all()
    head = _lock_head(session)
    head.last_hash = prev
    session.flush()
    record(
        "rekey",
        f"audit chain keyed: {last_id} entries re-hashed",
        module="audit",
        actor=None,
        session=session,
        data={"entries": last_id, "unkeyed": legacy},
    )
    return last_id
