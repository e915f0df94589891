"""``flask scheduler``: the scheduler process, or one run of the jobs now."""

import json
import logging

import click
from flask import current_app
from flask.cli import with_appcontext

from caseworks.scheduler import runner

ALL = "\0all"


def _cron_text(cron):
    return " ".join(f"{k}={v}" for k, v in cron.items())


@click.command("scheduler")
@click.option(
    "--once",
    "once",
    is_flag=False,
    flag_value=ALL,
    default=None,
    metavar="[JOB]",
    help="Run every job (or the named one) once now and exit.",
)
@click.option("--list", "list_jobs", is_flag=True, help="List the jobs and their schedules.")
@with_appcontext
def scheduler_command(once, list_jobs):
    """Run the scheduled jobs (visit planning, overdue and stale flags, reminders, statistics).

    Without options this is the long-running scheduler process (one per deployment; more stand
    by on PostgreSQL and take over if the leader goes away)."""
    specs = runner.load_jobs()
    if list_jobs:
        for spec in specs:
            click.echo(f"{spec.name:28} {_cron_text(spec.cron):32} {spec.description}")
        return
    if once is None:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        click.echo("scheduler: " + ", ".join(f"{s.name} ({_cron_text(s.cron)})" for s in specs))
        runner.serve(current_app._get_current_object())
        return
    names = None
    if once != ALL:
        if once not in {s.name for s in specs}:
            click.echo(f"unknown job {once!r}; the jobs are: " + ", ".join(s.name for s in specs), err=True)
            raise SystemExit(2)
        names = [once]
    total = 0.0
    failed = False
    for result in runner.run_once(names):
        total += result.seconds
        detail = result.error if result.error else json.dumps(result.summary, ensure_ascii=False, sort_keys=True)
        click.echo(f"{result.job:28} {result.status:10} {result.seconds:7.2f} s  {detail}")
        failed = failed or not result.ok
    click.echo(f"{'total':28} {'':10} {total:7.2f} s")
    if failed:
        raise SystemExit(1)


commands = [scheduler_command]
