"""`workflow-app seed-demo`: demo regions, users and plans on an empty database."""

from __future__ import annotations

import os
import secrets

import click
from flask.cli import with_appcontext
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

from .. import demo
from ..extensions import db
from ..unit_of_work import unit_of_work
from ..workflows import definition_of
from .exits import CommandFailed

PASSWORD_ENV = "WORKFLOW_APP_DEMO_PASSWORD"


def _has_users() -> bool:
    try:
        return demo.database_has_users()
    except (OperationalError, ProgrammingError) as exc:
        db.session.rollback()
        raise CommandFailed(
            "the database has no tables yet: run `workflow-app db upgrade` first"
        ) from exc


@click.command("seed-demo")
@with_appcontext
def seed_demo_command() -> None:
    """Create demo regions, users for every role and sample plans (empty database only)."""
    if _has_users():
        click.echo("The database already has users: demo data not added, nothing changed.")
        return
    password = os.environ.get(PASSWORD_ENV) or secrets.token_urlsafe(12)
    try:
        with unit_of_work():
            data = demo.build_demo(password)
    except IntegrityError:
        # Another seed-demo won the race; what it created stays, ours was rolled back.
        click.echo("Demo data was created concurrently by another process: nothing changed.")
        return

    click.echo(f"Created {len(data.users)} demo users and {len(data.plans)} plans:")
    for code, plan in data.plans.items():
        state = definition_of(plan).states[plan.state].label.en
        click.echo(f"  plan {plan.id}  {code} {plan.region.name}: {state} ({plan.state})")
    click.echo("Log in as admin, provincial.63, head.63, drafter.<code>, reviewer.<code>,")
    click.echo("head.<code> (every district code, e.g. drafter.6371) or mitra.demo.")
    if os.environ.get(PASSWORD_ENV):
        click.echo(f"Password of every demo user: the value of {PASSWORD_ENV}.")
    else:
        click.echo(f"Password of every demo user (shown only this once): {password}")
