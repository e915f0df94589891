"""``flask audit verify``, ``flask audit checkpoint`` and ``flask audit rekey``."""

import click
from flask.cli import AppGroup

from caseworks.core import audit, checkpoints
from caseworks.core.audit_rekey import RekeyRefused, rekey
from caseworks.extensions import db

audit_cli = AppGroup("audit", help="The audit trail.")


@audit_cli.command("verify")
def verify_command():
    """Check that the audit chain is unbroken and reaches its latest checkpoint (exit 1 and
    name the first broken entry)."""
    try:
        points = checkpoints.read_checkpoints()
    except checkpoints.CheckpointError as forged:
        click.echo(f"audit checkpoints BROKEN: {forged}", err=True)
        raise SystemExit(1) from None
    result = audit.verify(db.session, checkpoints=points)
    if result.ok:
        click.echo(f"audit chain ok: {result.checked} entries verified")
        if result.checkpoint is not None:
            click.echo(
                f"it reaches the latest checkpoint ({result.checkpoint.written}, "
                f"{result.checkpoint.last_id} entries; {len(points)} checked)"
            )
        elif checkpoints.checkpoint_path() is not None:
            click.echo("no checkpoint of this database yet: a cut tail would go unnoticed until one is written")
        return
    click.echo(f"audit chain BROKEN at entry {result.entry_id}: {result.problem}", err=True)
    click.echo(f"({result.checked} entries before it verified)", err=True)
    raise SystemExit(1)


@audit_cli.command("checkpoint")
def checkpoint_command():
    """Write a signed checkpoint now (the scheduler does it every ten minutes)."""
    try:
        point = checkpoints.write_checkpoint()
    except checkpoints.CheckpointError as broken:
        click.echo(f"no checkpoint written: {broken}", err=True)
        raise SystemExit(1) from None
    if point is None:
        click.echo("nothing new since the latest checkpoint" if checkpoints.checkpoint_path() else "no checkpoint file")
    else:
        click.echo(f"checkpoint written: {point.last_id} entries, head {point.head[:12]}…")


@audit_cli.command("rekey")
def rekey_command():
    """Key a chain written before the audit key existed (once, right after upgrading): it is
    checked by its own hashes first and refused if broken."""
    try:
        count = rekey(db.session)
    except RekeyRefused as refused:
        db.session.rollback()
        click.echo(f"not re-keyed: {refused}", err=True)
        raise SystemExit(1) from None
    db.session.commit()
    click.echo(f"audit chain keyed: {count} entries" if count else "the audit chain is keyed already")


commands = [audit_cli]
