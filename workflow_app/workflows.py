"""Access to the app's loaded workflow definitions and the roles they declare."""

from __future__ import annotations

from flask import current_app

from .engine import (
    Grant,
    RoleCatalogue,
    Scope,
    WorkflowDefinition,
    WorkflowMachine,
    WorkflowRegistry,
    grant_covers,
)

# The workflows the two built-in kinds of case run under (the file names in workflows/).
PLAN_WORKFLOW = "action_plan"
REPORT_WORKFLOW = "progress_report"


def registry() -> WorkflowRegistry:
    return current_app.extensions["workflows"]


def roles() -> RoleCatalogue:
    """Every role: the platform's and those the loaded definitions declare."""
    return registry().roles


def covers(grant: Grant, scope: Scope) -> bool:
    """Whether `grant` acts in `scope`, by the scope its role is declared with."""
    return grant_covers(grant, scope, registry().roles)


def role_label(role: str, language: str | None = None) -> str:
    """A role's label in `language` (default: the current locale)."""
    if language is None:
        from flask_babel import get_locale

        locale = get_locale()
        language = locale.language if locale is not None else "id"
    return roles().label(role, language)


def definitions_of(name: str) -> list[WorkflowDefinition]:
    """Every loaded version of one workflow (plans and reports have states of the same name)."""
    return [d for d in registry().definitions() if d.name == name]


def states_tagged(name: str, tag: str) -> set[str]:
    """The states of every loaded version of workflow `name` that carry `tag`."""
    return {state for d in definitions_of(name) for state in d.states_tagged(tag)}


def definition_of(subject: object) -> WorkflowDefinition:
    """The definition a plan or report runs under: its recorded version, not the latest."""
    return registry().get(subject.workflow_name, subject.workflow_version)  # type: ignore[attr-defined]


def machine_of(subject: object) -> WorkflowMachine:
    return registry().machine(subject.workflow_name, subject.workflow_version)  # type: ignore[attr-defined]
