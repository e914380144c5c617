"""Who may see and fill in a plan's progress reports: the plan's own rules."""

from __future__ import annotations

from sqlalchemy import Select, select

from ..accounts.models import User
from ..engine import Role, grant_covers
from ..plans.access import can_view, scope_of, visible_plans
from ..plans.models import ActionPlan
from ..workflows import definition_of
from .models import ProgressReport


def can_view_report(user: User, report: ProgressReport) -> bool:
    """Whoever may see the plan may see its reports (partners: the plan is published then)."""
    return can_view(user, report.plan)


def can_fill_in(user: User, report: ProgressReport) -> bool:
    """The district drafter, while the report is in an editable state (due or returned)."""
    scope = scope_of(report.plan)
    return definition_of(report).states[report.state].editable and any(
        g.role == Role.DISTRICT_DRAFTER and grant_covers(g, scope) for g in user.grants()
    )


def visible_reports(user: User) -> Select[tuple[ProgressReport]]:
    """A SELECT of the reports of the plans `user` may see."""
    plan_ids = visible_plans(user).with_only_columns(ActionPlan.id)
    return select(ProgressReport).where(ProgressReport.plan_id.in_(plan_ids))
