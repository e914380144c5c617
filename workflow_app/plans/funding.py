"""How much money a plan may hold, checked by the plan operations before anything changes, so
the web forms, the import and the command line all meet the same limits.

An activity's rows of the same year and source are merged into one stored row; the merged row
is held to the same cap as a typed one (MAX_AMOUNT), so eighty rows of Rp10^15 cannot become one
of 8x10^16. An activity's total and a plan's total have caps of their own (ACTIVITY_MAX_FUNDING,
PLAN_MAX_FUNDING): by default Rp10 trillion and Rp100 trillion. The whole province of
Kalimantan Selatan spends about Rp10 trillion a year and a district a few trillion, so no real
sanitation activity or five-year plan comes near them; they stop absurd figures from being
stored and keep every sum the dashboards and exports add up far inside a BIGINT.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from ..engine import InvalidInput
from ..extensions import db
from ..number_input import MAX_AMOUNT
from ..templating import rupiah
from .models import ActionPlan, Activity, Funding
from .vocabulary import FUNDING_SOURCES


class FundingRow(Protocol):
    year: int
    source: str
    amount: int


def activity_cap() -> int:
    return int(current_app.config["ACTIVITY_MAX_FUNDING"])


def plan_cap() -> int:
    return int(current_app.config["PLAN_MAX_FUNDING"])


def outside_schedule(year: int, start: int, end: int) -> str | None:
    """Why funding in `year` cannot belong to an activity running from `start` to `end`, or
    None when it fits. The web form (next to the row's year), the import (per row) and the
    operations (for any caller) refuse by this one rule and message."""
    if start <= year <= end:
        return None
    return _(
        "The year is outside the activity's schedule (%(start)d–%(end)d).", start=start, end=end
    )


def check_schedule(title: str, start: int, end: int, rows: Iterable[FundingRow]) -> None:
    """InvalidInput naming the activity when one of its funding rows lies outside its years."""
    for row in rows:
        reason = outside_schedule(row.year, start, end)
        if reason is not None:
            raise InvalidInput(
                _(
                    "Activity “%(title)s”, funding in %(year)d: %(reason)s",
                    title=title,
                    year=row.year,
                    reason=reason,
                )
            )


def merged(title: str, rows: Iterable[FundingRow]) -> dict[tuple[int, str], int]:
    """The activity's rows merged by (year, source), or InvalidInput naming the activity when
    an amount is negative, a merged row exceeds MAX_AMOUNT or the total exceeds the cap."""
    totals: dict[tuple[int, str], int] = {}
    for row in rows:
        if row.amount < 0:
            raise InvalidInput(_("A funding amount cannot be negative."))
        totals[(row.year, row.source)] = totals.get((row.year, row.source), 0) + row.amount
    for (year, source), amount in sorted(totals.items()):
        if amount > MAX_AMOUNT:
            raise InvalidInput(
                _(
                    "Activity “%(title)s”: the funding from %(source)s in %(year)d adds up to "
                    "%(amount)s; at most %(limit)s is accepted for one source in one year.",
                    title=title,
                    source=str(FUNDING_SOURCES.get(source, source)),
                    year=year,
                    amount=rupiah(amount),
                    limit=rupiah(MAX_AMOUNT),
                )
            )
    total = sum(totals.values())
    if total > activity_cap():
        raise InvalidInput(
            _(
                "Activity “%(title)s” is funded with %(amount)s in all; at most %(limit)s is "
                "accepted for one activity.",
                title=title,
                amount=rupiah(total),
                limit=rupiah(activity_cap()),
            )
        )
    return totals


def check_plan_total(
    plan: ActionPlan,
    additions: Sequence[tuple[str, int]],
    *,
    keep_others: bool = True,
    besides: int | None = None,
) -> None:
    """Refuse (InvalidInput) when the plan's total would exceed the cap with `additions` (each
    an activity's title and total, in order) beside its other activities (`keep_others`; the
    activity `besides` is being replaced and does not count). The refusal names the activity
    with which the total goes over the cap."""
    total = 0
    if keep_others:
        query = (
            select(func.coalesce(func.sum(Funding.amount), 0))
            .join(Activity, Activity.id == Funding.activity_id)
            .where(Activity.plan_id == plan.id)
        )
        if besides is not None:
            query = query.where(Activity.id != besides)
        total = int(db.session.scalar(query) or 0)
    for title, amount in additions:
        total += amount
        if total > plan_cap():
            raise InvalidInput(
                _(
                    "With activity “%(title)s” the plan's funding would total %(amount)s; at "
                    "most %(limit)s is accepted for one plan.",
                    title=title,
                    amount=rupiah(total),
                    limit=rupiah(plan_cap()),
                )
            )
