"""The request id: echoed to the client, on every log line of the request (JSON in production)
and in the headers of the Celery tasks the request queues, so the worker logs the same id."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from celery.signals import before_task_publish
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from tests import factories
from tests.services.flows import act, client_as
from workflow_app.extensions import db
from workflow_app.logs import REQUEST_ID_HEADER, TASK_HEADER, RequestIdFilter, formatter
from workflow_app.models_base import utcnow
from workflow_app.notifications.models import Notification
from workflow_app.notifications.relay import requeue_stale


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """What the request logger writes, formatted as production formats it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter("json"))
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("workflow_app.requests")
    logger.addHandler(handler)
    saved = logger.level
    logger.setLevel(logging.DEBUG)
    yield stream
    logger.removeHandler(handler)
    logger.setLevel(saved)


def test_every_response_names_its_request(client: FlaskClient) -> None:
    first = client.get("/login").headers[REQUEST_ID_HEADER]
    second = client.get("/login").headers[REQUEST_ID_HEADER]
    assert len(first) == 32 and first != second


def test_a_proxy_request_id_is_kept_and_a_forged_one_replaced(client: FlaskClient) -> None:
    given = {REQUEST_ID_HEADER: "lb-7f3a.42"}
    assert client.get("/login", headers=given).headers[REQUEST_ID_HEADER] == "lb-7f3a.42"
    for hostile in ("x" * 65, "abc def", 'a"}{"level":"ERROR'):
        answered = client.get("/login", headers={REQUEST_ID_HEADER: hostile})
        assert answered.headers[REQUEST_ID_HEADER] != hostile
        assert len(answered.headers[REQUEST_ID_HEADER]) == 32


def test_the_request_line_is_one_json_object_with_the_id(
    client: FlaskClient, json_lines: io.StringIO
) -> None:
    response = client.get("/login", headers={REQUEST_ID_HEADER: "trace-1"})
    lines = [json.loads(line) for line in json_lines.getvalue().splitlines()]
    line = next(entry for entry in lines if entry.get("path") == "/login")
    assert line["request_id"] == "trace-1" == response.headers[REQUEST_ID_HEADER]
    assert line["status"] == 200 and line["method"] == "GET" and line["level"] == "INFO"
    assert line["logger"] == "workflow_app.requests" and line["duration_ms"] >= 0


def test_the_tasks_a_transition_queues_carry_its_request_id(app_ctx: Flask, users: dict) -> None:
    plan = factories.complete_plan(users["drafter"])
    db.session.commit()
    published: list[dict[str, Any]] = []

    def record(headers: dict[str, Any] | None = None, **_: Any) -> None:
        published.append(dict(headers or {}))

    before_task_publish.connect(record, weak=False)
    try:
        drafter = client_as(app_ctx, "drafter.6301")
        drafter.environ_base["HTTP_X_REQUEST_ID"] = "click-42"
        response = act(drafter, plan.id, "submit")
    finally:
        before_task_publish.disconnect(record)
    assert response.status_code == 303
    assert response.headers[REQUEST_ID_HEADER] == "click-42"
    deliveries = [
        h for h in published if h.get("task") == "workflow_app.notifications.deliver_rows"
    ]
    assert deliveries, "the submission queued no email"
    assert {h[TASK_HEADER] for h in deliveries} == {"click-42"}
    # The outbox rows remember the click, for a delivery queued later by the relay.
    rows = db.session.scalars(
        select(Notification).where(Notification.subject_is("plan", plan.id))
    ).all()
    assert rows and {row.request_id for row in rows} == {"click-42"}


def test_rows_the_relay_queues_again_keep_the_request_that_wrote_them(
    app_ctx: Flask, users: dict
) -> None:
    plan = factories.complete_plan(users["drafter"])
    db.session.commit()
    drafter = client_as(app_ctx, "drafter.6301")
    drafter.environ_base["HTTP_X_REQUEST_ID"] = "click-7"
    assert act(drafter, plan.id, "submit").status_code == 303
    published: list[dict[str, Any]] = []

    def record(headers: dict[str, Any] | None = None, **_: Any) -> None:
        published.append(dict(headers or {}))

    # The broker lost the messages; later the relay (beat's task, no request) queues them.
    before_task_publish.connect(record, weak=False)
    try:
        queued = requeue_stale(now=utcnow() + timedelta(hours=1))
    finally:
        before_task_publish.disconnect(record)
    assert queued
    assert [h[TASK_HEADER] for h in published] == ["click-7"] * len(queued)
