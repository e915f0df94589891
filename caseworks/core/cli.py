"""``flask audit verify``."""

import click
from flask.cli import AppGroup

from caseworks.core import audit
from caseworks.extensions import db

audit_cli = AppGroup("audit", help="The audit trail.")


@audit_cli.command("verify")
def verify_command():
    """Check that the audit chain is unbroken (exit 1 and name the first broken entry)."""
    result = audit.verify(db.session)
    if result.ok:
        click.echo(f"audit chain ok: {result.checked} entries verified")
        return
    click.echo(f"audit chain BROKEN at entry {result.entry_id}: {result.problem}", err=True)
    click.echo(f"({result.checked} entries before it verified)", err=True)
    raise SystemExit(1)


commands = [audit_cli]
