"""One live plan per district and period.

A plan is live until it enters a state its definition marks `final` (withdrawn, closed). While
live it holds each year of its period in `live_plan_year`, whose primary key (region, year)
refuses a second holder on SQLite and PostgreSQL alike, also when two requests ask at once.

Periods that overlap count as the same period: two live plans covering one year would give the
province two sets of targets and budgets for that year and the district two rounds of
quarterly reports; and a rule on identical periods only would be dodged by shifting a year.
Consecutive periods (2025–2029, then 2030–2034) do not overlap: the next plan can be drafted
while the current one is monitored.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..engine import InvalidInput
from ..extensions import db
from ..firing import Fired, on_entering
from ..regions.models import Region
from ..workflows import definition_of
from .models import PLAN_KIND_NAME, ActionPlan, LivePlanYear


class PeriodTaken(InvalidInput):
    """Another live plan of the district covers a year of the period asked for."""

    def __init__(self, region: Region, holder: ActionPlan) -> None:
        self.holder = holder
        super().__init__(
            _(
                "%(region)s already has a live action plan for %(period)s: “%(title)s”. "
                "A district has one live plan for any year: carry on with that plan, or "
                "choose a period that does not overlap %(period)s.",
                region=region.name,
                period=holder.period_label,
                title=holder.title,
            )
        )


def is_live(plan: ActionPlan) -> bool:
    """Whether the plan is in a state its definition does not mark `final`."""
    return not definition_of(plan).states[plan.state].final


def holder(
    region: Region, start: int, end: int, *, besides: ActionPlan | None = None
) -> ActionPlan | None:
    """The live plan of `region` holding a year of start..end (other than `besides`), if any."""
    query = (
        select(ActionPlan)
        .join(LivePlanYear, LivePlanYear.plan_id == ActionPlan.id)
        .where(
            LivePlanYear.region_id == region.id,
            LivePlanYear.year.between(start, end),
        )
        .order_by(LivePlanYear.year)
        .limit(1)
    )
    if besides is not None and besides.id is not None:
        query = query.where(ActionPlan.id != besides.id)
    return db.session.scalars(query).first()


def check_free(region: Region, start: int, end: int, *, besides: ActionPlan | None = None) -> None:
    """Refuse (PeriodTaken) a period another live plan of `region` already covers."""
    taken = holder(region, start, end, besides=besides)
    if taken is not None:
        raise PeriodTaken(region, taken)


def hold(plan: ActionPlan, start: int, end: int) -> None:
    """Make the live `plan` hold exactly the years start..end of its district, or refuse with
    PeriodTaken and hold nothing new. Callers `check_free` first, before writing anything; the
    constraint catches whoever took a year since. The caller has written the plan in this
    transaction already, so the savepoint below sits inside it on every database."""
    try:
        # The savepoint first (opening it flushes what is pending), then the rows in it alone.
        with db.session.begin_nested():
            # Keep the rows of the years that stay: a flush inserts before it deletes, so a
            # fresh row for a year the plan already holds would collide with its own old one.
            held = {row.year: row for row in plan.live_years}
            plan.live_years = [
                held.get(year) or LivePlanYear(region_id=plan.region_id, year=year)
                for year in range(start, end + 1)
            ]
            db.session.flush()
    except IntegrityError:
        # Another request took a year between the check and now: refuse it the same way.
        # (No autoflush: the rows that failed are still pending.)
        with db.session.no_autoflush:
            taken = holder(plan.region, start, end, besides=plan)
        if taken is None:  # released again meanwhile: a retry would get it
            raise InvalidInput(
                _("Another plan of this district changed its period at the same moment. Try again.")
            ) from None
        raise PeriodTaken(plan.region, taken) from None


def _release_when_final(fired: Fired) -> None:
    """A plan entering a final state (withdrawn, closed) leaves its years to the next plan."""
    plan = fired.case
    if definition_of(plan).states[plan.state].final:
        plan.live_years.clear()


on_entering(_release_when_final, kind=PLAN_KIND_NAME)
