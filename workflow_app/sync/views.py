"""The provincial sync workspace at /sync: every district's plan side by side (the one waiting
for the province, else the latest), with funding totals, the safe-sanitation trajectories
against the national target, and flags.

For the provincial reviewer, the provincial head and admins; everyone else gets 403.
"""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from .. import policy
from ..accounts.models import User
from ..engine import RoleScope, TransitionDef
from ..extensions import login_manager
from ..plans.forms_actions import TransitionForm
from ..plans.models import ActionPlan
from ..plans.queries import state_options
from ..plans.vocabulary import ACTIVITY_TYPES, FUNDING_SOURCES
from ..templating import number
from ..workflows import definition_of
from ..workspaces import register_workspace
from .chart import trajectory_svg
from .flags import BELOW_BASELINE, BELOW_PREVIOUS, DUPLICATE, UNFUNDED
from .queries import (
    NATIONAL_TARGET,
    NATIONAL_TARGET_YEAR,
    NO_PLAN,
    SYNC_TAG,
    District,
    overview,
)

blueprint = Blueprint("sync", __name__)

# Whoever acts in the province or beyond (the provincial reviewer and head, admins), in their
# own right or acting for someone; partners read published plans elsewhere.
SYNC_SCOPES = (RoleScope.PROVINCE, RoleScope.GLOBAL)


@blueprint.app_template_global("can_open_sync")
def can_open_sync(user: User) -> bool:
    """Whether `user` may open the workspace (the navigation shows its link by the same rule):
    a grant, own or acting for someone, of a role declared with a scope in SYNC_SCOPES."""
    return policy.may_open_workspace(user, SYNC_SCOPES)


register_workspace("sync", "sync.index", can_open_sync)


@blueprint.before_request
def require_provincial_role() -> object:
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not can_open_sync(current_user):
        abort(403)
    return None


def trajectory_chart(district: District) -> Markup:
    """The district's trajectory as inline SVG."""
    trajectory = district.trajectory
    assert trajectory is not None
    points = trajectory.points
    title = _(
        "%(region)s: %(indicator)s, baseline and targets per year",
        region=district.region.name,
        indicator=trajectory.name,
    )
    svg = trajectory_svg(
        points,
        target=NATIONAL_TARGET,
        target_year=NATIONAL_TARGET_YEAR,
        title=title,
        target_label=_("National target %(value)s%% by %(year)s", value=30, year=2029),
        value_text={year: f"{year}: {number(value)}" for year, value in points},
        has_baseline=trajectory.baseline_value is not None,
    )
    # Markup is safe: trajectory_svg escapes every text it writes (region and indicator names).
    return Markup(svg)


def sync_actions(plan: ActionPlan) -> list[tuple[TransitionDef, TransitionForm]]:
    """The actions the current user may take on `plan` from the workspace, each with a form
    carrying the version on screen; empty unless the plan is in a state tagged `sync` (waiting
    at the province): other actions live on the plan page."""
    definition = definition_of(plan)
    if not definition.states[plan.state].has(SYNC_TAG):
        return []
    offered = policy.actions(current_user, plan)
    return [
        (step, TransitionForm(formdata=None, trigger=step.trigger, version=plan.version))
        for step in offered
    ]


@blueprint.get("/sync")
def index() -> str:
    state = request.args.get("state", "").strip()
    language = str(get_locale() or "id")
    states = state_options(language)
    if state and state != NO_PLAN and state not in dict(states):
        state = ""  # an unknown filter value shows everything rather than an empty page
    data = overview(current_user, state or None)
    actions = {
        district.plan.id: sync_actions(district.plan)
        for district in data.districts
        if district.plan is not None
    }
    return render_template(
        "sync/index.html",
        data=data,
        states=states,
        selected_state=state,
        no_plan=NO_PLAN,
        actions=actions,
        language=language,
        # Back to this very view (filter kept) after an action succeeds.
        here=request.full_path.rstrip("?"),
        funding_sources=FUNDING_SOURCES,
        activity_types=ACTIVITY_TYPES,
        national_target=NATIONAL_TARGET,
        national_target_year=NATIONAL_TARGET_YEAR,
        trajectory_chart=trajectory_chart,
        flag_kinds={
            "unfunded": UNFUNDED,
            "below_baseline": BELOW_BASELINE,
            "below_previous": BELOW_PREVIOUS,
            "duplicate": DUPLICATE,
        },
    )
