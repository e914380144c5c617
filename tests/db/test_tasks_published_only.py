"""Who reads only what is published is a declared attribute of a role (`published_only`, the
partner's), never its name: the access policy asks the role catalogue."""

from __future__ import annotations

import pytest
from flask import Flask

from tests import factories
from workflow_app import policy
from workflow_app.engine import Label, RoleCatalogue, RoleDef, RoleScope
from workflow_app.extensions import db
from workflow_app.plans.access import published_states
from workflow_app.plans.models import ActionPlan
from workflow_app.workflows import PLAN_WORKFLOW, registry


@pytest.mark.parametrize("published_only", [True, False])
def test_a_role_declared_published_only_sees_only_published_plans_whatever_its_name(
    app_ctx: Flask, users: dict, monkeypatch: pytest.MonkeyPatch, published_only: bool
) -> None:
    approved = factories.plan_in_state(users, "approved")
    draft = factories.plan_in_state(users, "draft")
    auditor = RoleDef(
        "auditor", Label("auditor", "auditor"), RoleScope.PROVINCE, published_only=published_only
    )
    catalogue = RoleCatalogue([*registry().roles.values(), auditor])
    monkeypatch.setattr(policy, "roles", lambda: catalogue)
    monkeypatch.setattr(
        policy, "covers", lambda g, s: g.region_code in (s.region_code, s.province_code)
    )
    reader = factories.user("auditor.63", ("auditor", "63"))
    db.session.commit()

    query = policy.visible_in_regions(reader, ActionPlan, published_states(PLAN_WORKFLOW))
    seen = {plan.id for plan in db.session.scalars(query)}
    in_python = {
        plan.id
        for plan in (approved, draft)
        if policy.sees_in_region(reader, plan.region, plan.state in published_states(PLAN_WORKFLOW))
    }

    expected = {approved.id} if published_only else {approved.id, draft.id}
    assert seen == in_python == expected
    insiders_workspace = policy.may_open_workspace(reader, [RoleScope.PROVINCE])
    assert insiders_workspace is not published_only
