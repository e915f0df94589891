"""Scheduled jobs, registered by the features that own them.

A job is a module-level function ``fn(today: datetime.date) -> dict`` (a summary of what it
did, e.g. ``{"planned": 12}``). It must be idempotent: running it twice on the same day
changes nothing the second time. It never commits; the scheduler runner commits once at the
end of the job, under the job's database lock.
"""

from dataclasses import dataclass, field


@dataclass
class JobSpec:
    name: str
    fn: object
    description: str
    #: APScheduler cron trigger fields, e.g. {"minute": "*/10"} or {"hour": 2, "minute": 0}
    cron: dict = field(default_factory=dict)
    #: jobs run in this order by ``scheduler --once`` (lower first)
    order: int = 50


JOBS: dict[str, JobSpec] = {}


def scheduled_job(name, *, description, order=50, **cron):
    def register(fn):
        JOBS[name] = JobSpec(name=name, fn=fn, description=description, cron=cron, order=order)
        return fn

    return register


def jobs_in_order():
    return sorted(JOBS.values(), key=lambda j: (j.order, j.name))


@dataclass
class WorkerSpec:
    """Work the scheduler process takes up as soon as it is there (background imports), polled
    every ``seconds``: the work itself is stored as rows, claimed and committed by ``fn``, so it
    keeps no job-run bookkeeping."""

    name: str
    fn: object
    seconds: int


WORKERS: dict[str, WorkerSpec] = {}


def background_worker(name, *, seconds):
    def register(fn):
        WORKERS[name] = WorkerSpec(name=name, fn=fn, seconds=seconds)
        return fn

    return register
