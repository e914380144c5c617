"""`workflow-app tokens create USERNAME`: a personal API token for a script, printed once."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from flask_babel import force_locale
from sqlalchemy import select

from ..accounts import tokens
from ..accounts.models import User
from ..engine import InvalidInput
from ..extensions import db
from ..unit_of_work import unit_of_work
from .exits import EXIT_NOT_FOUND, EXIT_REFUSED, CommandFailed

tokens_group = AppGroup("tokens", help="Personal API tokens.")


@tokens_group.command("create")
@click.argument("username")
@click.option("--name", default="command line", show_default=True, help="What it is for.")
@click.option(
    "--days",
    type=click.IntRange(1, tokens.MAX_DAYS),
    help="Valid for this many days (default and at most: API_TOKEN_MAX_DAYS, 365).",
)
def create_command(username: str, name: str, days: int | None) -> None:
    """Issue an API token acting as USERNAME and print it (it is stored only as a hash)."""
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise CommandFailed(f"unknown user {username!r}", EXIT_NOT_FOUND)
    if not user.active:
        raise CommandFailed(f"user {username!r} is disabled", EXIT_REFUSED)
    with force_locale("en"):
        try:
            with unit_of_work():
                issued = tokens.issue_token(user, name, days=days)
        except InvalidInput as exc:
            raise click.BadParameter(exc.message, param_hint="--name") from exc
    # Only the token on standard output, so `TOKEN=$(workflow-app tokens create …)` works.
    click.echo(issued.secret)
    click.echo(
        f"token {issued.token.id} ({issued.token.name}) for {username}: shown only this once",
        err=True,
    )
