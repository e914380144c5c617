"""`workflow-app export plan` and `workflow-app import activities`: the web's spreadsheet export
and activity import for batch work, through the same code and the same operation."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import AppGroup
from flask_babel import force_locale
from sqlalchemy import select

from ..accounts.models import User
from ..engine import OutOfScope, TransitionRefused
from ..extensions import db
from ..plans import operations
from ..plans.models import ActionPlan
from ..spreadsheets.activity_import import (
    MAX_BYTES,
    FileRejected,
    RowsRejected,
    read_activities,
)
from ..spreadsheets.plan_export import plan_sheets
from ..spreadsheets.tabular import FORMATS, render
from ..unit_of_work import unit_of_work
from .exits import EXIT_NOT_FOUND, EXIT_REFUSED, CommandFailed

export_group = AppGroup("export", help="Write plans as spreadsheets (XLSX or CSV).")
import_group = AppGroup("import", help="Read plan contents from spreadsheets.")


@export_group.command("plan")
@click.argument("plan_id", type=int)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default=None,
    help="xlsx (every sheet) or csv (activities with funding). Default: from FILE's suffix.",
)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, writable=True, allow_dash=True, path_type=Path),
    metavar="FILE",
    help="Where to write; '-' for standard output.",
)
def export_plan_command(plan_id: int, fmt: str | None, output: Path) -> None:
    """Write plan PLAN_ID to FILE (all regions, like `plans list`: the administrator's view)."""
    if fmt is None:
        fmt = output.suffix.lstrip(".").lower()
        if fmt not in FORMATS:
            raise click.BadParameter(
                "give --format xlsx or --format csv (FILE has neither suffix)",
                param_hint="--format",
            )
    plan = db.session.get(ActionPlan, plan_id)
    if plan is None:
        raise CommandFailed(f"plan {plan_id} not found", EXIT_NOT_FOUND)
    with force_locale("id"):  # the file's labels are Indonesian, as in the web's export
        body = render(plan_sheets(plan, fmt), fmt)  # type: ignore[arg-type]
    if str(output) == "-":
        sys.stdout.buffer.write(body)
        sys.stdout.buffer.flush()
        return
    try:
        output.write_bytes(body)
    except OSError as exc:
        raise CommandFailed(f"cannot write {output}: {exc.strerror or exc}") from exc
    click.echo(f"plan {plan_id}: {fmt} written to {output} ({len(body)} bytes)", err=True)


@import_group.command("activities")
@click.argument("plan_id", type=int)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, readable=True, path_type=Path))
@click.option("--as", "username", required=True, metavar="USERNAME", help="Act as this user.")
@click.option(
    "--replace",
    is_flag=True,
    help="Confirm that the plan's current activities are to be replaced (needed if it has any).",
)
def import_activities_command(plan_id: int, file: Path, username: str, replace: bool) -> None:
    """Replace the activities of plan PLAN_ID with those of FILE (the import template's layout),
    as USERNAME (the district drafter, while the plan is editable). Nothing is saved unless
    every row is valid; each invalid row is printed as "SHEET ROW COLUMN: REASON"."""
    actor = db.session.scalar(select(User).where(User.username == username))
    if actor is None:
        raise CommandFailed(f"unknown user {username!r}", EXIT_NOT_FOUND)
    if not actor.is_active:
        raise CommandFailed(f"user {username!r} is disabled", EXIT_REFUSED)
    with force_locale("en"):  # English messages on the command line
        try:
            plan = operations.load_visible_plan(actor, plan_id)
            operations.check_editable(actor, plan)
        except OutOfScope as exc:
            raise CommandFailed(f"plan {plan_id} not found", EXIT_NOT_FOUND) from exc
        except TransitionRefused as exc:
            raise CommandFailed(
                f"refused ({exc.status} {exc.code}): {exc.message}", EXIT_REFUSED
            ) from exc
        if plan.activities and not replace:
            raise CommandFailed(
                f"plan {plan_id} already has {len(plan.activities)} activities; "
                "add --replace to replace them",
                EXIT_REFUSED,
            )
        with file.open("rb") as stream:
            content = stream.read(MAX_BYTES + 1)
        try:
            activities = read_activities(content, plan)
        except FileRejected as exc:
            raise CommandFailed(f"{file}: {exc.message}", EXIT_REFUSED) from exc
        except RowsRejected as exc:
            for error in exc.errors:
                click.echo(str(error), err=True)
            raise CommandFailed(
                f"{len(exc.errors)} invalid cells in {file}; nothing was imported", EXIT_REFUSED
            ) from exc
        try:
            with unit_of_work():
                operations.replace_activities(
                    actor, plan, expected_version=plan.version, activities=activities
                )
        except TransitionRefused as exc:
            raise CommandFailed(
                f"refused ({exc.status} {exc.code}): {exc.message}", EXIT_REFUSED
            ) from exc
    click.echo(
        f"plan {plan_id}: {len(activities)} activities imported from {file} "
        f"(by {username}, version {plan.version})"
    )
