"""`workflow-app workflows check`: validate workflow definitions without starting anything."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from ..engine import DefinitionError, WorkflowDefinition, WorkflowRegistry, guards, load_definition
from .exits import EXIT_USAGE

workflows_group = AppGroup("workflows", help="Workflow definitions.")


def _summary(definition: WorkflowDefinition) -> str:
    return (
        f"{definition.source_file}: {definition.name} version {definition.version}: "
        f"{len(definition.states)} states, {len(definition.transitions)} transitions "
        f"({', '.join(definition.triggers)})"
    )


@workflows_group.command("check")
@click.option(
    "--dir",
    "directory",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Check the definitions in this directory instead of the app's own.",
)
def check_command(directory: Path | None) -> None:
    """Validate every definition (*.yaml) of the workflows directory."""
    # Importing the plan guards registers them, so definitions can name them.
    from ..plans import guards as _plan_guards  # noqa: F401

    directory = directory or Path(current_app.config["WORKFLOWS_DIR"])
    files = sorted(directory.glob("*.yaml"))
    errors: list[DefinitionError] = []
    for path in files:
        try:
            load_definition(path, guards)
        except DefinitionError as exc:
            errors.append(exc)
    if not errors:
        try:
            # The same construction the app makes at start-up: also catches duplicate versions
            # and an empty directory.
            registry = WorkflowRegistry.from_directory(directory, guards)
        except DefinitionError as exc:
            errors.append(exc)
        else:
            for definition in registry.definitions():
                click.echo(_summary(definition))
    for exc in errors:
        # One line per problem (a YAML error spans several lines with a code excerpt).
        click.echo(f"workflow definition error: {' '.join(str(exc).split())}", err=True)
    if errors:
        # The same exit code as an app refusing to start on an invalid definition.
        click.get_current_context().exit(EXIT_USAGE)
