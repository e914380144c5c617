"""Webhooks: an admin registers an endpoint; every change of the event types it wants is
written as a delivery in the change's own transaction and POSTed after the commit, signed by
the Standard Webhooks convention, retried with backoff (the same webhook-id each time), ending
`sent` or a visible `failed` the admin can send again. A real HTTP server on the loopback
receives them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import socket
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from flask import Flask
from flask_babel import force_locale
from sqlalchemy import select

from tests import factories
from tests.conftest import csrf_token, signed_in
from tests.db.test_api import bearer
from workflow_app.audit.admin_models import AdminAct
from workflow_app.extensions import db
from workflow_app.models_base import utcnow
from workflow_app.plans import operations as ops
from workflow_app.unit_of_work import unit_of_work
from workflow_app.webhooks import operations as hooks
from workflow_app.webhooks.delivery import deliver
from workflow_app.webhooks.dispatch import DELIVER_TASK
from workflow_app.webhooks.models import Webhook, WebhookDelivery
from workflow_app.webhooks.relay import requeue_stale

from ..feed_settled import wait_until_the_feed_is_settled


class RecordingCelery:
    """Stands in for the broker: remembers what was queued, sends nothing."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, list[object]]] = []

    def send_task(self, name: str, args: list[object], **options: object) -> None:
        self.sent.append((name, list(args)))


@pytest.fixture(autouse=True)
def queue(app: Flask, monkeypatch: pytest.MonkeyPatch) -> RecordingCelery:
    recorder = RecordingCelery()
    monkeypatch.setitem(app.extensions, "celery", recorder)
    return recorder


class Receiver:
    """An HTTP server on 127.0.0.1 that records each request and answers with the next of
    `answers` (the last one again once they run out)."""

    def __init__(self, port: int = 0) -> None:
        self.requests: list[dict] = []
        self.answers: list[tuple[int, dict[str, str], bytes]] = [(200, {}, b"ok")]
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                body = self.rfile.read(length)
                receiver.requests.append(
                    {"path": self.path, "headers": dict(self.headers), "body": body}
                )
                status, headers, body = (
                    receiver.answers.pop(0) if len(receiver.answers) > 1 else receiver.answers[0]
                )
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


def closed_port() -> int:
    """A loopback port nobody listens on (taken and let go)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """The receiver's check, as the README documents it (Standard Webhooks)."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(
        hmac.compare_digest(f"v1,{expected}", sig) for sig in headers["webhook-signature"].split()
    )


def register(users: dict, url: str, types: list[str] | None = None) -> tuple[Webhook, str]:
    with unit_of_work():
        return hooks.create_webhook(
            users["admin"],
            hooks.WebhookData(url, types or ["case.created", "case.updated", "case.transitioned"]),
        )


def deliveries() -> list[WebhookDelivery]:
    db.session.expire_all()
    return list(db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))


def submitted_plan(users: dict):
    plan = factories.complete_plan(users["drafter"])
    db.session.commit()
    with unit_of_work():
        ops.transition(users["drafter"], plan, "submit")
    return plan


def acts(action: str) -> list[AdminAct]:
    return list(db.session.scalars(select(AdminAct).where(AdminAct.action == action)))


# --- delivering ------------------------------------------------------------------------------


def test_a_transition_is_posted_signed_with_the_event_as_the_feed_serves_it(
    app, users, receiver, queue
) -> None:
    _, secret = register(users, receiver.url, ["case.transitioned"])
    plan = submitted_plan(users)

    [delivery] = deliveries()  # created and updated were not wanted
    assert (delivery.status, delivery.event.type) == ("pending", "case.transitioned")
    assert (DELIVER_TASK, [delivery.id]) in queue.sent  # queued after the commit

    assert deliver(delivery.id).status == "sent"
    [request] = receiver.requests
    headers = {k.lower(): v for k, v in request["headers"].items()}
    assert headers["webhook-id"] == f"msg_{delivery.id}"
    assert abs(int(headers["webhook-timestamp"]) - utcnow().timestamp()) < 600
    assert verify(secret, headers, request["body"])
    assert not verify(secret, headers, request["body"] + b" ")
    assert headers["content-type"] == "application/json"

    token = bearer(factories.api_token(users["reviewer"]))
    wait_until_the_feed_is_settled()
    feed = app.test_client().get("/api/v1/changes", headers=token).get_json()["items"]
    assert json.loads(request["body"]) == feed[-1]
    assert feed[-1]["case_id"] == plan.id and feed[-1]["data"]["trigger"] == "submit"

    [sent] = deliveries()
    assert (sent.status, sent.attempts, sent.response_code) == ("sent", 0, 200)
    assert deliver(sent.id).status == "already_sent"  # run twice: posted once
    assert len(receiver.requests) == 1


