"""The reports list (/reports) reads its page as plain rows of the columns it shows
(monitoring/queries.py's `ListedReport`): no ProgressReport, nor its plan, is loaded for a row
(counted by SQLAlchemy's load event, never timed), and the rows are the ORM list's reports, in
its order, under every filter."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask
from sqlalchemy import event

from tests import factories
from tests.conftest import signed_in
from workflow_app.accounts.models import User
from workflow_app.extensions import db
from workflow_app.monitoring.models import ProgressReport
from workflow_app.monitoring.quarters import Quarter
from workflow_app.monitoring.queries import ReportFilters, list_reports, reports_page
from workflow_app.plans.models import ActionPlan


def _varied_reports(users: dict[str, User]) -> None:
    """Reports of two districts: due (overdue, as the monitoring round opens them late),
    submitted, verified (no deadline), of two quarters."""
    factories.monitored_plan_with_report(users)
    factories.reported_plan(users, "6304")
    factories.reported_plan(users, "6301", report_state="verified")
    factories.reported_plan(users, "6301", quarter=Quarter(2026, 2), report_state="due")


@contextmanager
def _loaded(*models: type) -> Iterator[list[object]]:
    """Every instance of `models` the ORM loads meanwhile."""
    loaded: list[object] = []

    def count(target: object, context: object) -> None:
        loaded.append(target)

    for model in models:
        event.listen(model, "load", count)
    try:
        yield loaded
    finally:
        for model in models:
            event.remove(model, "load", count)


def test_the_reports_list_loads_no_report_nor_plan_for_its_rows(
    app_ctx: Flask, users: dict[str, User]
) -> None:
    _varied_reports(users)
    client = signed_in(app_ctx, "provincial.63")
    urls = (
        "/reports",
        "/reports?overdue=1",
        "/reports?state=due&district=6301",
        "/reports?year=2026&quarter=3",
    )
    with _loaded(ProgressReport, ActionPlan) as loaded:
        for url in urls:
            page = client.get(url)
            assert page.status_code == 200 and 'id="report-' in page.get_data(as_text=True), url
    assert loaded == []


def test_the_rows_are_the_orm_lists_reports_in_its_order_under_every_filter(
    app_ctx: Flask, users: dict[str, User]
) -> None:
    _varied_reports(users)
    filters = (
        ReportFilters(),
        ReportFilters(overdue=True),
        ReportFilters(state="verified"),
        ReportFilters(state="due", district="6301"),
        ReportFilters(district="6304"),
        ReportFilters(year=2026, quarter=2),
    )
    compared = 0
    for who in ("provincial", "drafter", "other_drafter", "partner"):
        user = users[who]
        for narrowed in filters:
            page = reports_page(user, narrowed, 1)
            reports = list_reports(user, narrowed)
            assert page.total == len(reports)
            shown = [
                (
                    r.id,
                    r.plan.id,
                    r.plan.title,
                    r.plan.region.name,
                    r.plan.region.code,
                    r.plan.period_label,
                    r.period_label,
                    (r.workflow_name, r.workflow_version, r.state),
                    (r.due_at, r.submitted_at),
                )
                for r in page.items
            ]
            assert shown == [
                (
                    r.id,
                    r.plan.id,
                    r.plan.title,
                    r.plan.region.name,
                    r.plan.region.code,
                    r.plan.period_label,
                    r.period_label,
                    (r.workflow_name, r.workflow_version, r.state),
                    (r.due_at, r.submitted_at),
                )
                for r in reports
            ], (who, narrowed)
            compared += len(shown)
    db.session.rollback()
    assert compared > 20  # the filters chose rows for most readers
