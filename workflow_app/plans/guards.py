"""Guards for the action plan workflow, registered by name for the definitions to use."""

from __future__ import annotations

from flask_babel import gettext as _

from ..engine import guards
from .models import ActionPlan


@guards.register("plan_complete")
def plan_complete(plan: ActionPlan) -> list[str]:
    """A plan can go to review only with at least one activity, every activity with an agency
    and funding, and every indicator with a baseline and a target for every year."""
    problems: list[str] = []
    if not plan.activities:
        problems.append(_("The plan has no activity yet."))
    for activity in plan.activities:
        if activity.agency_id is None:
            problems.append(
                _("Activity “%(title)s” has no responsible agency.", title=activity.title)
            )
        if not any(f.amount > 0 for f in activity.funding):
            problems.append(_("Activity “%(title)s” has no funding.", title=activity.title))
    for indicator in plan.indicators:
        if indicator.baseline_year is None or indicator.baseline_value is None:
            problems.append(_("Indicator “%(name)s” has no baseline.", name=indicator.name))
        missing = [year for year in plan.years if indicator.target_for(year) is None]
        if missing:
            problems.append(
                _(
                    "Indicator “%(name)s” has no target for %(years)s.",
                    name=indicator.name,
                    years=", ".join(str(y) for y in missing),
                )
            )
    return problems
