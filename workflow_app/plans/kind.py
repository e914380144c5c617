"""Action plans as a kind of case the core knows (subjects.register_kind)."""

from __future__ import annotations

from ..deadlines.models import ScheduledStep
from ..subjects import CaseKind, register_kind
from ..workflows import PLAN_WORKFLOW
from .models import ActionPlan

PLAN_KIND = register_kind(
    CaseKind(
        name="plan",
        model=ActionPlan,
        workflow=PLAN_WORKFLOW,
        steps_of=lambda: (
            (ScheduledStep.plan_id == ActionPlan.id) & ScheduledStep.report_id.is_(None)
        ),
        row_keys=lambda plan: {"plan_id": plan.id, "report_id": None},
    )
)
