"""Two scheduler processes against one PostgreSQL database never double-fire."""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from caseworks import ROOT
from caseworks.cases.models import Case
from caseworks.core.choices import CaseKind, Stage, VisitPurpose
from caseworks.extensions import db
from caseworks.scheduler.models import JobRun
from caseworks.visits.models import Visit
from tests.fixtures.jobs import OWN_JOBS

DATABASE_URL = os.environ.get("CASEWORKS_TEST_DATABASE_URL", "")

pytestmark = [
    pytest.mark.real_commits,
    pytest.mark.skipif(
        not DATABASE_URL.startswith("postgresql"),
        reason="two processes sharing one database need PostgreSQL (set CASEWORKS_TEST_DATABASE_URL)",
    ),
]

FLASK = str(Path(sys.executable).with_name("flask"))

#: what a scheduler process does when its cron trigger fires ``slot`` for every job
FIRE_SLOT = """
import sys
from caseworks import create_app
from caseworks.scheduler import runner
app = create_app()
with app.app_context():
    for spec in runner.load_jobs():
        result = runner.run_job(spec, slot=sys.argv[1])
        print(spec.name, result.status, flush=True)
"""


def start_two(command):
    env = {**os.environ, "CASEWORKS_DATABASE_URL": DATABASE_URL}
    # the test database's checkpoints stay out of the installation's file
    env["CASEWORKS_AUDIT_CHECKPOINT_FILE"] = str(Path(tempfile.gettempdir()) / f"caseworks-test-{os.getpid()}.jsonl")
    env.pop("CASEWORKS_SMTP_URL", None)
    processes = [
        subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=300) for p in processes]
    for p, (out, err) in zip(processes, outputs, strict=True):
        assert p.returncode == 0, out + err
    return [out for out, _ in outputs]


@pytest.fixture
def many_cases(make_case, make_child, users, places):
    for n in range(60):
        make_case(
            kind=(CaseKind.DROPPED_OUT, CaseKind.AT_RISK, CaseKind.SUSPECTED)[n % 3],
            teacher=users.teacher if n % 2 else None,
            cadre=users.village_cadre if n % 5 else None,
            child=make_child(groups=("orphan",) if n % 7 == 0 else ()),
        )
    make_case(stage=Stage.PENDING_REVIEW, teacher=users.teacher)
    db.session.commit()


def assert_one_planned_visit_per_line_of_each_open_case():
    open_regular = (
        select(Visit.case_id, func.count().label("n"))
        .where(Visit.done_dt.is_(None), Visit.cancelled_dt.is_(None), Visit.purpose != VisitPurpose.COUNTY_LOOK)
        .group_by(Visit.case_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Case.id, Case.stage, func.coalesce(open_regular.c.n, 0))
        .outerjoin(open_regular, open_regular.c.case_id == Case.id)
        .where(Case.stage != Stage.CLOSED)
    ).all()
    assert len(rows) == 61
    for case_id, stage, n in rows:
        # one for the teacher's line and one for the village cadre's (双线控辍)
        assert n == (0 if stage == Stage.PENDING_REVIEW else 2), (case_id, stage, n)
    looks = db.session.execute(
        select(Visit.case_id, func.count())
        .where(Visit.done_dt.is_(None), Visit.cancelled_dt.is_(None), Visit.purpose == VisitPurpose.COUNTY_LOOK)
        .group_by(Visit.case_id)
    ).all()
    assert len(looks) == 9 and all(n == 1 for _, n in looks)


def test_two_manual_runs_at_once_take_turns(many_cases):
    start_two([FLASK, "--app", "wsgi", "scheduler", "--once"])
    db.session.expire_all()
    runs = db.session.scalars(select(JobRun).order_by(JobRun.started_dt)).all()
    assert all(r.status == "done" for r in runs)
    by_job = {}
    for run in runs:
        by_job.setdefault(run.job, []).append(run)
    assert set(OWN_JOBS) <= set(by_job) and all(len(pair) == 2 for pair in by_job.values())
    for first, second in by_job.values():
        # the job lock made the second wait for the first to commit
        assert first.finished_dt <= second.started_dt or second.finished_dt <= first.started_dt, (first, second)
    planned = sorted(r.summary["planned"] for r in by_job["plan_visits"])
    assert planned == [0, 120]
    assert_one_planned_visit_per_line_of_each_open_case()


def test_two_processes_firing_the_same_slot_run_each_job_once(many_cases):
    outputs = start_two([sys.executable, "-c", FIRE_SLOT, "2026-03-02T09:00:00+08:00"])
    db.session.expire_all()
    runs = db.session.scalars(select(JobRun)).all()
    jobs = [r.job for r in runs]
    assert set(OWN_JOBS) <= set(jobs) and len(jobs) == len(set(jobs))  # each job ran once, by one process
    assert {r.slot for r in runs} == {"2026-03-02T09:00:00+08:00"} and all(r.status == "done" for r in runs)
    statuses = [line.split()[1] for out in outputs for line in out.splitlines()]
    assert statuses.count("done") == len(jobs) and len(statuses) == 2 * len(jobs)
    assert set(statuses) <= {"done", "busy", "slot_taken"}
    assert_one_planned_visit_per_line_of_each_open_case()


def test_one_leader_at_a_time(app):
    from caseworks.scheduler.lock import LeaderLock

    first, second = LeaderLock(db.engine), LeaderLock(db.engine)
    try:
        assert first.try_acquire() and first.still_held()
        assert not second.try_acquire()
        first.release()  # the leader goes away: the standby takes over
        assert second.try_acquire() and not first.try_acquire()
    finally:
        first.release()
        second.release()
