"""What a transition builds and reads per call (issue 17): its writes' statements are built
once per shape and only bound after (small enough for psycopg to keep them converted); a
guard's contents are read in one statement and only for the triggers it guards;
a lost version race still refuses the change. Counted, never timed."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from psycopg import _queries
from sqlalchemy import select, update

from tests import factories
from tests.db.test_transition_statements import STEPS, fire_counted
from workflow_app.changes import recording
from workflow_app.changes.models import ChangeEvent
from workflow_app.engine import StaleObject
from workflow_app.extensions import db
from workflow_app.plans import operations as ops
from workflow_app.plans.models import ActionPlan
from workflow_app.unit_of_work import unit_of_work

Users = dict[str, Any]


@pytest.fixture
def combined_builds(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """The shapes of the combined writes built while the test runs (from none cached)."""
    built: list[Any] = []
    build = recording._combine

    def counted(key: Any, *args: Any) -> Any:
        built.append(key)
        return build(key, *args)

    monkeypatch.setattr(recording, "_COMBINED", {})
    monkeypatch.setattr(recording, "_combine", counted)
    yield built


def _fire_all(app: Flask, ids: dict[str, int], plan_id: int) -> dict[str, list[str]]:
    return {trigger: fire_counted(app, ids[who], plan_id, trigger) for who, trigger in STEPS}


def test_the_combined_writes_are_built_once_per_shape(
    app_ctx: Flask, users: Users, combined_builds: list[Any]
) -> None:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs the writes one by one: nothing is combined")
    plans = [factories.complete_plan(users["drafter"]).id for _ in range(2)]
    db.session.commit()
    ids = {who: users[who].id for who, _ in STEPS}
    first = _fire_all(app_ctx, ids, plans[0])
    shapes = len(combined_builds)
    assert 1 <= shapes <= len(STEPS)  # one per shape (submit and forward may share one)
    _fire_all(app_ctx, ids, plans[1])
    assert len(combined_builds) == shapes  # the second plan only binds values
    # psycopg converts a statement's placeholders once and keeps it only up to these sizes:
    # beyond them it parses the statement again on every call.
    for trigger, statements in first.items():
        (combined,) = [s for s in statements if "INSERT INTO change_event" in s]
        names = set(re.findall(r"%\((\w+)\)s", combined))
        assert len(names) <= _queries.MAX_CACHED_STATEMENT_PARAMS, (trigger, len(names))
        assert len(combined) <= _queries.MAX_CACHED_STATEMENT_LENGTH, (trigger, len(combined))


def test_a_case_changed_by_someone_else_is_refused_and_nothing_is_written(
    app_ctx: Flask, users: Users
) -> None:
    plan = factories.complete_plan(users["drafter"])
    db.session.commit()
    plan_id, drafter = plan.id, users["drafter"]
    events_before = db.session.scalar(select(ChangeEvent.id).order_by(ChangeEvent.id.desc()))
    # Someone else's write moves the version under the loaded plan (the session keeps the
    # old one: no expiry).
    db.session.execute(
        update(ActionPlan).where(ActionPlan.id == plan_id).values(version=ActionPlan.version + 1),
        execution_options={"synchronize_session": False},
    )
    with pytest.raises(StaleObject), unit_of_work():
        ops.transition(drafter, plan, "submit")
    db.session.expire_all()
    assert db.session.get(ActionPlan, plan_id).state == "draft"
    last = db.session.scalar(select(ChangeEvent.id).order_by(ChangeEvent.id.desc()))
    assert last == events_before


def test_a_guard_s_contents_are_read_only_for_the_triggers_it_guards(
    app_ctx: Flask, users: Users
) -> None:
    plan_id = factories.complete_plan(users["drafter"]).id
    db.session.commit()
    ids = {who: users[who].id for who, _ in STEPS}
    fired = _fire_all(app_ctx, ids, plan_id)
    contents = ("FROM activity", "FROM funding", "FROM indicator", "FROM challenge")

    def reads(trigger: str) -> list[str]:
        return [
            s for s in fired[trigger] if s.startswith("SELECT") and any(c in s for c in contents)
        ]

    # Submit's guard (plan_complete) reads the activities with their funding, the indicators
    # with their targets and the challenges (which the submission's snapshot reads next) in
    # one statement; the other triggers have no guard.
    (read,) = reads("submit")
    assert all(f"FROM {table}" in read for table in ("activity", "indicator", "challenge"))
    assert reads("forward") == reads("approve") == []