def test_a_disabled_webhook_and_a_rolled_back_change_get_nothing(users, receiver) -> None:
    wanted, _ = register(users, receiver.url)
    disabled, _ = register(users, receiver.url)
    with unit_of_work():
        hooks.set_active(users["admin"], disabled, False)
    plan = factories.complete_plan(users["drafter"])
    db.session.commit()
    count = len(deliveries())
    assert count and {d.webhook_id for d in deliveries()} == {wanted.id}

    ops.transition(users["drafter"], plan, "submit")
    db.session.rollback()
    assert len(deliveries()) == count


def test_a_receiver_that_is_down_is_retried_with_backoff_then_gets_it_with_the_same_id(
    app, users, monkeypatch
) -> None:
    port = closed_port()
    register(users, f"http://127.0.0.1:{port}/hook", ["case.transitioned"])
    submitted_plan(users)
    [delivery] = deliveries()

    first = deliver(delivery.id)
    assert first.status == "retry" and first.error
    [waiting] = deliveries()
    assert (waiting.status, waiting.attempts) == ("pending", 1)
    assert "Connection" in waiting.last_error or "refused" in waiting.last_error
    # Retried after a random pause up to the first backoff step (full jitter).
    base = app.config["NOTIFICATION_RETRY_BASE_SECONDS"]
    assert waiting.next_attempt_at <= utcnow() + timedelta(seconds=base)

    server = Receiver(port)  # the receiver comes up
    try:
        server.answers = [(503, {}, b"busy " * 200), (200, {}, b"ok")]
        later = utcnow() + timedelta(hours=2)
        assert requeue_stale(later) == [delivery.id]  # the relay finds it
        assert deliver(delivery.id, now=later).status == "retry"
        [busy] = deliveries()
        assert (busy.attempts, busy.response_code) == (2, 503)
        assert len(busy.response_body) == 500  # no more of the answer is kept
        even_later = later + timedelta(hours=2)
        assert deliver(delivery.id, now=even_later).status == "sent"
        ids = {r["headers"]["webhook-id"] for r in server.requests}
        assert ids == {f"msg_{delivery.id}"} and len(server.requests) == 2
    finally:
        server.close()


def test_after_the_last_attempt_it_is_failed_and_the_admin_sends_it_again(
    app, users, monkeypatch, queue
) -> None:
    monkeypatch.setitem(app.config, "WEBHOOK_MAX_ATTEMPTS", 2)
    port = closed_port()
    webhook, _ = register(users, f"http://127.0.0.1:{port}/hook", ["case.transitioned"])
    submitted_plan(users)
    [delivery] = deliveries()
    assert deliver(delivery.id).status == "retry"
    assert deliver(delivery.id, now=utcnow() + timedelta(hours=2)).status == "failed"

    admin = signed_in(app, "admin")
    page = admin.get(f"/admin/webhooks/{webhook.id}/deliveries")
    text = html.unescape(page.get_data(as_text=True))
    assert page.status_code == 200
    assert f'id="delivery-{delivery.id}" data-status="failed"' in text
    assert deliveries()[0].last_error in text

    server = Receiver(port)
    try:
        token = csrf_token(admin, f"/admin/webhooks/{webhook.id}/deliveries")
        queue.sent.clear()
        response = admin.post(
            f"/admin/webhooks/deliveries/{delivery.id}/retry", data={"csrf_token": token}
        )
        assert response.status_code == 302
        [again] = deliveries()
        assert (again.status, again.attempts) == ("pending", 0)
        assert queue.sent == [(DELIVER_TASK, [delivery.id])]
        assert [a.details["delivery_id"] for a in acts("webhook.delivery_retried")] == [delivery.id]
        assert deliver(delivery.id).status == "sent"
        assert server.requests[0]["headers"]["webhook-id"] == f"msg_{delivery.id}"
    finally:
        server.close()


