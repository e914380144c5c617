"""Webhooks through the real worker: a change made on the web is queued to Redis after its
commit; the worker POSTs it signed, retries with backoff while the receiver is down, and
delivers it, with the same webhook-id, once the receiver is up."""

from __future__ import annotations

import json

from flask import Flask
from sqlalchemy import select

from tests import factories
from tests.db.test_webhooks import Receiver, closed_port, verify
from workflow_app.extensions import db
from workflow_app.unit_of_work import unit_of_work
from workflow_app.webhooks import operations as hooks
from workflow_app.webhooks.models import WebhookDelivery

from .flows import act, client_as
from .support import wait_until


def delivery() -> WebhookDelivery | None:
    db.session.rollback()  # a fresh snapshot
    return db.session.scalars(select(WebhookDelivery)).one_or_none()


def test_a_receiver_down_then_up_gets_the_event_signed_with_one_webhook_id(
    app_ctx: Flask, services: dict, users: dict
) -> None:
    port = closed_port()
    with unit_of_work():
        _, secret = hooks.create_webhook(
            users["admin"],
            hooks.WebhookData(f"http://127.0.0.1:{port}/hook", ["case.transitioned"]),
        )
    plan = factories.complete_plan(users["drafter"])
    db.session.commit()
    assert act(client_as(app_ctx, "drafter.6301"), plan.id, "submit").status_code == 303

    wait_until(
        lambda: (row := delivery()) is not None and row.attempts >= 2,
        what="two failed attempts by the worker",
    )
    assert "refused" in (delivery().last_error or "")

    receiver = Receiver(port)
    try:
        wait_until(lambda: delivery().status == "sent", what="the delivery sent")
        row = delivery()
        requests = receiver.requests
        assert {r["headers"]["webhook-id"] for r in requests} == {f"msg_{row.id}"}
        for request in requests:
            assert verify(secret, request["headers"], request["body"])
        event = json.loads(requests[-1]["body"])
        assert (event["type"], event["case_id"], event["data"]["trigger"]) == (
            "case.transitioned",
            plan.id,
            "submit",
        )
    finally:
        receiver.close()
