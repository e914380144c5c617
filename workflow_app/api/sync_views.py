"""/api/v1/sync: the provincial sync workspace (the web's /sync) as data: per district the
plan waiting at the province (a state tagged `sync`), else its latest that is not cancelled,
with its deadline, flags, safe-sanitation trajectory, funding and the actions the caller may
take on it from the workspace. The same access rule (sync/views.py: whoever acts in the
province or beyond) and the same query (sync/queries.py); behaviour binds to the tag."""

from __future__ import annotations

from .. import policy
from ..accounts.models import User
from ..engine import RoleNotAllowed
from ..plans.models import ActionPlan
from ..sync.flags import Flag
from ..sync.queries import NATIONAL_TARGET, NATIONAL_TARGET_YEAR, NO_PLAN, SYNC_TAG, District
from ..sync.queries import overview as sync_overview
from ..sync.views import can_open_sync
from ..workflows import PLAN_WORKFLOW, definition_of
from . import dashboard_schemas as b
from . import schemas as s
from . import serialize
from . import sync_schemas as y
from .auth import api_user
from .blueprint import endpoint
from .vocabulary import check_state_filter


def _waiting(plan: ActionPlan) -> bool:
    return definition_of(plan).states[plan.state].has(SYNC_TAG)


def _flag(flag: Flag) -> y.FlagOut:
    return y.FlagOut(
        kind=flag.kind,
        activity_ids=list(flag.activity_ids),
        titles=list(flag.titles),
        indicator=flag.indicator,
        year=flag.year,
        value=flag.value,
        reference=flag.reference,
        reference_year=flag.reference_year,
        activity_type=flag.activity_type,
        location=flag.location,
    )


def _district(user: User, row: District) -> y.SyncDistrict:
    plan = row.plan
    waiting = plan is not None and _waiting(plan)
    trajectory = row.trajectory
    return y.SyncDistrict(
        region=s.RegionRef(code=row.region.code, name=row.region.name),
        plan=serialize.plan_summary(plan) if plan is not None else None,
        waiting=waiting,
        # As the workspace offers them: only on a plan waiting at the province.
        actions=[step.trigger for step in policy.actions(user, plan)] if waiting else [],
        due=(
            y.Due(due_at=row.due.due_at, status=row.due.status, working_days=row.due.working_days)
            if row.due is not None
            else None
        ),
        flags=[_flag(flag) for flag in row.flags],
        trajectory=(
            y.SyncTrajectory(
                name=trajectory.name,
                unit=trajectory.unit,
                baseline_year=trajectory.baseline_year,
                baseline_value=trajectory.baseline_value,
                targets=[b.YearValue(year=yr, value=v) for yr, v in trajectory.targets],
            )
            if trajectory is not None
            else None
        ),
        funding=[
            b.FundingAmount(source=source, year=year, amount=amount)
            for (source, year), amount in sorted(row.funding.items())
        ],
        total=row.total,
    )


@endpoint(
    "GET",
    "/sync",
    summary=(
        "The provincial sync workspace: every district with the plan waiting at the province "
        "(else its latest), its deadline, flags, safe-sanitation trajectory, funding and the "
        "caller's actions on it; ?state= narrows (none: districts without a plan)."
    ),
    tag="sync",
    query=y.SyncQuery,
    response=y.SyncOverview,
    errors=(400, 401, 403),
)
def sync(query: y.SyncQuery) -> y.SyncOverview:
    user = api_user()
    if not can_open_sync(user):
        raise RoleNotAllowed("the sync workspace is for roles acting in the province or beyond")
    if query.state != NO_PLAN:
        check_state_filter(PLAN_WORKFLOW, query.state)
    data = sync_overview(user, query.state)
    return y.SyncOverview(
        districts=[_district(user, row) for row in data.districts],
        sources=data.sources,
        years=data.years,
        total=data.total,
        national_target=b.NationalTarget(value=NATIONAL_TARGET, year=NATIONAL_TARGET_YEAR),
    )
