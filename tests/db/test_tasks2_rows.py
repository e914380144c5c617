"""My tasks reads its plans as plain rows (plans/task_list_rows.py): the same tasks, order,
count and actions as the ORM query the API and feeds keep, without an ActionPlan built per
row; a list with an action that confirms first falls back to the ORM objects."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import event

from tests import factories
from tests.conftest import signed_in
from workflow_app.extensions import db
from workflow_app.plans.confirmation import confirm_url
from workflow_app.plans.models import ActionPlan
from workflow_app.plans.queries import my_task_page
from workflow_app.plans.task_list_rows import PlanRow, my_task_rows


def _plans_in_three_districts(users: dict) -> None:
    for code in ("6301", "6304", "6371"):
        people = factories.district_people(users, code)
        for state, period in (("provincial_sync", (2026, 2030)), ("draft", (2031, 2035))):
            factories.plan_in_state(people, state, code, period=period)
    factories.plan_in_state(users, "returned", period=(2036, 2040))
    factories.plan_in_state(users, "district_review", period=(2041, 2045))
    db.session.commit()


def _shown(page: object) -> list[tuple[object, ...]]:
    return [
        (
            task.plan.id,
            task.plan.title,
            task.plan.region.code,
            task.plan.region.province_code,
            task.plan.period_label,
            task.plan.state,
            task.plan.due_at,
            task.plan.state_entered_at,
            task.plan.version,
            [action.trigger for action in task.actions],
        )
        for task in page.items  # type: ignore[attr-defined]
    ]


@pytest.mark.parametrize("limit", [None, 2, 50])
def test_the_rows_are_the_orm_lists_tasks(app_ctx: Flask, users: dict, limit: int | None) -> None:
    _plans_in_three_districts(users)
    for who in ("drafter", "reviewer", "provincial"):
        rows, orm = my_task_rows(users[who], limit), my_task_page(users[who], limit)
        assert orm.items and all(isinstance(task.plan, PlanRow) for task in rows.items)
        assert (_shown(rows), rows.total) == (_shown(orm), orm.total)


def test_my_tasks_builds_no_plan_object_for_its_plan_list(app_ctx: Flask, users: dict) -> None:
    """Before: an ActionPlan (with its region and province) per row of the list."""
    _plans_in_three_districts(users)
    client = signed_in(app_ctx, "provincial.63")
    client.get("/tasks")
    built: list[object] = []

    def loaded(target: object, _context: object) -> None:
        built.append(target)

    event.listen(ActionPlan, "load", loaded)
    try:
        page = client.get("/tasks").get_data(as_text=True)
    finally:
        event.remove(ActionPlan, "load", loaded)
    assert page.count('id="task-') == 3  # provincial_sync, one per district
    assert built == []


def test_a_rows_confirmation_link_is_its_plans(app_ctx: Flask, users: dict) -> None:
    """A confirmation page is found by the case's Python type: a row finds the plan's."""
    _plans_in_three_districts(users)
    rows, orm = my_task_rows(users["provincial"]), my_task_page(users["provincial"])
    with app_ctx.test_request_context():
        for row, task in zip(rows.items, orm.items, strict=True):
            for action in task.actions:
                wanted = confirm_url(task.plan, action.trigger, "/tasks")
                assert confirm_url(row.plan, action.trigger, "/tasks") == wanted
                assert f"/plans/{task.plan.id}/" in wanted
