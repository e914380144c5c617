"""My tasks builds the SQL of its two long lists (plans and reports waiting for the user) once
per user's grants, not on every visit (plans/task_list_rows.row_task_page): building the
visibility, the joins, the order and the count, then the statement's cache key, cost more than
running it. A change of grants or a reloaded registry gets a statement of its own."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from tests import factories
from workflow_app import policy
from workflow_app.accounts.models import RoleAssignment
from workflow_app.engine import WorkflowRegistry
from workflow_app.extensions import db
from workflow_app.monitoring.queries import my_report_rows, report_task_page
from workflow_app.plans.models import ActionPlan
from workflow_app.plans.queries import my_task_page
from workflow_app.plans.task_list_rows import my_task_rows


def _plans_in_two_districts(users: dict[str, Any]) -> None:
    for code in ("6301", "6304"):
        people = factories.district_people(users, code)
        for state, period in (("provincial_sync", (2026, 2030)), ("draft", (2031, 2035))):
            factories.plan_in_state(people, state, code, period=period)
    factories.plan_in_state(users, "district_review", period=(2041, 2045))
    db.session.commit()


def _ids(page: Any) -> tuple[list[tuple[int, list[str]]], int]:
    cases = [
        (getattr(task, "plan", None) or task.report, [a.trigger for a in task.actions])
        for task in page.items
    ]
    return [(case.id, triggers) for case, triggers in cases], page.total


def _counting_visible(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    built: list[str] = []
    visible = policy.visible

    def counted(user: Any, kind: str) -> Any:
        built.append(kind)
        return visible(user, kind)

    monkeypatch.setattr(policy, "visible", counted)
    return built


def test_a_second_visit_builds_neither_lists_statement(
    app_ctx: Flask, users: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: `policy.visible` and the rest of each list's statement on every visit."""
    _plans_in_two_districts(users)
    for who in ("drafter", "reviewer", "provincial"):
        first = _ids(my_task_rows(users[who])), _ids(my_report_rows(users[who]))
        built = _counting_visible(monkeypatch)
        again = _ids(my_task_rows(users[who])), _ids(my_report_rows(users[who]))
        monkeypatch.undo()
        assert built == [] and again == first
    assert _ids(my_task_rows(users["provincial"]))[0]  # the lists were not empty


def test_a_new_grant_is_a_new_statement(app_ctx: Flask, users: dict[str, Any]) -> None:
    _plans_in_two_districts(users)
    people = factories.district_people(users, "6304")
    factories.plan_in_state(people, "district_review", "6304", period=(2046, 2050))
    db.session.commit()
    reviewer = users["reviewer"]  # of 6301
    before = _ids(my_task_rows(reviewer, None))
    assert before == _ids(my_task_page(reviewer, None))
    regions = factories.regions()
    reviewer.roles.append(RoleAssignment(role="district_reviewer", region=regions["6304"]))
    db.session.commit()
    after = _ids(my_task_rows(reviewer, None))
    assert after == _ids(my_task_page(reviewer, None))
    assert len(after[0]) > len(before[0])  # 6304's plan in district review came in


def test_a_reloaded_registry_is_a_new_statement(
    app_ctx: Flask, users: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    _plans_in_two_districts(users)
    provincial = users["provincial"]
    first = _ids(my_task_rows(provincial)), _ids(my_report_rows(provincial))
    current = app_ctx.extensions["workflows"]
    monkeypatch.setitem(
        app_ctx.extensions, "workflows", WorkflowRegistry(list(current.definitions()))
    )
    built = _counting_visible(monkeypatch)
    again = _ids(my_task_rows(provincial)), _ids(my_report_rows(provincial))
    assert built == ["plan", "report"] and again == first
    assert again[1] == _ids(report_task_page(provincial))


def test_a_change_not_yet_flushed_is_read(app_ctx: Flask, users: dict[str, Any]) -> None:
    """The lists run as Core, which does not autoflush: they flush first, as the ORM does."""
    _plans_in_two_districts(users)
    plan = db.session.scalars(
        select(ActionPlan).where(ActionPlan.state == "provincial_sync").order_by(ActionPlan.id)
    ).first()
    assert plan is not None
    plan.title = "Rencana yang baru diberi judul"
    titles = {task.plan.id: task.plan.title for task in my_task_rows(users["provincial"]).items}
    assert titles[plan.id] == "Rencana yang baru diberi judul"
    db.session.rollback()
