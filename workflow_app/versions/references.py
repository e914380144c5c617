"""Every (workflow, version, state) a case is in, and every step still to fire, must exist in
the loaded definitions; otherwise pages and the sweep would fail on that case."""

from __future__ import annotations

from sqlalchemy import func, select

from ..deadlines.models import ScheduledStep
from ..engine import DefinitionError, WorkflowRegistry
from ..extensions import db
from ..subjects import case_kinds
from .store import remember


def _file(name: str, version: int, registry: WorkflowRegistry) -> str:
    definition = registry.find(name, version)
    if definition is not None:
        return definition.source_file
    try:
        latest = registry.latest(name)
    except KeyError:
        return f"{name}.yaml"
    return f"{name}.v{version}.yaml" if version != latest.version else f"{name}.yaml"


def missing_references(registry: WorkflowRegistry) -> list[DefinitionError]:
    errors: list[DefinitionError] = []
    for kind in case_kinds():
        model = kind.model
        rows = db.session.execute(
            select(model.workflow_name, model.workflow_version, model.state, func.count())
            .where(kind.rows_where())
            .group_by(model.workflow_name, model.workflow_version, model.state)
            .order_by(model.workflow_name, model.workflow_version, model.state)
        )
        for name, version, state, count in rows:
            definition = registry.find(name, version)
            file = _file(name, version, registry)
            if definition is None:
                errors.append(
                    DefinitionError(
                        file,
                        "(file)",
                        f"{count} {kind.name}(s) in state {state!r} run under {name} version "
                        f"{version}, which no file defines: restore {file}, or move them with "
                        f"`workflow-app workflows migrate {name} --from {version} --to N`",
                    )
                )
            elif state not in definition.states:
                errors.append(
                    DefinitionError(
                        file,
                        f"states.{state}",
                        f"{count} {kind.name}(s) are in state {state!r}, which {name} version "
                        f"{version} no longer has",
                    )
                )
        steps = db.session.execute(
            select(
                model.workflow_name,
                model.workflow_version,
                ScheduledStep.state,
                ScheduledStep.step,
                func.count(),
            )
            .join(model, ScheduledStep.subject_is(kind.name, model.id))
            .where(ScheduledStep.status == "pending")
            .group_by(
                model.workflow_name, model.workflow_version, ScheduledStep.state, ScheduledStep.step
            )
        )
        for name, version, state, step, count in steps:
            definition = registry.find(name, version)
            if definition is None:
                continue  # named above with its cases
            if ":" in step:  # a participant's sign-off step, "<name>:<sign-off id>"
                signing = definition.states[state].sign_off if state in definition.states else None
                if signing is not None and signing.step(step.split(":", 1)[0]) is not None:
                    continue
                deadline = None
            else:
                deadline = definition.deadlines.get(state)
            if deadline is None or deadline.step(step) is None:
                errors.append(
                    DefinitionError(
                        _file(name, version, registry),
                        f"deadlines.{state}",
                        f"{count} pending step(s) {step!r} of {kind.name}s in state {state!r} "
                        f"are not in {name} version {version}",
                    )
                )
    return errors


def remember_used_versions(registry: WorkflowRegistry) -> None:
    """Store the versions cases already use (data from before versions were stored)."""
    for kind in case_kinds():
        model = kind.model
        used = db.session.execute(
            select(model.workflow_name, model.workflow_version).where(kind.rows_where()).distinct()
        )
        for name, version in used:
            definition = registry.find(name, version)
            if definition is not None:
                remember(definition)
