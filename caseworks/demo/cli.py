"""``flask seed-demo``: load the synthetic demo data."""

import click
from flask.cli import with_appcontext

from caseworks.demo import generator
from caseworks.extensions import db


@click.command("seed-demo")
@click.option(
    "--scale",
    type=click.Choice(sorted(generator.SCALES)),
    default="county",
    show_default=True,
    help="county: 1 county, 2,000 cases; province: 80 counties, 100,000 cases.",
)
@click.option("--if-empty", is_flag=True, help="Do nothing (and succeed) if the database already has places.")
@with_appcontext
def seed_demo(scale, if_empty):
    """Load deterministic demo data (demo users' password: demo-pass-2026)."""
    if if_empty and generator.has_areas(db.session):
        click.echo("seed-demo: the database already has places; nothing loaded.")
        return
    try:
        result = generator.seed(db.session, scale, log=lambda message: click.echo(f"seed-demo: {message}"))
    except generator.DemoDataExists as exc:
        raise click.ClickException(f"{exc}. Use a new database (or --if-empty to skip quietly).") from None
    db.session.commit()
    click.echo(f"seed-demo: loaded {scale} scale in {result.seconds:.1f} s:")
    for table, count in result.counts.items():
        click.echo(f"  {table:<14} {count:>9,}")
    click.echo(
        "demo users (password demo-pass-2026): teacher1 principal1 cadre1 township1 reviewer1 "
        "cityreviewer1 provincereviewer1 admin"
    )


commands = [seed_demo]
