"""Running the scheduled jobs: once now (``scheduler --once``) or by their cron triggers.

Each run happens in one transaction: take the job's lock, claim the run's slot, call
``fn(today)``, commit. A failed job is rolled back whole and its failure recorded afterwards.
"""

import logging
import os
import socket
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Optional

from caseworks import FEATURES, _feature_module
from caseworks.core import clock
from caseworks.core.audit import jsonable
from caseworks.extensions import db
from caseworks.scheduler import lock
from caseworks.scheduler.models import JobRun
from caseworks.scheduler.registry import JOBS, WORKERS, jobs_in_order

log = logging.getLogger("caseworks.scheduler")

#: how long a manual run waits for another process to finish the same job
MANUAL_WAIT_SECONDS = 300
#: how late APScheduler may still start a fired job (it drops older misfires)
MISFIRE_GRACE_SECONDS = 600
#: how often a standby process asks whether it may lead, and the leader checks it still does
LEADER_POLL_SECONDS = 30

HOST = socket.gethostname()[:100]


@dataclass
class RunResult:
    job: str
    #: done, failed, busy (another process holds the lock), slot_taken (this slot already ran)
    status: str
    summary: dict = field(default_factory=dict)
    seconds: float = 0.0
    error: Optional[str] = None

    @property
    def ok(self):
        return self.status != "failed"


def load_jobs():
    """Import every feature's ``jobs`` module (which registers its jobs); the jobs in order."""
    for feature in FEATURES:
        _feature_module(feature, "jobs")
    return jobs_in_order()


def run_job(spec, *, slot=None, wait_seconds=None) -> RunResult:
    """Run one job now, in the current app context, under its lock, and commit once.

    Without ``slot`` it is a manual run: it waits (up to ``wait_seconds``) for another process
    running the same job, then runs again. With ``slot`` (a cron fire time) it runs only if no
    process holds the job's lock and no process ran that slot before.
    """
    session = db.session
    manual = slot is None
    if wait_seconds is None:
        wait_seconds = MANUAL_WAIT_SECONDS if manual else 0
    started = time.perf_counter()
    run = JobRun(
        job=spec.name,
        slot=slot or f"manual:{uuid.uuid4().hex}",
        is_manual=manual,
        status="running",
        host=HOST,
        pid=os.getpid(),
    )
    try:
        if not lock.acquire_job_lock(spec.name, wait_seconds=wait_seconds):
            session.rollback()
            log.info("%s: skipped, another process is running it", spec.name)
            return RunResult(spec.name, "busy")
        run.started_dt = clock.now()
        if not lock.claim_slot(run):
            session.rollback()
            log.info("%s: skipped, slot %s already ran", spec.name, slot)
            return RunResult(spec.name, "slot_taken")
        summary = jsonable(spec.fn(clock.today()) or {})
        seconds = time.perf_counter() - started
        run.status = "done"
        run.summary = summary
        run.finished_dt = clock.now()
        run.duration_ms = round(seconds * 1000)
        session.commit()
    except Exception as exc:  # noqa: BLE001 - a failing job must not stop the others
        session.rollback()
        seconds = time.perf_counter() - started
        log.exception("%s failed", spec.name)
        _record_failure(spec.name, run.slot, manual, exc, seconds)
        return RunResult(spec.name, "failed", seconds=seconds, error=f"{type(exc).__name__}: {exc}")
    log.info("%s: done in %.2f s %s", spec.name, seconds, summary)
    return RunResult(spec.name, "done", summary, seconds)


def _record_failure(name, slot, manual, exc, seconds):
    """Keep a row for the failed run, in a transaction of its own. It takes a slot of its own
    too: a failed cron slot stays free for another process to run."""
    session = db.session
    try:
        now = clock.now()
        session.add(
            JobRun(
                job=name,
                slot=f"failed:{uuid.uuid4().hex}",
                is_manual=manual,
                status="failed",
                started_dt=now,
                finished_dt=now,
                duration_ms=round(seconds * 1000),
                summary={"slot": slot},
                error=f"{type(exc).__name__}: {exc}"[:2000],
                host=HOST,
                pid=os.getpid(),
            )
        )
        session.commit()
    except Exception:  # noqa: BLE001 - the database may be what failed
        session.rollback()
        log.exception("could not record the failure of %s", name)


def run_once(names=None) -> list[RunResult]:
    """Run every job (or those named) once now, in order."""
    specs = load_jobs()
    if names:
        specs = [s for s in specs if s.name in names]
    return [run_job(spec) for spec in specs]


def slot_for(trigger, now, lookback=timedelta(seconds=MISFIRE_GRACE_SECONDS + 300)) -> str:
    """The slot a cron-fired run belongs to: the trigger's latest fire time at or before
    ``now``, in local time. Every process that fires that time computes the same key."""
    fire = trigger.get_next_fire_time(None, now - lookback)
    last = None
    while fire is not None and fire <= now:
        last = fire
        fire = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
    return (last or now).astimezone(clock.LOCAL_TZ).isoformat(timespec="seconds")


def fire(app, name, trigger):
    """What APScheduler calls: one run of ``name`` for the slot that just fired."""
    with app.app_context():
        run_job(JOBS[name], slot=slot_for(trigger, clock.now()))


def serve(app):
    """Run the jobs by their cron triggers until interrupted. On PostgreSQL only the elected
    leader fires; other processes stand by and take over when the leader goes away."""
    from apscheduler.schedulers.blocking import BlockingScheduler
    from apscheduler.triggers.cron import CronTrigger

    specs = load_jobs()
    with app.app_context():
        leader = lock.LeaderLock(db.engine)
    while True:
        while not leader.try_acquire():
            log.info("another scheduler process leads; standing by")
            time.sleep(LEADER_POLL_SECONDS)
        scheduler = BlockingScheduler(
            timezone=clock.LOCAL_TZ,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": MISFIRE_GRACE_SECONDS},
        )
        for spec in specs:
            trigger = CronTrigger(timezone=clock.LOCAL_TZ, **spec.cron)
            scheduler.add_job(fire, trigger, args=(app, spec.name, trigger), id=spec.name, name=spec.description)
            log.info("%s: %s", spec.name, trigger)
        for worker in WORKERS.values():
            scheduler.add_job(
                run_worker, "interval", seconds=worker.seconds, args=(app, worker), id=f"worker:{worker.name}"
            )
            log.info("worker %s: every %s s", worker.name, worker.seconds)
        lost = []
        if leader.applies:
            scheduler.add_job(
                _check_leader,
                "interval",
                seconds=LEADER_POLL_SECONDS,
                id="leader-check",
                args=(scheduler, leader, lost),
            )
        try:
            scheduler.start()
        finally:
            if not lost:
                leader.release()
        if not lost:
            return
        log.warning("leadership lost; standing by")


def run_worker(app, worker):
    """What APScheduler calls for a background worker (see ``registry.background_worker``)."""
    with app.app_context():
        try:
            worker.fn()
        except Exception:  # noqa: BLE001 - the worker is polled again
            db.session.rollback()
            log.exception("worker %s failed", worker.name)
        finally:
            db.session.remove()


def _check_leader(scheduler, leader, lost):
    """Stop firing as soon as the leader lock is gone (its connection dropped): another
    process may have taken over."""
    if not leader.still_held():
        lost.append(True)
        scheduler.shutdown(wait=False)
