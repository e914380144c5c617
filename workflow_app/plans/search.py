"""Finding plans: a text search across plans and their activities, and filters by region,
year, agency (OPD) and state, always inside what the user may see (access.visible_plans).

Two statements whatever the number of results: the plans, then the activities that matched
in those plans (to show on each row which activity matched).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from markupsafe import Markup, escape
from sqlalchemy import ColumnElement, Select, and_, func, or_, select, true
from sqlalchemy.orm import Bundle, aliased, joinedload, lazyload

from ..accounts.models import User
from ..extensions import db
from ..regions.models import Agency, Region
from ..templating import page_gettext as _
from ..templating import page_language, row_link, state_badge, wita_datetime
from .access import visible_plans
from .blueprint import blueprint
from .lists_paging import ListPage, read_page
from .models import ActionPlan, Activity
from .vocabulary import ACTIVITY_TYPES, SUB_SECTORS

QUERY_MAX_LENGTH = 100  # a search is a few words; longer text is refused, not truncated


@dataclass(frozen=True)
class Filters:
    """What the plans list is narrowed by; empty values narrow nothing."""

    text: str = ""
    region_code: str | None = None
    year: int | None = None
    agency_id: int | None = None
    state: str | None = None

    @property
    def looks_into_activities(self) -> bool:
        return bool(self.text) or self.agency_id is not None


@dataclass
class Result:
    """A plan found, with the activities that matched the search (none for a plan that
    matched by its own title or region, or when only plan-level filters were given)."""

    plan: ActionPlan | ListedPlan
    activities: list[Activity] = field(default_factory=list)


def _contains(column: ColumnElement[str], text: str) -> ColumnElement[bool]:
    # lower() LIKE on both databases; `autoescape` makes a typed % or _ match itself.
    return func.lower(column).contains(text.lower(), autoescape=True)


def _labelled_codes(vocabulary: dict[str, object], text: str) -> list[str]:
    """Codes of `vocabulary` whose code or label (in the request's language) contains `text`."""
    wanted = text.lower()
    return [
        code for code, label in vocabulary.items() if wanted in code or wanted in str(label).lower()
    ]


def _activity_matches_text(text: str) -> ColumnElement[bool]:
    conditions = [
        _contains(Activity.title, text),
        _contains(Activity.location, text),
        Activity.agency.has(or_(_contains(Agency.name, text), _contains(Agency.short_name, text))),
    ]
    sub_sectors = _labelled_codes(SUB_SECTORS, text)
    if sub_sectors:
        conditions.append(Activity.sub_sector.in_(sub_sectors))
    activity_types = _labelled_codes(ACTIVITY_TYPES, text)
    if activity_types:
        conditions.append(Activity.activity_type.in_(activity_types))
    return or_(*conditions)


def _plan_matches_text(text: str) -> ColumnElement[bool]:
    return or_(
        _contains(ActionPlan.title, text),
        ActionPlan.region.has(or_(_contains(Region.name, text), Region.code == text)),
    )


def _activity_condition(filters: Filters) -> ColumnElement[bool]:
    """What an activity must be to count as matched (text and agency, both when given)."""
    condition: ColumnElement[bool] = true()
    if filters.text:
        condition = and_(condition, _activity_matches_text(filters.text))
    if filters.agency_id is not None:
        condition = and_(condition, Activity.agency_id == filters.agency_id)
    return condition


def _found(user: User, filters: Filters) -> Select[tuple[ActionPlan]]:
    query = visible_plans(user)
    if filters.region_code:
        query = query.where(ActionPlan.region.has(Region.code == filters.region_code))
    if filters.state:
        query = query.where(ActionPlan.state == filters.state)
    if filters.year is not None:
        query = query.where(
            ActionPlan.period_start <= filters.year, ActionPlan.period_end >= filters.year
        )
    if filters.looks_into_activities:
        # A plan matches by its own title or region, or by one activity matching it all; the
        # agency filter always needs an activity of that agency.
        by_activity = ActionPlan.activities.any(_activity_condition(filters))
        if filters.text and filters.agency_id is not None:
            of_agency = ActionPlan.activities.any(Activity.agency_id == filters.agency_id)
            query = query.where(or_(and_(_plan_matches_text(filters.text), of_agency), by_activity))
        elif filters.text:
            query = query.where(or_(_plan_matches_text(filters.text), by_activity))
        else:
            query = query.where(by_activity)
    return query


def _in_order(found: Select[tuple[ActionPlan]]) -> Select[tuple[ActionPlan]]:
    return found.options(joinedload(ActionPlan.region).joinedload(Region.parent)).order_by(
        ActionPlan.updated_at.desc(), ActionPlan.id.desc()
    )


def _with_activities(results: list[Result], filters: Filters) -> list[Result]:
    if results and filters.looks_into_activities:
        by_plan = {result.plan.id: result for result in results}
        for activity in _matched_activities(list(by_plan), filters):
            by_plan[activity.plan_id].activities.append(activity)
    return results


def search_plans(user: User, filters: Filters) -> list[Result]:
    """The plans `user` may see that `filters` select, the latest changed first, each with the
    activities that matched."""
    found = _found(user, filters)
    results = [Result(plan) for plan in db.session.scalars(_in_order(found)).unique()]
    return _with_activities(results, filters)


@dataclass(frozen=True, slots=True)
class ListedRegion:
    name: str
    code: str


@dataclass(frozen=True, slots=True)
class ListedPlan:
    """The columns of a plan the list shows (ActionPlan's names; the state badge reads the
    workflow's name and version)."""

    id: int
    title: str
    region: ListedRegion
    period_start: int
    period_end: int
    workflow_name: str
    workflow_version: int
    state: str
    updated_at: datetime

    @property
    def period_label(self) -> str:
        return f"{self.period_start}–{self.period_end}"


class _ListedPlans(Bundle[Any]):
    """The columns below, each result row made a `ListedPlan`."""

    def create_row_processor(self, query: Any, procs: Any, labels: Any) -> Any:
        def make(row: Any) -> ListedPlan:
            id_, title, name, code, *rest = (proc(row) for proc in procs)
            return ListedPlan(id_, title, ListedRegion(name, code), *rest)

        return make


# Built once: an alias or bundle made per request costs more than the ORM objects it saves.
_LIST_REGION = aliased(Region)
_LISTED = _ListedPlans(
    "plan",
    ActionPlan.id,
    ActionPlan.title,
    _LIST_REGION.name,
    _LIST_REGION.code,
    ActionPlan.period_start,
    ActionPlan.period_end,
    ActionPlan.workflow_name,
    ActionPlan.workflow_version,
    ActionPlan.state,
    ActionPlan.updated_at,
)


def _listed(found: Select[tuple[ActionPlan]]) -> Select[tuple[ListedPlan]]:
    """`found` as `ListedPlan`s in the list's order (as `_in_order`'s): a plan with its region
    and province were three ORM objects per row, for the handful of columns shown."""
    return (
        found.with_only_columns(_LISTED)
        .select_from(ActionPlan)
        .join(_LIST_REGION, ActionPlan.region_id == _LIST_REGION.id)
        .order_by(ActionPlan.updated_at.desc(), ActionPlan.id.desc())
    )


def search_page(user: User, filters: Filters, number: int) -> ListPage[Result]:
    """Page `number` of `search_plans`: only that page's plans (as `ListedPlan`s, the columns
    the list shows) and their matched activities are read, with the total of every page
    counted in the same statement."""
    page = read_page(_listed(_found(user, filters)), number)
    results = _with_activities([Result(plan) for plan in page.items], filters)
    return ListPage(results, page.total, page.number, page.size)


MATCHES_SHOWN = 5  # matched activities named on a row; the rest are counted


@blueprint.app_template_global("plan_list_rows")
def plan_list_rows(results: list[Result], sub_sectors: Mapping[str, object]) -> Markup:
    """The body rows of the plans list (templates/plans/index.html), written in Python: the
    template's loop cost ~80% of the page (per row a dozen lookups, a `url_for` and four
    translated labels). Each row is the same markup, every value escaped as autoescape would;
    the labels are translated once per list. test_lists5_rows.py keeps it equal to the loop."""
    region, period, status, updated = _("Region"), _("Period"), _("Status"), _("Last updated")
    language, link = page_language(), row_link("plans.detail", "plan_id")
    rows = []
    for result in results:
        plan = result.plan
        matches = _matches(result.activities, sub_sectors) if result.activities else ""
        rows.append(
            f'\n      <tr id="plan-{escape(plan.id)}">\n'
            f'        <td data-label="{region}">{escape(plan.region.name)} '
            f'<small class="muted">{escape(plan.region.code)}</small></td>\n'
            f'        <td class="card-title"><a href="{escape(link(plan.id))}">'
            f"{escape(plan.title)}</a>\n          {matches}\n        </td>\n"
            f'        <td data-label="{period}">{escape(plan.period_label)}</td>\n'
            f'        <td data-label="{status}">{state_badge(plan, language)}</td>\n'
            f'        <td data-label="{updated}">'
            f"{escape(wita_datetime(plan.updated_at, language))}</td>\n      </tr>\n      "
        )
    return Markup("".join(rows))


def _matches(activities: list[Activity], sub_sectors: Mapping[str, object]) -> str:
    """The list of a row's matched activities (the first few named, the rest counted)."""
    items = []
    for activity in activities[:MATCHES_SHOWN]:
        agency = f" · {escape(activity.agency.short_name)}" if activity.agency else ""
        code = activity.sub_sector
        items.append(
            f'\n            <li id="match-{escape(activity.id)}">{escape(activity.title)} '
            f'<span class="muted">· {escape(activity.location)}{agency} · '
            f"{escape(sub_sectors.get(code, code))}</span></li>\n            "
        )
    more = ""
    if len(activities) > MATCHES_SHOWN:
        count = len(activities) - MATCHES_SHOWN
        more = f'<li class="muted">{_("and %(count)d more", count=count)}</li>'
    return (
        f'\n          <ul class="matched-activities small" '
        f'aria-label="{_("Matching activities")}">\n            {"".join(items)}\n'
        f"            {more}\n          </ul>\n          "
    )


def _matched_activities(plan_ids: list[int], filters: Filters) -> Iterable[Activity]:
    # The ids of the plans shown (already inside the user's scope and the filters).
    query = (
        select(Activity)
        .where(Activity.plan_id.in_(plan_ids), _activity_condition(filters))
        # The agency comes in the same statement; the funding is not shown here.
        .options(joinedload(Activity.agency), lazyload(Activity.funding))
        .order_by(Activity.plan_id, Activity.position, Activity.id)
    )
    return db.session.scalars(query).unique()


def agency_options(user: User) -> list[Agency]:
    """The agencies (OPD) with an activity in a plan the user may see: the agency filter's
    choices, ordered by region and name."""
    plan_ids = visible_plans(user).with_only_columns(ActionPlan.id)
    agency_ids = select(Activity.agency_id).where(Activity.plan_id.in_(plan_ids)).distinct()
    query = (
        select(Agency)
        .join(Agency.region)
        .where(Agency.id.in_(agency_ids))
        .options(joinedload(Agency.region))
        .order_by(Region.code, Agency.short_name, Agency.id)
    )
    return list(db.session.scalars(query))


def region_codes() -> set[str]:
    """Every known region code (a filter naming another is a mistake, not an empty list)."""
    return set(db.session.scalars(select(Region.code)))
