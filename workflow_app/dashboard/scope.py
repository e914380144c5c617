"""Who may open the dashboard, and which plans and reports it counts for them.

Plans: exactly `plans.access.visible_plans` (partners: published plans of their regions;
district roles: their district). Reports: those of visible plans, and where the user sees a plan
only as a partner, only reports in a `published` state of the report workflow (verified).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Select, select, union_all
from sqlalchemy.orm import aliased, joinedload

from .. import policy
from ..accounts.models import User
from ..engine import RoleScope, Scope
from ..extensions import db
from ..plans.access import visible_plans
from ..plans.models import ActionPlan
from ..regions.models import Region
from ..workflows import PLAN_WORKFLOW, REPORT_WORKFLOW, covers, definitions_of, roles

# Roles declared to act in a province or everywhere: the provincial roles, admins, partners.
DASHBOARD_SCOPES = (RoleScope.PROVINCE, RoleScope.GLOBAL)


def may_open(user: User) -> bool:
    """Roles acting in a province or everywhere (provincial roles, admins and partners; also
    when acting for someone); district-scoped roles are refused: their own plan pages show
    their district's figures."""
    return policy.may_open_workspace(user, DASHBOARD_SCOPES, partners=True)


_DISTRICTS = (
    select(Region)
    .where(Region.kind != "province")
    .options(joinedload(Region.parent))
    .order_by(Region.code)
)


def districts() -> list[Region]:
    """The 13 regencies and cities, with their province loaded (for the scope checks)."""
    return list(db.session.scalars(_DISTRICTS))


def districts_of(user: User) -> list[Region]:
    """`visible_districts(user, districts())` in one query of the grants' reach, not every
    district of the country loaded and filtered here (~30 ms on the national data set): the
    districts a district grant names, those below a province a provincial grant names (as a
    UNION of ids: PostgreSQL misjudges the OR, see policy._reach), all for a global grant."""
    named: set[str] = set()
    provinces: set[str] = set()
    for grant in user.grants():
        reach = roles().scope_of(grant.role)
        if reach == RoleScope.GLOBAL:
            return districts()
        if reach is not None:
            named.add(grant.region_code)
            if reach != RoleScope.DISTRICT:
                provinces.add(grant.region_code)
    if not named:
        return []
    parent = aliased(Region)
    reached = union_all(
        select(Region.id).where(Region.code.in_(sorted(named))),
        select(Region.id)
        .join(parent, Region.parent_id == parent.id)
        .where(parent.code.in_(sorted(provinces))),
    )
    query = _DISTRICTS.where(Region.id.in_(reached))
    return list(db.session.scalars(query))


def visible_districts(user: User, regions: Iterable[Region]) -> list[Region]:
    """The districts some grant of `user` covers: a partner of 6301 sees one row, not 13
    rows of which 12 would read as "nothing" when they mean "not yours to see"."""
    grants = user.grants()
    return [
        region
        for region in regions
        if any(
            covers(grant, Scope(region_code=region.code, province_code=region.province_code))
            for grant in grants
        )
    ]


def visible_plan_ids(user: User) -> Select[tuple[int]]:
    return visible_plans(user).with_only_columns(ActionPlan.id)


def _states(workflow: str, *, published: bool | None = None, final: bool | None = None) -> set[str]:
    return {
        name
        for definition in definitions_of(workflow)
        for name, state in definition.states.items()
        if (published is None or state.published == published)
        and (final is None or state.final == final)
    }


def agreed_plan_states() -> set[str]:
    """Plans the province agreed to (approved, monitored, closed): the `published` states."""
    return _states(PLAN_WORKFLOW, published=True)


def open_plan_states() -> set[str]:
    return _states(PLAN_WORKFLOW, final=False)


def open_report_states() -> set[str]:
    return _states(REPORT_WORKFLOW, final=False)
