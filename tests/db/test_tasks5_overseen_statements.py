"""A district head's lists on My tasks (the district's plans in progress, its reports not yet
verified) build their SQL once per user's grants, not on every visit
(plans/case_queries.overseen_cases, `kept_statement`): building the visibility, the joins and
the order, then the statement's cache key, cost more than running it. A change of grants or a
reloaded registry gets a statement of its own. The plans' rows are read as Core rows (no ORM
execution, no `.unique()` hashing every row)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy.engine import Result, ScalarResult

from tests import factories
from workflow_app import policy
from workflow_app.accounts.models import RoleAssignment
from workflow_app.engine import WorkflowRegistry
from workflow_app.extensions import db
from workflow_app.monitoring.queries import overseen_reports, overseen_reports_as_rows
from workflow_app.plans.queries import overseen_plans
from workflow_app.plans.task_list_rows import overseen_plans_as_rows


def _district_in_progress(users: dict[str, Any]) -> None:
    for state in ("draft", "district_review", "provincial_sync"):
        factories.plan_in_state(users, state)
    other = factories.district_people(users, "6304")
    factories.plan_in_state(other, "district_review", "6304")
    factories.monitored_plan_with_report(users)
    db.session.commit()


def _seen(cases: list[Any]) -> list[tuple[Any, ...]]:
    return [(case.id, case.state, case.due_at) for case in cases]


def _lists(user: Any) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    return _seen(overseen_plans_as_rows(user)), _seen(overseen_reports_as_rows(user))


def _counting_visible(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    built: list[str] = []
    visible = policy.visible

    def counted(user: Any, kind: str) -> Any:
        built.append(kind)
        return visible(user, kind)

    monkeypatch.setattr(policy, "visible", counted)
    return built


def test_a_heads_second_visit_builds_neither_overseen_statement(
    app_ctx: Flask, users: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: `policy.visible` and the rest of each list's statement on every visit."""
    _district_in_progress(users)
    head = users["head"]
    first = _lists(head)
    assert first[0] and first[1]  # neither list is empty
    built = _counting_visible(monkeypatch)
    again = _lists(head)
    monkeypatch.undo()
    assert built == []
    assert again == first == (_seen(overseen_plans(head)), _seen(overseen_reports(head)))


def test_the_plans_rows_are_not_hashed_for_uniqueness(
    app_ctx: Flask, users: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: the ORM's `.unique()` on the head's plan rows (each row hashed; a row of
    columns never repeats)."""
    _district_in_progress(users)
    overseen_plans_as_rows(users["head"])
    uniqued: list[object] = []
    for kind in (Result, ScalarResult):

        def counted(self: Any, *args: Any, unique: Any = kind.unique) -> Any:
            uniqued.append(self)
            return unique(self, *args)

        monkeypatch.setattr(kind, "unique", counted)
    rows = overseen_plans_as_rows(users["head"])
    monkeypatch.undo()
    assert rows and uniqued == []


def test_a_new_grant_is_a_new_statement(app_ctx: Flask, users: dict[str, Any]) -> None:
    _district_in_progress(users)
    head = users["head"]  # of 6301
    before = _lists(head)
    assert before[0] == _seen(overseen_plans(head))
    regions = factories.regions()
    head.roles.append(RoleAssignment(role="district_head", region=regions["6304"]))
    db.session.commit()
    after = _lists(head)
    assert after[0] == _seen(overseen_plans(head))
    assert len(after[0]) == len(before[0]) + 1  # 6304's plan in review came in


def test_a_reloaded_registry_is_a_new_statement(
    app_ctx: Flask, users: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    _district_in_progress(users)
    head = users["head"]
    first = _lists(head)
    current = app_ctx.extensions["workflows"]
    monkeypatch.setitem(
        app_ctx.extensions, "workflows", WorkflowRegistry(list(current.definitions()))
    )
    built = _counting_visible(monkeypatch)
    again = _lists(head)
    assert built == ["plan", "report"] and again == first


def test_a_change_not_yet_flushed_is_read(app_ctx: Flask, users: dict[str, Any]) -> None:
    """The head's plans run as Core, which does not autoflush: they flush first."""
    _district_in_progress(users)
    head = users["head"]
    plan = overseen_plans(head)[0]
    plan.title = "Rencana yang baru diberi judul"
    titles = {row.id: row.title for row in overseen_plans_as_rows(head)}
    assert titles[plan.id] == "Rencana yang baru diberi judul"
    db.session.rollback()
