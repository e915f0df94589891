"""``flask import``: the roster import as a command, for a county's IT staff, and a run of the
background imports now."""

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext
from flask_babel import gettext as _
from sqlalchemy import or_, select

from caseworks.core.choices import ImportKind, ImportStatus
from caseworks.core.errors import Refused
from caseworks.enrolment import imports, jobs
from caseworks.enrolment.checking import reason_text
from caseworks.enrolment.queries import current_school_year
from caseworks.extensions import db
from caseworks.places.models import School


@click.group("import")
def import_group():
    """Import school rosters into the enrolment register."""


@import_group.command("roster")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--school", "school_code", metavar="CODE", help="The school (10-digit code or name) of every row.")
@click.option("--year", "school_year", type=int, help="School year (the year it starts); default: the current one.")
@click.option("--confirm", is_flag=True, help="Write the rows (without it nothing is written).")
@click.option("--only-valid", is_flag=True, help="With --confirm: write the valid rows and leave the invalid ones.")
@with_appcontext
def import_roster(file, school_code, school_year, confirm, only_valid):
    """Check a roster (.xlsx, .xls, .csv) and print what it would change; --confirm writes it.

    Exits 1 when nothing was written because of invalid rows, 2 when the file cannot be read."""
    school = None
    if school_code:
        school = db.session.scalar(select(School).where(or_(School.code == school_code, School.name == school_code)))
        if school is None:
            click.echo(_("No school with code or name %(code)s.", code=school_code), err=True)
            sys.exit(2)
    try:
        batch = imports.receive_file(
            ImportKind.ROSTER,
            file.name,
            file.read_bytes(),
            None,
            school=school,
            school_year=school_year or current_school_year(),
        )
        imports.check_import(batch)
    except Refused as refusal:
        db.session.rollback()
        click.echo(str(refusal.message), err=True)
        sys.exit(2)
    if batch.status == ImportStatus.NEEDS_MAPPING:
        from caseworks.enrolment.columns import missing_required

        missing = missing_required(batch.mapping, batch.kind, school_chosen=school is not None)
        click.echo(_("Columns not recognised: %(names)s.", names=", ".join(str(c.label) for c in missing)), err=True)
        click.echo(_("The file's header: %(headers)s", headers=" | ".join(batch.headers)), err=True)
        db.session.rollback()
        sys.exit(2)
    counts = batch.counts
    click.echo(_counts_line(counts))
    invalid = imports.invalid_rows(batch) if counts.get("invalid") else []
    for row in invalid:
        reasons = "; ".join(reason_text(code, params) for code, params in row.reasons)
        click.echo(_("line %(line)s: %(reasons)s", line=row.line, reasons=reasons))
    if counts.get("left_withheld"):
        click.echo(_("Pupils missing from the file are not marked left: some rows' ID numbers cannot be read."))
    if not confirm:
        db.session.rollback()
        click.echo(_("Nothing written (add --confirm to write)."))
        return
    if invalid and not only_valid:
        db.session.rollback()
        click.echo(
            _("Nothing written: %(count)s invalid rows. Correct them, or add --only-valid.", count=len(invalid)),
            err=True,
        )
        sys.exit(1)
    imports.confirm_import(batch, None, only_valid=only_valid)
    imports.apply_import(batch)
    db.session.commit()
    click.echo(_("Written: %(counts)s", counts=_counts_line(batch.counts)))


def _counts_line(counts):
    return _(
        "new %(new)s, changed %(changed)s, unchanged %(unchanged)s, invalid %(invalid)s, left %(left)s",
        **{k: counts.get(k, 0) for k in ("new", "changed", "unchanged", "invalid", "left")},
    )


@import_group.command("work")
@with_appcontext
def work():
    """Check and import the files waiting for the background now (the scheduler does it too)."""
    count = jobs.work_imports()
    click.echo(_("%(count)s imports run.", count=count))


commands = [import_group]
