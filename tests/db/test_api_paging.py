"""Tasks, a case's history and a plan's reports come a page at a time, as the plans do:
`limit` and `offset` in, `{items, total, limit, offset}` out, in a stable order."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from workflow_app.accounts.system import system_user
from workflow_app.api.schemas import MAX_PAGE
from workflow_app.deadlines.calendar_store import current_calendar
from workflow_app.extensions import db
from workflow_app.monitoring.operations import open_report
from workflow_app.monitoring.quarters import Quarter
from workflow_app.plans import operations as ops

from .. import factories


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def _pages(client: FlaskClient, url: str, headers: dict, limit: int) -> tuple[list, set[int]]:
    """Every item, read `limit` at a time until the total; and the totals the pages said."""
    items: list = []
    totals: set[int] = set()
    offset = 0
    while True:
        response = client.get(url, query_string={"limit": limit, "offset": offset}, headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)
        body = response.get_json()
        assert (body["limit"], body["offset"]) == (limit, offset)
        assert len(body["items"]) <= limit
        totals.add(body["total"])
        items.extend(body["items"])
        offset += limit
        if offset >= body["total"]:
            return items, totals


def _check_paging(
    client: FlaskClient, url: str, headers: dict, expected: int, key: Callable[[dict], object]
) -> list:
    """All at once and page by page give the same items in the same order, the right total;
    beyond the end an empty page still tells the total; limit is bounded."""
    whole = client.get(url, query_string={"limit": MAX_PAGE}, headers=headers).get_json()
    assert whole["total"] == expected == len(whole["items"])
    everything = [key(item) for item in whole["items"]]
    assert len(set(everything)) == expected  # no item twice
    for limit in (1, 2, 3):
        paged, totals = _pages(client, url, headers, limit)
        assert [key(item) for item in paged] == everything  # disjoint, complete, same order
        assert totals == {expected}
    beyond = client.get(url, query_string={"offset": expected + 5}, headers=headers).get_json()
    assert (beyond["items"], beyond["total"], beyond["offset"]) == ([], expected, expected + 5)
    for bad in ({"limit": MAX_PAGE + 1}, {"limit": 0}, {"offset": -1}, {"limit": "ten"}):
        refused = client.get(url, query_string=bad, headers=headers)
        assert refused.status_code == 400
        assert refused.get_json()["code"] == "validation_error"
        assert set(refused.get_json()["fields"]) == set(bad)
    return everything


def test_tasks_come_a_page_at_a_time_earliest_due_first(client: FlaskClient, users) -> None:
    # The province's tasks: plans to approve in two districts, and a report to verify.
    waiting = [factories.plan_in_state(users, "provincial_sync") for _ in range(2)]
    other = factories.district_people(users, "6304")
    waiting.append(factories.plan_in_state(other, "provincial_sync", "6304"))
    _, report = factories.reported_plan(users)
    headers = bearer(factories.api_token(users["provincial"]))
    listed = _check_paging(
        client, "/api/v1/tasks", headers, 4, lambda t: (t["kind"], (t["plan"] or t["report"])["id"])
    )
    assert sorted(listed) == sorted([("plan", p.id) for p in waiting] + [("report", report.id)])
    whole = client.get("/api/v1/tasks", headers=headers).get_json()["items"]
    dues = [(t["plan"] or t["report"])["due_at"] for t in whole]
    assert [d is None for d in dues] == sorted(d is None for d in dues)  # undated last
    dated = [d for d in dues if d is not None]
    assert dated == sorted(dated)


def test_a_case_history_comes_a_page_at_a_time_oldest_first(client: FlaskClient, users) -> None:
    plan = factories.plan_in_state(users, "closed")  # created, then five steps
    headers = bearer(factories.api_token(users["head"]))
    url = f"/api/v1/plans/{plan.id}/history"
    ids = _check_paging(client, url, headers, 6, lambda entry: entry["id"])
    assert ids == sorted(ids)
    triggers = [e["trigger"] for e in client.get(url, headers=headers).get_json()["items"]]
    assert triggers[1:] == ["submit", "forward", "approve", "start_monitoring", "close"]


def test_a_plans_reports_come_a_page_at_a_time_by_quarter(client: FlaskClient, users) -> None:
    plan, _ = factories.monitored_plan_with_report(users, Quarter(2026, 1))
    for quarter in (2, 3, 4):
        open_report(system_user(), plan, Quarter(2026, quarter), current_calendar())
    open_report(system_user(), plan, Quarter(2027, 1), current_calendar())
    db.session.commit()
    headers = bearer(factories.api_token(users["provincial"]))
    url = f"/api/v1/plans/{plan.id}/reports"
    listed = _check_paging(client, url, headers, 5, lambda r: (r["year"], r["quarter"]))
    assert listed == [(2026, 1), (2026, 2), (2026, 3), (2026, 4), (2027, 1)]


@pytest.mark.parametrize("path", ["/api/v1/tasks", "/history", "/reports"])
def test_an_unknown_paging_parameter_is_refused(client: FlaskClient, users, path: str) -> None:
    plan = ops.create_plan(
        users["drafter"],
        factories.regions()["6301"],
        title="Baru",
        period_start=2025,
        period_end=2029,
    )
    db.session.commit()
    url = path if path.startswith("/api") else f"/api/v1/plans/{plan.id}{path}"
    headers = bearer(factories.api_token(users["drafter"]))
    answer = client.get(url, query_string={"page": 2}, headers=headers)
    assert answer.status_code == 400
    assert set(answer.get_json()["fields"]) == {"page"}


def test_a_report_history_comes_a_page_at_a_time(client: FlaskClient, users) -> None:
    _, report = factories.reported_plan(users, report_state="verified")
    headers = bearer(factories.api_token(users["provincial"]))
    url = f"/api/v1/reports/{report.id}/history"
    whole = client.get(url, headers=headers).get_json()
    detail = client.get(f"/api/v1/reports/{report.id}", headers=headers).get_json()
    assert whole["items"] == detail["history"]  # the detail's history, paged
    ids = _check_paging(client, url, headers, len(detail["history"]), lambda e: e["id"])
    assert ids == sorted(ids) and len(ids) >= 3  # opened, submitted, verified
