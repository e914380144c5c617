"""The returns of a drafter's task list (reviews/returns.pending_returns) read with a statement
built once, the plans' ids bound at each call: not the select, its joined loads and its
cache key again on every visit. Still one statement, the same returns."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from tests import factories
from tests.statements import recorded_statements
from workflow_app.extensions import db
from workflow_app.plans.models import ActionPlan
from workflow_app.reviews import returns


def _counting_builds(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    built: list[str] = []
    for name in ("select", "joinedload"):
        original = getattr(returns, name)

        def counted(*args: Any, name: str = name, original: Any = original) -> Any:
            built.append(name)
            return original(*args)

        monkeypatch.setattr(returns, name, counted)
    return built


def test_the_returns_of_a_list_build_no_statement(
    app_ctx: Flask, users: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: a select and two joined loads built on every call."""
    plans = [factories.plan_in_state(users, "returned", period=(y, y + 4)) for y in (2026, 2031)]
    plans.append(factories.plan_in_state(users, "draft", period=(2036, 2040)))
    db.session.commit()
    ids = [plan.id for plan in plans]
    built = _counting_builds(monkeypatch)
    with recorded_statements() as statements:
        found = returns.pending_returns([db.session.get(ActionPlan, i) for i in ids])
    assert built == [] and len(statements) == 1
    assert sorted(found) == sorted(ids[:2])  # the draft was never returned
    for plan_id, row in found.items():
        single = returns.pending_return(db.session.get(ActionPlan, plan_id))
        assert single is not None and row.id == single.id and row.actor.full_name
