"""Who may see and fill in a plan's progress reports: the plan's own rules, and for partners
(mitra) only reports in a `published` state (verified), as for plans."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, and_, or_, select

from ..accounts.models import User
from ..engine import Grant
from ..plans.access import can_view, published_states, scope_of, visible_plans
from ..plans.models import ActionPlan
from ..workflows import REPORT_WORKFLOW, covers, definition_of, roles
from .models import ProgressReport


def published_report_states() -> set[str]:
    return published_states(REPORT_WORKFLOW)


def can_view_report(user: User, report: ProgressReport) -> bool:
    """Whoever may see the plan through a role other than partner sees all its reports; a
    partner sees the published (verified) ones of the published plans of their regions."""
    if not can_view(user, report.plan):
        return False
    scope = scope_of(report.plan)
    catalogue = roles()
    insider = any(not catalogue.published_only(g.role) and covers(g, scope) for g in user.grants())
    return insider or definition_of(report).states[report.state].published


@dataclass(frozen=True)
class _GrantsOnly:
    """Stands in for a user holding only some of their grants (for `visible_plans`)."""

    held: tuple[Grant, ...]

    def grants(self) -> list[Grant]:
        return list(self.held)


def report_condition(user: User) -> ColumnElement[bool]:
    """The rule of `can_view_report` as SQL: of a visible plan, and published unless some
    non-partner grant of the user lets them see that plan anyway."""
    grants = user.grants()
    of_visible_plan = ProgressReport.plan_id.in_(
        visible_plans(user).with_only_columns(ActionPlan.id)
    )
    insider = tuple(g for g in grants if not roles().published_only(g.role))
    if len(insider) == len(grants):
        return of_visible_plan
    published = ProgressReport.state.in_(published_report_states())
    if not insider:
        return and_(of_visible_plan, published)
    insider_plans = visible_plans(_GrantsOnly(insider)).with_only_columns(ActionPlan.id)  # type: ignore[arg-type]
    return and_(of_visible_plan, or_(published, ProgressReport.plan_id.in_(insider_plans)))


def visible_reports(user: User) -> Select[tuple[ProgressReport]]:
    """A SELECT of the reports `user` may see (the rule of `can_view_report`)."""
    return select(ProgressReport).where(report_condition(user))
