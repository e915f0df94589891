"""The background imports: the scheduler process checks and imports the large files.

Each file is claimed in a short transaction of its own, then checked or imported in one
transaction committed at its end: a run killed half-way leaves nothing in the register, and the
file waits to be started again. While the run's transaction is open its progress is written on a
connection of its own (PostgreSQL; SQLite lets one writer at a time, so there the page waits for
the end)."""

import logging
import os
import socket
from datetime import timedelta

from sqlalchemy import or_, select, update

from caseworks.core import clock
from caseworks.core.choices import ImportStatus
from caseworks.core.errors import Refused
from caseworks.enrolment import imports
from caseworks.enrolment.models import ImportBatch, ImportProgress
from caseworks.extensions import db
from caseworks.scheduler.registry import background_worker

log = logging.getLogger("caseworks.enrolment")
WORKER = f"{socket.gethostname()[:80]}:{os.getpid()}"
#: a run silent for this long was killed; its file is taken up again
STALE_AFTER = timedelta(minutes=2)
NEXT_STATUS = {ImportStatus.WAITING_CHECK: ImportStatus.CHECKING, ImportStatus.WAITING: ImportStatus.APPLYING}


def claim_next():
    """Take the oldest file waiting (or whose run went silent) and mark it running; commits."""
    now = clock.now()
    stale = now - STALE_AFTER
    progress = select(ImportProgress.batch_id).where(ImportProgress.heartbeat_dt < stale)
    stmt = (
        select(ImportBatch)
        .where(
            or_(
                ImportBatch.status.in_(list(NEXT_STATUS)),
                ImportBatch.status.in_([ImportStatus.CHECKING, ImportStatus.APPLYING]) & ImportBatch.id.in_(progress),
            )
        )
        .order_by(ImportBatch.id)
        .limit(1)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True, of=ImportBatch)
    batch = db.session.scalar(stmt)
    if batch is None:
        db.session.rollback()
        return None
    if batch.status in NEXT_STATUS:
        batch.status = NEXT_STATUS[batch.status]
    row = db.session.get(ImportProgress, batch.id)
    if row is None:
        db.session.add(ImportProgress(batch_id=batch.id, done_rows=0, heartbeat_dt=now, worker=WORKER))
    else:
        row.done_rows, row.heartbeat_dt, row.worker = 0, now, WORKER
    batch_id = batch.id
    db.session.commit()
    return batch_id


def _reporter(batch_id):
    """Writes the run's progress and heartbeat outside the run's transaction."""
    engine = db.engine
    if engine.dialect.name != "postgresql":
        return None

    def report(done_rows):
        with engine.begin() as conn:
            conn.execute(
                update(ImportProgress)
                .where(ImportProgress.batch_id == batch_id)
                .values(done_rows=done_rows, heartbeat_dt=clock.now())
            )

    return report


def run_batch(batch_id, *, progress=None):
    """Check or import one claimed file in one transaction, committed at its end."""
    progress = progress or _reporter(batch_id)
    batch = db.session.get(ImportBatch, batch_id)
    try:
        if batch.status == ImportStatus.CHECKING:
            imports.check_import(batch, progress=progress)
        else:
            imports.apply_import(batch, progress=progress)
        db.session.commit()
    except Exception as exc:  # noqa: BLE001 - the file is marked failed, the worker goes on
        db.session.rollback()
        message = exc.message if isinstance(exc, Refused) else f"{type(exc).__name__}: {exc}"
        if not isinstance(exc, Refused):
            log.exception("import %s failed", batch_id)
        batch = db.session.get(ImportBatch, batch_id)
        batch.status = ImportStatus.FAILED
        batch.error = str(message)[:2000]
        db.session.commit()
        return False
    return True


@background_worker("imports", seconds=5)
def work_imports(limit=None):
    """Check and import every file waiting (at most ``limit``); returns how many were run."""
    count = 0
    while limit is None or count < limit:
        batch_id = claim_next()
        if batch_id is None:
            break
        log.info("import %s: started", batch_id)
        run_batch(batch_id)
        count += 1
    return count
