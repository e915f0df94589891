"""``flask scheduler --once [JOB]``, the job runs it records, slots and failures."""

from datetime import datetime, timedelta

import pytest
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import func, select

from caseworks.core import clock
from caseworks.extensions import db
from caseworks.scheduler import runner
from caseworks.scheduler.models import JobRun
from caseworks.scheduler.registry import JOBS, scheduled_job
from caseworks.visits.models import Visit
from tests.fixtures.jobs import OWN_JOBS as JOB_NAMES
from tests.fixtures.jobs import open_planned


def invoke(app, *args):
    return app.test_cli_runner().invoke(args=["scheduler", *args])


def job_runs():
    return db.session.scalars(select(JobRun).order_by(JobRun.id)).all()


def test_once_runs_every_job_in_order(app, day0, make_case, users):
    case = make_case(teacher=users.teacher)
    result = invoke(app, "--once")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    names = [line.split()[0] for line in lines]
    assert names == [*(spec.name for spec in runner.load_jobs()), "total"]
    assert set(JOB_NAMES) <= set(names)
    assert all(line.split()[1] == "done" for line in lines[:-1]), result.output
    assert '"planned": 2' in lines[0]  # one visit for each line
    runs = job_runs()
    assert [r.job for r in runs] == names[:-1]
    assert all(r.is_manual and r.status == "done" and r.slot.startswith("manual:") for r in runs)
    assert runs[0].summary["planned"] == 2 and runs[0].finished_dt is not None
    assert len(open_planned(case)) == 2  # one for each line


def test_once_with_a_job_runs_only_that_job(app, day0, make_case, users):
    make_case(teacher=users.teacher)
    result = invoke(app, "--once", "plan_visits")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0].split()[:2] == ["plan_visits", "done"]
    assert [r.job for r in job_runs()] == ["plan_visits"]
    # a manual run may run again; it changes nothing the second time
    again = invoke(app, "--once", "plan_visits")
    assert '"planned": 0' in again.output and len(job_runs()) == 2


def test_unknown_job_lists_the_jobs_and_exits_2(app):
    result = invoke(app, "--once", "plan_everything")
    assert result.exit_code == 2
    assert "unknown job 'plan_everything'" in result.output
    for name in JOB_NAMES:
        assert name in result.output
    assert job_runs() == []


def test_list(app):
    result = invoke(app, "--list")
    assert result.exit_code == 0
    assert "send_reminders" in result.output and "minute=0,30" in result.output


def test_a_cron_slot_runs_once(app, day0, make_case, users):
    make_case(teacher=users.teacher)
    spec = JOBS["plan_visits"]
    first = runner.run_job(spec, slot="2026-03-02T09:05:00+08:00")
    second = runner.run_job(spec, slot="2026-03-02T09:05:00+08:00")
    assert (first.status, second.status) == ("done", "slot_taken")
    assert first.summary["planned"] == 2  # one visit for each line
    assert [(r.slot, r.is_manual) for r in job_runs()] == [("2026-03-02T09:05:00+08:00", False)]
    assert db.session.scalar(select(func.count()).select_from(Visit)) == 2


def test_fire_claims_the_slot_of_the_trigger(app, day0, make_case, users):
    make_case(teacher=users.teacher)
    trigger = CronTrigger(minute=5, timezone=clock.LOCAL_TZ)
    clock.set_now(datetime(2026, 3, 2, 9, 5, 2, tzinfo=clock.LOCAL_TZ))
    runner.fire(app, "plan_visits", trigger)
    clock.advance(seconds=40)  # a second process firing the same slot a little later
    runner.fire(app, "plan_visits", trigger)
    db.session.expire_all()
    assert [(r.job, r.slot) for r in job_runs()] == [("plan_visits", "2026-03-02T09:05:00+08:00")]
    assert db.session.scalar(select(func.count()).select_from(Visit)) == 2  # one for each line, once


def test_slot_for_is_the_latest_fire_time():
    trigger = CronTrigger(minute="0,30", timezone=clock.LOCAL_TZ)
    at = datetime(2026, 3, 2, 7, 44, 59, tzinfo=clock.LOCAL_TZ)
    assert runner.slot_for(trigger, at) == "2026-03-02T07:30:00+08:00"
    assert runner.slot_for(trigger, at + timedelta(minutes=15, seconds=1)) == "2026-03-02T08:00:00+08:00"
    daily = CronTrigger(hour=2, minute=0, timezone=clock.LOCAL_TZ)
    assert runner.slot_for(daily, datetime(2026, 3, 2, 2, 3, tzinfo=clock.LOCAL_TZ)) == "2026-03-02T02:00:00+08:00"


@pytest.fixture
def failing_job():
    @scheduled_job("explode", description="fails", order=99, minute=0)
    def explode(today):
        db.session.add(Visit(case_id=None, due_date=today))  # written, then rolled back
        raise RuntimeError("boom")

    yield explode
    del JOBS["explode"]


def test_a_failing_job_is_rolled_back_and_recorded_and_the_rest_run(app, day0, make_case, users, failing_job):
    make_case(teacher=users.teacher)
    db.session.commit()
    result = invoke(app, "--once")
    assert result.exit_code == 1
    assert "explode" in result.output and "RuntimeError: boom" in result.output
    runs = {r.job: r for r in job_runs()}
    assert runs["explode"].status == "failed" and "boom" in runs["explode"].error
    assert runs["plan_visits"].status == "done"
    assert db.session.scalar(select(func.count()).select_from(Visit).where(Visit.case_id.is_(None))) == 0