def test_a_redirect_is_not_followed(users, receiver) -> None:
    other = Receiver()
    try:
        receiver.answers = [(302, {"Location": other.url}, b"")]
        register(users, receiver.url, ["case.transitioned"])
        submitted_plan(users)
        [delivery] = deliveries()
        assert deliver(delivery.id).status == "retry"
        assert deliveries()[0].response_code == 302
        assert other.requests == []
    finally:
        other.close()


# --- the admin's pages ---------------------------------------------------------------------


def test_the_admin_registers_a_webhook_and_sees_its_secret_once(app, users, receiver) -> None:
    admin = signed_in(app, "admin")
    token = csrf_token(admin, "/admin/webhooks/new")
    response = admin.post(
        "/admin/webhooks/new",
        data={
            "csrf_token": token,
            "url": receiver.url,
            "description": "Dashboard Bappeda",
            "event_types": ["case.created", "case.transitioned"],
        },
    )
    assert response.status_code == 200
    webhook = db.session.scalars(select(Webhook)).one()
    page = response.get_data(as_text=True)
    assert webhook.secret.startswith("whsec_") and webhook.secret in page
    assert webhook.types == ["case.created", "case.transitioned"]
    listing = admin.get("/admin/webhooks").get_data(as_text=True)
    assert receiver.url in listing and webhook.secret not in listing
    assert webhook.secret not in admin.get(f"/admin/webhooks/{webhook.id}").get_data(as_text=True)
    [act] = acts("webhook.created")
    assert act.actor_id == users["admin"].id and act.details["url"] == receiver.url

    # A new secret: shown once, the old one no longer signs.
    old = webhook.secret
    token = csrf_token(admin, f"/admin/webhooks/{webhook.id}")
    rotated = admin.post(f"/admin/webhooks/{webhook.id}/secret", data={"csrf_token": token})
    db.session.expire_all()
    assert webhook.secret != old and webhook.secret in rotated.get_data(as_text=True)
    assert len(acts("webhook.secret_rotated")) == 1

    # Edited and disabled, each on the log.
    response = admin.post(
        f"/admin/webhooks/{webhook.id}",
        data={"csrf_token": token, "url": receiver.url, "event_types": ["case.updated"]},
    )
    assert response.status_code == 302
    admin.post(f"/admin/webhooks/{webhook.id}/disable", data={"csrf_token": token})
    db.session.expire_all()
    assert (webhook.types, webhook.active) == (["case.updated"], False)
    assert len(acts("webhook.edited")) == 1 and len(acts("webhook.disabled")) == 1


def test_a_secret_of_the_admin_s_own_must_be_a_standard_one(app, users, receiver) -> None:
    admin = signed_in(app, "admin")
    token = csrf_token(admin, "/admin/webhooks/new")
    data = {"csrf_token": token, "url": receiver.url, "event_types": ["case.created"]}
    refused = admin.post("/admin/webhooks/new", data={**data, "secret": "hunter2"})
    assert refused.status_code == 400
    assert "whsec_" in refused.get_data(as_text=True)
    mine = "whsec_" + base64.b64encode(b"k" * 32).decode()
    assert admin.post("/admin/webhooks/new", data={**data, "secret": mine}).status_code == 200
    assert db.session.scalars(select(Webhook)).one().secret == mine


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://example.com/hook", "Hanya alamat https://"),
        ("ftp://example.com/hook", "harus diawali https://"),
        ("https://10.1.2.3/hook", "jaringan privat atau lokal"),
        ("https://192.168.1.10/hook", "jaringan privat atau lokal"),
        ("https://169.254.169.254/latest/meta-data", "jaringan privat atau lokal"),
        ("https://[::ffff:10.0.0.1]/hook", "jaringan privat atau lokal"),
        ("https://0.0.0.0/hook", "jaringan privat atau lokal"),
        ("https://user:pw@example.com/hook", "nama pengguna atau kata sandi"),
    ],
)
def test_an_unsafe_address_is_refused_with_the_reason(app, users, url, reason) -> None:
    admin = signed_in(app, "admin")
    token = csrf_token(admin, "/admin/webhooks/new")
    response = admin.post(
        "/admin/webhooks/new",
        data={"csrf_token": token, "url": url, "event_types": ["case.created"]},
    )
    assert response.status_code == 400
    assert reason in html.unescape(response.get_data(as_text=True))
    assert db.session.scalars(select(Webhook)).all() == []


