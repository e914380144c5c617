"""Access to the app's loaded workflow definitions."""

from __future__ import annotations

from flask import current_app

from .engine import WorkflowDefinition, WorkflowMachine, WorkflowRegistry

PLAN_WORKFLOW = "action_plan"
REPORT_WORKFLOW = "progress_report"


def registry() -> WorkflowRegistry:
    return current_app.extensions["workflows"]


def definitions_of(name: str) -> list[WorkflowDefinition]:
    """Every loaded version of one workflow (plans and reports have states of the same name)."""
    return [d for d in registry().definitions() if d.name == name]


def definition_of(subject: object) -> WorkflowDefinition:
    """The definition a plan or report runs under: its recorded version, not the latest."""
    return registry().get(subject.workflow_name, subject.workflow_version)  # type: ignore[attr-defined]


def machine_of(subject: object) -> WorkflowMachine:
    return registry().machine(subject.workflow_name, subject.workflow_version)  # type: ignore[attr-defined]
