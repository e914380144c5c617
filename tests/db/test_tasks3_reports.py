"""My tasks reads its quarterly reports as plain rows (monitoring.queries.my_report_rows): the
same tasks, order, count and actions as `report_task_page`, which the API and the feeds keep,
without a ProgressReport (and its plan, region and province) built per row; a row's
confirmation link is its report's."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import event

from tests import factories
from tests.conftest import signed_in
from workflow_app.extensions import db
from workflow_app.monitoring.models import ProgressReport
from workflow_app.monitoring.queries import ReportRow, my_report_rows, report_task_page
from workflow_app.plans.confirmation import confirm_url
from workflow_app.plans.models import ActionPlan
from workflow_app.regions.models import Region


def _reports_in_three_districts(users: dict) -> None:
    for code in ("6301", "6304", "6371"):
        people = factories.district_people(users, code)
        factories.reported_plan(people, code)  # submitted: waits on the provincial reviewer
        factories.reported_plan(people, code, report_state="due")  # waits on the drafter
    db.session.commit()


def _shown(page: object) -> list[tuple[object, ...]]:
    return [
        (
            task.report.id,
            task.report.plan_id,
            task.report.plan.id,
            task.report.plan.title,
            task.report.plan.region.name,
            task.report.plan.region.code,
            task.report.plan.region.province_code,
            task.report.period_label,
            task.report.workflow_name,
            task.report.workflow_version,
            task.report.state,
            task.report.due_at,
            task.report.version,
            [action.trigger for action in task.actions],
        )
        for task in page.items  # type: ignore[attr-defined]
    ]


@pytest.mark.parametrize("limit", [None, 1, 2, 50])
def test_the_rows_are_the_orm_lists_tasks(app_ctx: Flask, users: dict, limit: int | None) -> None:
    _reports_in_three_districts(users)
    for who in ("drafter", "other_drafter", "reviewer", "provincial"):
        rows, orm = my_report_rows(users[who], limit), report_task_page(users[who], limit)
        assert all(isinstance(task.report, ReportRow) for task in rows.items)
        assert (_shown(rows), rows.total) == (_shown(orm), orm.total)
    assert report_task_page(users["provincial"], limit).items


def test_my_tasks_builds_no_report_plan_or_region_object_for_its_report_list(
    app_ctx: Flask, users: dict
) -> None:
    """Before: a ProgressReport, its ActionPlan, Region and province Region per row."""
    _reports_in_three_districts(users)
    client = signed_in(app_ctx, "provincial.63")
    client.get("/tasks")
    built: list[object] = []

    def loaded(target: object, _context: object) -> None:
        built.append(target)

    for model in (ProgressReport, ActionPlan, Region):
        event.listen(model, "load", loaded)
    try:
        page = client.get("/tasks").get_data(as_text=True)
    finally:
        for model in (ProgressReport, ActionPlan, Region):
            event.remove(model, "load", loaded)
    assert page.count('id="report-task-') == 3  # the submitted report of each district
    assert built == []


def test_a_rows_confirmation_link_is_its_reports(app_ctx: Flask, users: dict) -> None:
    """A confirmation page is found by the case's Python type: a row finds the report's
    (verify asks for confirmation)."""
    _reports_in_three_districts(users)
    rows, orm = my_report_rows(users["provincial"]), report_task_page(users["provincial"])
    confirming = 0
    with app_ctx.test_request_context():
        for row, task in zip(rows.items, orm.items, strict=True):
            for action in task.actions:
                wanted = confirm_url(task.report, action.trigger, "/tasks")
                assert confirm_url(row.report, action.trigger, "/tasks") == wanted
                assert f"/reports/{task.report.id}/" in wanted
                confirming += action.confirm
    assert confirming == 3