def test_plain_http_to_the_loopback_needs_testing_or_the_setting(app, users, monkeypatch) -> None:
    from workflow_app.webhooks.addresses import UnsafeAddress, check_url

    with app.test_request_context(), force_locale("en"):
        check_url("http://127.0.0.1:8080/hook")  # the suite runs in testing
        monkeypatch.setitem(app.config, "TESTING", False)
        with pytest.raises(UnsafeAddress, match="Only https://"):
            check_url("http://127.0.0.1:8080/hook")
        for url in ("https://127.0.0.1/hook", "https://[::1]/hook", "https://localhost/hook"):
            with pytest.raises(UnsafeAddress, match="private or local network"):
                check_url(url)
        monkeypatch.setitem(app.config, "WEBHOOK_ALLOW_HTTP_LOOPBACK", True)
        check_url("http://localhost:8080/hook")


WEBHOOK_PAGES = [
    ("GET", "/admin/webhooks"),
    ("GET", "/admin/webhooks/new"),
    ("POST", "/admin/webhooks/new"),
    ("GET", "/admin/webhooks/{webhook}"),
    ("POST", "/admin/webhooks/{webhook}"),
    ("POST", "/admin/webhooks/{webhook}/disable"),
    ("POST", "/admin/webhooks/{webhook}/enable"),
    ("POST", "/admin/webhooks/{webhook}/secret"),
    ("GET", "/admin/webhooks/{webhook}/deliveries"),
    ("POST", "/admin/webhooks/deliveries/{delivery}/retry"),
]


@pytest.mark.parametrize("username", ["drafter.6301", "provincial.63", "head.63"])
def test_every_webhook_page_is_for_the_admin_only(app, users, receiver, username) -> None:
    webhook, secret = register(users, receiver.url)
    submitted_plan(users)
    ids = {"webhook": webhook.id, "delivery": deliveries()[0].id}
    client = signed_in(app, username)
    token = csrf_token(client, "/tasks")
    for method, path in WEBHOOK_PAGES:
        url = path.format(**ids)
        data = {"csrf_token": token, "url": "https://example.com/", "event_types": ["case.created"]}
        response = client.get(url) if method == "GET" else client.post(url, data=data)
        assert response.status_code == 403, (method, url)
    db.session.expire_all()
    assert (webhook.secret, webhook.active, webhook.url) == (secret, True, receiver.url)
    assert len(db.session.scalars(select(Webhook)).all()) == 1


def test_the_deliveries_of_a_transition_cost_one_statement(users, receiver, monkeypatch) -> None:
    from tests.db.test_change_feed import statements_of_a_submission
    from workflow_app.changes import recording

    register(users, receiver.url)
    register(users, receiver.url)
    with_webhooks = statements_of_a_submission(users)
    assert len(deliveries()) > 2
    monkeypatch.setattr(recording, "_recorded", [])
    without = statements_of_a_submission(users)
    # One INSERT … SELECT, for every webhook at once.
    added = [s for s in with_webhooks if "webhook_delivery" in s and s not in without]
    assert len(with_webhooks) == len(without) + 1, added
    assert len(added) == 1 and added[0].lstrip().upper().startswith("INSERT"), added
