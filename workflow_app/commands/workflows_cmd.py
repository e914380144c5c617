"""`workflow-app workflows check|migrate`: validate the definitions (and the cases running
under them) without starting anything; move running cases to another version, on the record."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from ..engine import (
    DefinitionError,
    DefinitionErrors,
    TransitionRefused,
    WorkflowDefinition,
    WorkflowRegistry,
    guards,
)
from ..unit_of_work import unit_of_work
from .exits import EXIT_REFUSED, EXIT_USAGE, CommandFailed

workflows_group = AppGroup("workflows", help="Workflow definitions.")


def _summary(definition: WorkflowDefinition, registry: WorkflowRegistry) -> str:
    current = registry.latest(definition.name).version == definition.version
    return (
        f"{definition.source_file}: {definition.name} version {definition.version}: "
        f"{len(definition.states)} states, {len(definition.transitions)} transitions "
        f"({', '.join(definition.triggers)})" + ("; new cases get this version" if current else "")
    )


def _load(directory: Path) -> tuple[WorkflowRegistry | None, list[DefinitionError]]:
    from ..engine.requirements import check_requirements

    try:
        registry = WorkflowRegistry.from_directory(directory, guards)
    except DefinitionErrors as exc:
        return None, exc.errors
    except DefinitionError as exc:
        return None, [exc]
    return registry, check_requirements(registry)


@workflows_group.command("check")
@click.option(
    "--dir",
    "directory",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Check the definitions in this directory instead of the app's own.",
)
def check_command(directory: Path | None) -> None:
    """Validate every definition (*.yaml) of the workflows directory, and that every case and
    pending step in the database finds its version and state there."""
    # Importing the guards registers them, so definitions can name them.
    from ..monitoring import guards as _report_guards  # noqa: F401
    from ..plans import guards as _plan_guards  # noqa: F401
    from ..versions.startup import version_problems

    directory = directory or Path(current_app.config["WORKFLOWS_DIR"])
    registry, errors = _load(directory)
    if registry is not None and not errors:
        errors = version_problems(registry)
    if registry is not None:
        for definition in sorted(registry.definitions(), key=lambda d: d.source_file):
            click.echo(_summary(definition, registry))
    for exc in errors:
        # One line per problem (a YAML error spans several lines with a code excerpt).
        click.echo(f"workflow definition error: {' '.join(str(exc).split())}", err=True)
    if errors:
        # The same exit code as an app refusing to start on an invalid definition.
        click.get_current_context().exit(EXIT_USAGE)


def _mapping(pairs: tuple[str, ...]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for pair in pairs:
        old, sep, new = pair.partition("=")
        if not sep or not old.strip() or not new.strip():
            raise click.BadParameter(f"{pair!r} is not OLD=NEW", param_hint="--map")
        mapping[old.strip()] = new.strip()
    return mapping


@workflows_group.command("migrate")
@click.argument("name")
@click.option("--from", "old", type=int, required=True, help="The version cases run under now.")
@click.option("--to", "new", type=int, required=True, help="The version to move them to.")
@click.option(
    "--map",
    "pairs",
    multiple=True,
    metavar="OLD=NEW",
    help="Where cases in state OLD go (repeat it); a state both versions have keeps its name.",
)
@click.option("--dry-run", is_flag=True, help="Show what would move; change nothing.")
def migrate_command(name: str, old: int, new: int, pairs: tuple[str, ...], dry_run: bool) -> None:
    """Move the running cases of workflow NAME from one version to another. Each case moved
    gets a history row in its audit chain; nothing moves if any case has no place."""
    from ..versions.migrate import migrate_cases

    mapping = _mapping(pairs)
    try:
        with unit_of_work():
            moved = migrate_cases(name, old, new, mapping, dry_run=dry_run)
    except TransitionRefused as exc:
        raise CommandFailed(exc.message, EXIT_REFUSED) from exc
    for item in moved:
        arrow = (
            item.from_state
            if item.from_state == item.to_state
            else (f"{item.from_state} -> {item.to_state}")
        )
        click.echo(f"{item.kind} {item.case_id}: {arrow}")
    verb = "would move" if dry_run else "moved"
    click.echo(f"{verb} {len(moved)} case(s) of {name} from version {old} to {new}")
