"""A district head's lists on My tasks (the district's plans in progress and its reports not
yet verified) are read as plain rows (`overseen_plans_as_rows`, `overseen_reports_as_rows`):
the same cases in the same order as the ORM lists, without an ActionPlan or ProgressReport
(with its plan, region and province) built per row."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import event

from tests import factories
from tests.conftest import signed_in
from workflow_app.extensions import db
from workflow_app.monitoring.models import ProgressReport
from workflow_app.monitoring.queries import overseen_reports, overseen_reports_as_rows
from workflow_app.plans.models import ActionPlan
from workflow_app.plans.queries import overseen_plans
from workflow_app.plans.task_list_rows import PlanRow, overseen_plans_as_rows


def _district_in_progress(users: dict[str, Any]) -> None:
    for state in ("draft", "district_review", "provincial_sync", "returned"):
        factories.plan_in_state(users, state)
    other = factories.district_people(users, "6304")
    factories.plan_in_state(other, "district_review", "6304")
    factories.monitored_plan_with_report(users)
    factories.monitored_plan_with_report(users)
    db.session.commit()


def _seen(cases: list[Any]) -> list[tuple[Any, ...]]:
    return [
        (case.id, case.state, case.due_at, case.workflow_name, case.workflow_version)
        for case in cases
    ]


def test_the_rows_are_the_orm_lists(app_ctx: Flask, users: dict[str, Any]) -> None:
    _district_in_progress(users)
    for who in ("head", "drafter", "provincial"):
        plans = overseen_plans_as_rows(users[who])
        assert _seen(plans) == _seen(overseen_plans(users[who]))
        reports = overseen_reports_as_rows(users[who])
        assert _seen(reports) == _seen(overseen_reports(users[who]))
        orm = overseen_plans(users[who])
        assert [(p.title, p.region.name) for p in plans] == [(p.title, p.region.name) for p in orm]
    assert len(overseen_plans_as_rows(users["head"])) >= 4  # 6304's plan is not the head's
    assert all(isinstance(plan, PlanRow) for plan in overseen_plans_as_rows(users["head"]))
    assert overseen_reports_as_rows(users["head"])


def test_a_heads_page_builds_no_plan_or_report_object(app_ctx: Flask, users: dict) -> None:
    """Before: an ActionPlan per plan in progress and a ProgressReport (with its plan) per
    report not yet verified."""
    _district_in_progress(users)
    client = signed_in(app_ctx, "head.6301")
    client.get("/tasks")
    built: list[object] = []

    def loaded(target: object, _context: object) -> None:
        built.append(target)

    event.listen(ActionPlan, "load", loaded)
    event.listen(ProgressReport, "load", loaded)
    try:
        page = client.get("/tasks").get_data(as_text=True)
    finally:
        event.remove(ActionPlan, "load", loaded)
        event.remove(ProgressReport, "load", loaded)
    assert page.count('id="overseen-') >= 5 and 'id="overseen-report-' in page
    assert built == []
