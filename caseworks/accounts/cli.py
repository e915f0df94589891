"""``flask users token USERNAME`` and ``flask users create-admin USERNAME --area-code CODE``.

A command is its own request boundary: it commits once, at its end.
"""

import click
from flask.cli import AppGroup
from flask_babel import force_locale
from sqlalchemy import select

from caseworks.accounts import operations
from caseworks.accounts.models import User
from caseworks.core.choices import Role
from caseworks.extensions import db
from caseworks.places import queries as place_queries
from caseworks.places.models import Area

users_cli = AppGroup("users", help="User accounts.")


def _fail(message):
    # the command line speaks English, like the other commands (there is no request to pick a
    # language from)
    with force_locale("en"):
        click.echo(str(message), err=True)
    raise SystemExit(1)


@users_cli.command("token")
@click.argument("username")
def token_command(username):
    """Issue a new API token for USERNAME (any earlier token stops working) and print it once."""
    user = db.session.scalar(select(User).where(User.username == username.strip()))
    if user is None:
        _fail(f"no user named {username!r}")
    try:
        token = operations.issue_token(user)
    except operations.AccountError as exc:
        _fail(exc.message)  # refused before changing anything; nothing is committed
    db.session.commit()
    click.echo(token)
    click.echo(f"API token for {user.username}; it is shown only this once.", err=True)


@users_cli.command("create-admin")
@click.argument("username")
@click.option("--area-code", required=True, help="12-digit division code of the area the administrator manages.")
@click.option("--full-name", default=None, help="Full name (defaults to the username).")
def create_admin_command(username, area_code, full_name):
    """Create a system administrator at an area (usually the province); prompts for the password."""
    area = place_queries.place_by_code(area_code)
    if not isinstance(area, Area):
        _fail(f"no area with the code {area_code!r}")
    password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = operations.create_user(
            None, username=username, full_name=full_name or username, role=Role.ADMIN, place=area, password=password
        )
    except operations.AccountError as exc:
        _fail(exc.message)  # refused before changing anything; nothing is committed
    db.session.commit()
    click.echo(f"created administrator {user.username} at {area.name} ({area.code})")


commands = [users_cli]
