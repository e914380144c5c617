"""Markup typed into any free-text field is shown as text everywhere it appears: plan pages,
lists, tasks, sync, dashboard, reports, print, admin, history, delegations, and the emails;
and no link built from user text becomes a `javascript:` href."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from tests import factories
from tests.conftest import csrf_token, login
from workflow_app.accounts.models import Delegation
from workflow_app.deadlines.models import CalendarOverride
from workflow_app.extensions import db
from workflow_app.notifications.models import Notification
from workflow_app.notifications.rendering import render_notification
from workflow_app.plans import operations as ops
from workflow_app.reviews import operations as review_ops

# One value carrying every trick; SHORT fits the 40-character columns (units, short names).
HOSTILE = '<script>alert(1)</script><img src=x onerror=alert(1)>"><svg onload=alert(1)>'
LINK = "javascript:alert(1)"
TEXT = HOSTILE + LINK
SHORT = "<script>alert(1)</script>"
RAW = ("<script>alert(1)", "<img src=x", "<svg onload", "onerror=alert(1)>")
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
JS_HREF = re.compile(r"""(href|src|action)\s*=\s*["']?\s*javascript:""", re.I)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


class QuietQueue:
    def send_task(self, name: str, args: list[object], **options: object) -> None:
        """The broker is not under test."""


@pytest.fixture(autouse=True)
def quiet_queue(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.extensions, "celery", QuietQueue())


def _hostile_world(app: Flask, users: dict[str, Any]) -> dict[str, Any]:
    """Every free-text field of every kind of record holds hostile text."""
    regions = factories.regions()
    regions["6301"].name = TEXT[:120]
    regions["6301"].seat = TEXT[:120]
    users["drafter"].full_name = TEXT
    users["reviewer"].full_name = TEXT

    plan = factories.plan_with_activities(users["drafter"], title=TEXT, activities=2)
    plan.challenges[0].description = TEXT
    indicator = plan.indicators[0]
    indicator.name, indicator.unit = TEXT, SHORT
    for activity in plan.activities:
        activity.title, activity.location, activity.unit = TEXT, TEXT, SHORT
    ops.transition(users["drafter"], plan, "submit", comment=TEXT)
    review_ops.add_comment(users["reviewer"], plan, "plan", None, TEXT)
    ops.transition(users["reviewer"], plan, "return", comment=TEXT)

    monitored, report = factories.reported_plan(users, report_state="due")
    monitored.title = TEXT
    for line in report.lines:
        line.obstacles, line.follow_up = TEXT, TEXT

    agency = factories.agency("6301")  # renamed last: the factories find it by its name
    agency.short_name, agency.name = SHORT, TEXT
    db.session.add(
        Delegation(
            delegator=users["head"],
            delegate=users["reviewer"],
            role="district_head",
            region_id=regions["6301"].id,
            starts_on=date.today(),
            ends_on=date.today() + timedelta(days=7),
            note=TEXT,
        )
    )
    db.session.add(CalendarOverride(day=date(2026, 12, 28), is_holiday=True, note=TEXT[:200]))
    db.session.commit()
    return {"plan": plan, "report": report, "agency": agency}


def _upload_hostile_evidence(app: Flask, report_id: int) -> None:
    client = app.test_client()
    login(client, "drafter.6301")
    response = client.post(
        f"/reports/{report_id}/attachments",
        data={
            "csrf_token": csrf_token(client, f"/reports/{report_id}"),
            "file": (io.BytesIO(PDF), "<img src=x onerror=alert(1)><svg onload=alert(1)>.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code < 400, re.findall(
        r"(?:error-text|alert-danger)[^>]*>(.{0,300})", response.text, re.S
    )


def _pages(world: dict[str, Any], users: dict[str, Any]) -> dict[str, list[str]]:
    plan, report, agency = world["plan"].id, world["report"].id, world["agency"].id
    activity = world["plan"].activities[0].id
    drafter = users["drafter"].id
    return {
        "drafter.6301": [
            "/tasks",
            "/plans",
            f"/plans/{plan}",
            f"/plans/{plan}/print",
            f"/plans/{plan}/edit",
            f"/plans/{plan}/challenges",
            f"/plans/{plan}/indicators",
            f"/plans/{plan}/activities/{activity}/edit",
            "/reports",
            f"/reports/{report}",
            "/account",
            "/notifications",
        ],
        "reviewer.6301": ["/tasks", f"/plans/{plan}", "/delegations", "/notifications"],
        "head.6301": ["/", "/delegations", "/reports"],
        "provincial.63": ["/sync", "/dashboard", "/plans", "/reports", f"/reports/{report}"],
        "admin": [
            "/admin/",
            "/admin/users",
            f"/admin/users/{drafter}",
            "/admin/regions",
            "/admin/regions/6301",
            "/admin/agencies",
            f"/admin/agencies/{agency}",
            "/admin/calendar",
            "/admin/outbox",
        ],
    }


def _unsafe(html: str) -> list[str]:
    found = [raw for raw in RAW if raw in html]
    if JS_HREF.search(html):
        found.append("javascript: link")
    return found


def test_hostile_text_is_shown_escaped_on_every_page(app_ctx: Flask, users: dict) -> None:
    world = _hostile_world(app_ctx, users)
    _upload_hostile_evidence(app_ctx, world["report"].id)
    problems, shown = [], 0
    for username, urls in _pages(world, users).items():
        client = app_ctx.test_client()
        login(client, username)
        for url in urls:
            response = client.get(url, follow_redirects=True)
            html = response.get_data(as_text=True)
            assert response.status_code == 200, (username, url, response.status_code)
            if unsafe := _unsafe(html):
                problems.append(f"{username} {url}: {unsafe}")
            shown += ESCAPED in html
    assert not problems, "\n".join(problems)
    # The hostile text really was on the pages (escaped), not merely absent.
    assert shown >= 20, shown


def test_hostile_text_is_escaped_in_the_html_emails(app_ctx: Flask, users: dict) -> None:
    _hostile_world(app_ctx, users)
    rows = db.session.scalars(select(Notification)).all()
    assert rows, "the transitions queued no email"
    problems, shown = [], 0
    for row in rows:
        email = render_notification(row)
        if email.html and (unsafe := _unsafe(email.html)):
            problems.append(f"{row.event} to {row.recipient_id}: {unsafe}")
        shown += ESCAPED in (email.html or "")
    assert not problems, "\n".join(problems)
    assert shown, "no email carried the hostile text"
