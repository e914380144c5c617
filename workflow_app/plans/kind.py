"""Action plans as a kind of case the core knows (subjects.register_kind)."""

from __future__ import annotations

from typing import Any

from ..subjects import CaseKind, register_kind
from ..workflows import PLAN_WORKFLOW
from . import live_period  # noqa: F401  (registers its hook: a final state frees the years)
from .access import can_view, scope_of, visible_plans
from .models import PLAN_KIND_NAME, ActionPlan


def plan_facts(plan: ActionPlan) -> dict[str, Any]:
    """The facts every plan email needs, frozen at the moment of the event."""
    return {
        "plan_id": plan.id,
        "plan_title": plan.title,
        "period": plan.period_label,
        "region_code": plan.region.code,
        "region_name": plan.region.name,
        "workflow": plan.workflow_name,
        "workflow_version": plan.workflow_version,
        "state": plan.state,
        "due_at": plan.due_at.isoformat() if plan.due_at else None,
        "item_path": f"/plans/{plan.id}",
    }


PLAN_KIND = register_kind(
    CaseKind(
        name=PLAN_KIND_NAME,
        model=ActionPlan,
        workflow=PLAN_WORKFLOW,
        scope_of=scope_of,
        visible_to=can_view,
        visible_query=visible_plans,
        facts_of=plan_facts,
        describe=lambda plan: f"plan {plan.id}",
        incomplete="the plan is not complete",
    )
)
