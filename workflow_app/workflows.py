"""Access to the app's loaded workflow definitions."""

from __future__ import annotations

from flask import current_app

from .engine import WorkflowDefinition, WorkflowMachine, WorkflowRegistry


def registry() -> WorkflowRegistry:
    return current_app.extensions["workflows"]


def definition_of(subject: object) -> WorkflowDefinition:
    """The definition a plan runs under (its recorded name and version, not the latest)."""
    return registry().get(subject.workflow_name, subject.workflow_version)  # type: ignore[attr-defined]


def machine_of(subject: object) -> WorkflowMachine:
    return registry().machine(subject.workflow_name, subject.workflow_version)  # type: ignore[attr-defined]
