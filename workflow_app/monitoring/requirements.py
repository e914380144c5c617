"""What monitoring needs the definitions to declare (checked at start-up and by
`workflow-app workflows check`; see engine/requirements.py)."""

from __future__ import annotations

from ..engine import WorkflowDefinition
from ..engine.requirements import Requirement, requirements
from ..workflows import PLAN_WORKFLOW, REPORT_WORKFLOW

#: The `automatic` value of the transition the monitoring round fires when a period starts.
PERIOD_START = "period_start"
#: The state tag of monitored plans: the round opens their quarterly reports.
MONITORING = "monitoring"


def _starts_monitoring(definition: WorkflowDefinition) -> list[tuple[str, str]]:
    if any(
        definition.states[t.dest].has(MONITORING)
        for t in definition.transitions_where(automatic=PERIOD_START)
        if t.dest in definition.states
    ):
        return []
    return [
        (
            "transitions",
            f"no transition has `automatic: {PERIOD_START}` with a `dest` state tagged "
            f"`{MONITORING}`",
        )
    ]


def _hands_in_reports(definition: WorkflowDefinition) -> list[tuple[str, str]]:
    if definition.transitions_where(submission=True):
        return []
    return [("transitions", "no transition has `submission: true`")]


START_MONITORING = requirements.register(
    Requirement(
        PLAN_WORKFLOW,
        "monitoring starts by itself when a plan's period does",
        _starts_monitoring,
    )
)
HAND_IN_REPORTS = requirements.register(
    Requirement(
        REPORT_WORKFLOW,
        "a progress report records when it was handed in",
        _hands_in_reports,
    )
)
