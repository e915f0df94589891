"""A background import whose process is killed half-way (SIGKILL, as by the OOM killer or a
reboot) leaves nothing in the register; the page says so and the file is imported again."""

import os
import signal
import subprocess
import sys
import time
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from caseworks import ROOT
from caseworks.core import clock
from caseworks.core.choices import ImportStatus
from caseworks.enrolment import imports, jobs
from caseworks.enrolment.models import Enrolment, ImportBatch, ImportProgress
from caseworks.extensions import db
from tests.enrolment.helpers import pupil, xlsx_bytes

DATABASE_URL = os.environ.get("CASEWORKS_TEST_DATABASE_URL", "")

pytestmark = [
    pytest.mark.real_commits,
    pytest.mark.skipif(
        not DATABASE_URL.startswith("postgresql"),
        reason="a worker process and the test sharing one database need PostgreSQL",
    ),
]

#: the scheduler's worker, slowed down after each chunk so that it can be killed half-way
SLOW_WORKER = """
import time
from caseworks import create_app
from caseworks.enrolment import jobs
report = jobs._reporter
def slow(batch_id):
    inner = report(batch_id)
    def each(done):
        inner(done)
        print("progress", done, flush=True)
        time.sleep(30)
    return each
jobs._reporter = slow
app = create_app()
with app.app_context():
    jobs.work_imports()
"""


def _enrolments():
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Enrolment))


def test_a_killed_worker_leaves_nothing_and_the_import_is_started_again(users, places):
    clock.set_now(None)  # the worker process writes its heartbeat by the real clock
    rows = [pupil(n % 900 + 1, birth=date(2016, 1, 1) + timedelta(days=n // 900), name=f"学生{n}") for n in range(6000)]
    batch = imports.receive_file(
        "roster", "big.xlsx", xlsx_bytes(rows), users.school_admin, school=places.school_a1, school_year=2026
    )
    imports.check_import(batch)
    imports.confirm_import(batch, users.school_admin, only_valid=False)
    batch_id = batch.id
    db.session.commit()

    env = {**os.environ, "CASEWORKS_DATABASE_URL": DATABASE_URL}
    worker = subprocess.Popen(
        [sys.executable, "-c", SLOW_WORKER],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = worker.stdout.readline()  # the first chunk is written, inside the run's transaction
        assert line.startswith("progress 5000"), line + worker.stderr.read()
        progress = db.session.get(ImportProgress, batch_id)
        assert progress.done_rows == 5000, "the page shows how far the run has come"
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
        worker.stdout.close()
        worker.stderr.close()
    assert _enrolments() == 0
    batch = db.session.get(ImportBatch, batch_id)
    assert batch.status == ImportStatus.APPLYING
    assert jobs.claim_next() is None, "not taken up again while it may still be alive"

    clock.advance(minutes=3)
    # PostgreSQL rolls the dead connection's transaction back (and lets its row locks go) as soon
    # as it notices the connection closed
    deadline = time.monotonic() + 20
    while (count := jobs.work_imports()) == 0 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert count == 1
    assert _enrolments() == 6000
    db.session.expire_all()
    assert db.session.get(ImportBatch, batch_id).status == ImportStatus.DONE
