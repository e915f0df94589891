"""Database locks that keep two scheduler processes from running one job at once.

Two layers, both in the database that every process shares:

* the job lock — on PostgreSQL a transaction-scoped advisory lock
  (``pg_try_advisory_xact_lock``) keyed on the job's name. It is taken at the start of the run's
  transaction and released by the commit (or rollback) that ends it, so it can never be left
  behind by a crashed process. SQLite has no such lock; there a single scheduler process is
  assumed, and SQLite's own write lock serialises writers anyway.
* the slot claim — a ``job_run`` row with a unique (job, slot) pair, written in the same
  transaction as the job's work. A process that fires a cron slot after another process
  already ran it finds the row and does nothing; the unique constraint backs this up if the
  two ever race past the check.

And the leader lock, a session-level advisory lock that a long-running ``scheduler`` process
holds on a connection of its own: only the leader fires jobs, standby processes wait for it.
"""

import hashlib
import logging
import time

from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from caseworks.extensions import db
from caseworks.scheduler.models import JobRun

log = logging.getLogger(__name__)

LEADER_LOCK_NAME = "caseworks.scheduler.leader"


def lock_key(name) -> int:
    """A stable signed 64-bit key for an advisory lock named ``name``."""
    digest = hashlib.sha256(f"caseworks:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def is_postgresql(session=None) -> bool:
    session = session or db.session
    return session.get_bind().dialect.name == "postgresql"


def try_job_lock(name, session=None) -> bool:
    """Take the job's lock for the rest of the current transaction, if no one else holds it."""
    session = session or db.session
    if not is_postgresql(session):
        return True
    return bool(session.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": lock_key(f"job:{name}")}))


def acquire_job_lock(name, *, wait_seconds=0.0, poll_seconds=0.25, session=None) -> bool:
    """Take the job's lock, waiting up to ``wait_seconds`` for another process to let it go."""
    deadline = time.monotonic() + wait_seconds
    while True:
        if try_job_lock(name, session):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(poll_seconds)


def claim_slot(run: JobRun, session=None) -> bool:
    """Add ``run`` unless its (job, slot) was already run. Call it holding the job's lock: a
    process that ran the slot before committed before it let the lock go, so its row is
    visible here."""
    session = session or db.session
    taken = session.scalar(select(JobRun.id).where(JobRun.job == run.job, JobRun.slot == run.slot))
    if taken is not None:
        return False
    try:
        with session.begin_nested():
            session.add(run)
    except IntegrityError:
        return False
    return True


class LeaderLock:
    """A session-level advisory lock held on a connection of its own for as long as the
    process lives. When the process dies its connection closes and PostgreSQL lets the lock
    go, so a standby process takes over. On other databases every process is the leader."""

    def __init__(self, engine):
        self.engine = engine
        self.connection = None

    @property
    def applies(self):
        return self.engine.dialect.name == "postgresql"

    def try_acquire(self) -> bool:
        if not self.applies:
            return True
        if self.connection is not None:
            return self.still_held()
        connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        got = connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": lock_key(LEADER_LOCK_NAME)})
        if got:
            self.connection = connection
            return True
        connection.close()
        return False

    def still_held(self) -> bool:
        """True while the lock's connection is alive (the lock lives exactly as long)."""
        if not self.applies:
            return True
        if self.connection is None:
            return False
        try:
            self.connection.scalar(text("SELECT 1"))
            return True
        except Exception:  # noqa: BLE001 - any failure means the connection, and the lock, are gone
            log.exception("the scheduler lost its leader connection")
            self.release()
            return False

    def release(self):
        """Let the lock go: the connection is closed for good (not handed back to the pool,
        where it would keep holding the lock)."""
        if self.connection is not None:
            try:
                self.connection.invalidate()
                self.connection.close()
            except Exception:  # noqa: BLE001
                pass
            self.connection = None
