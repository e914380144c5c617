"""Done when an integrator's script, written with nothing but a client generated from the
SERVED /api/v1/openapi.json (openapi-python-client), runs a plan and its first quarterly
report through their whole life against the app on loopback, as three people: the district
drafter fills in and submits the plan, the district reviewer forwards it, the provincial
reviewer approves it (an old version is refused 409 stale); the system's monitoring round
opens the first report (as the product does, on the test clock); the drafter fills it in,
attaches evidence and submits it; the provincial reviewer verifies it. Every step is then
followed through GET /changes and through a webhook receiver on loopback whose signatures
are checked.

An operation the served document has not got yet skips the test, naming it; generation that
cannot run skips outside CI and fails under CI=true."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import urllib.request
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from workflow_app.changes.models import EVENT_TYPES
from workflow_app.engine.calendar import WITA
from workflow_app.extensions import db
from workflow_app.monitoring.rounds import run_round
from workflow_app.unit_of_work import unit_of_work
from workflow_app.webhooks import operations as hooks
from workflow_app.webhooks.delivery import deliver
from workflow_app.webhooks.dispatch import DELIVER_TASK

from .. import factories
from ..api_client_gen import api_module, generate_client
from ..external import unavailable
from ..feed_settled import wait_until_the_feed_is_settled

# The plan's period starts in 2027: approved in December 2026, it waits; the round of the new
# year starts its monitoring, and the round after the first quarter opens that quarter's report.
PERIOD = (2027, 2031)
NEW_YEAR = datetime(2027, 1, 4, 9, 0, tzinfo=WITA)
FIRST_QUARTER_ENDED = datetime(2027, 4, 5, 9, 0, tzinfo=WITA)
# What the script calls: (tag, operationId) as the served document names them.
OPERATIONS = {
    "create_plan": "plans",
    "replace_plan_challenges": "plans",
    "replace_plan_indicators": "plans",
    "add_plan_activity": "plans",
    "fire_plan_transition": "plans",
    "plan_detail": "plans",
    "plan_reports": "reports",
    "report_detail": "reports",
    "save_report_lines": "reports",
    "add_report_attachment": "reports",
    "report_attachment": "reports",
    "fire_report_transition": "reports",
    "list_agencies": "lookups",
    "changes": "changes",
}


class Receiver:
    """A webhook endpoint on 127.0.0.1: records each POST (headers and body), answers 200."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        received = self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/workflow"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Worker:
    """Stands in for the broker (the app queues each webhook delivery after its commit) and,
    when asked, does what the Celery worker does with what was queued: deliver it."""

    def __init__(self) -> None:
        self.queued: list[int] = []

    def send_task(self, name: str, args: list[Any], **options: Any) -> None:
        if name == DELIVER_TASK:  # mail and other tasks are not this test's
            self.queued.extend(args)

    def run(self) -> None:
        db.session.commit()  # end this thread's read: see what the server committed since
        while self.queued:
            assert deliver(self.queued.pop(0)).status in ("sent", "already_sent")


def signed_by(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """The receiver's check (Standard Webhooks): HMAC-SHA256 of id.timestamp.body."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(
        hmac.compare_digest(f"v1,{expected}", s) for s in headers["webhook-signature"].split()
    )


@pytest.fixture
def live(app_ctx: Flask) -> Iterator[str]:
    """The app served on a loopback port by Werkzeug, over the test database."""
    server = make_server("127.0.0.1", 0, app_ctx, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def worker(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Worker:
    stand_in = Worker()
    monkeypatch.setitem(app.extensions, "celery", stand_in)
    return stand_in


@pytest.fixture
def client_package(live: str, tmp_path: Path) -> tuple[ModuleType, dict[str, Any]]:
    """The client generated from the document the live app serves, and that document."""
    with urllib.request.urlopen(f"{live}/api/v1/openapi.json", timeout=30) as answer:
        document = json.load(answer)
    served = {op["operationId"] for item in document["paths"].values() for op in item.values()}
    missing = sorted(set(OPERATIONS) - served)
    if missing:
        pytest.skip(f"{', '.join(missing)} not served yet")
    try:
        package = generate_client(document, tmp_path / "client")
    except FileNotFoundError as exc:  # the generator could not start
        unavailable(f"openapi-python-client cannot run: {exc}")
    return package, document


class Script:
    """The integrator's side: one generated client per person, and the calls by operationId."""

    def __init__(self, package: ModuleType, base_url: str, tokens: dict[str, str]) -> None:
        self.package = package
        self.models = __import__(f"{package.__name__}.models", fromlist=["*"])
        self.clients = {
            who: package.AuthenticatedClient(base_url=base_url, token=token, timeout=60)
            for who, token in tokens.items()
        }

    def call(self, who: str, operation_id: str, *args: Any, **kwargs: Any) -> Any:
        """The call's detailed answer (status, headers, parsed body)."""
        module = api_module(self.package, OPERATIONS[operation_id], operation_id)
        assert module is not None, operation_id
        return module.sync_detailed(*args, client=self.clients[who], **kwargs)

    def ok(self, who: str, operation_id: str, *args: Any, status: int = 200, **kw: Any) -> Any:
        answer = self.call(who, operation_id, *args, **kw)
        assert answer.status_code == status, (operation_id, answer.status_code, answer.content)
        return answer.parsed


def test_a_generated_client_runs_a_plan_and_its_first_report_through_their_life(
    app_ctx: Flask,
    users: dict,
    live: str,
    client_package: tuple[ModuleType, dict[str, Any]],
    receiver: Receiver,
    worker: Worker,
) -> None:
    package, _ = client_package
    with unit_of_work():  # the administrator registers the receiver (admin → Webhooks)
        _, secret = hooks.create_webhook(
            users["admin"], hooks.WebhookData(receiver.url, list(EVENT_TYPES))
        )
    people = ("drafter", "reviewer", "provincial")
    script = Script(package, live, {who: factories.api_token(users[who]) for who in people})
    m = script.models

    # --- the district drafter writes the plan --------------------------------------------
    [agency, *_] = script.ok("drafter", "list_agencies", region="6301").items
    created = script.call(
        "drafter",
        "create_plan",
        body=m.PlanCreateRequest(
            title="Rencana Aksi Sanitasi 2027-2031",
            period_start=PERIOD[0],
            period_end=PERIOD[1],
            region="6301",
        ),
    )
    assert created.status_code == 201, created.content
    plan = created.parsed
    assert created.headers["Location"].endswith(f"/api/v1/plans/{plan.id}")
    assert (plan.state, plan.region.code) == ("draft", "6301")
    plan = script.ok(
        "drafter",
        "replace_plan_challenges",
        plan.id,
        body=m.ChallengesRequest(version=plan.version, items=["Cakupan LLTT masih rendah"]),
    )
    targets = [
        m.TargetIn(year=year, value=str(10 * (year - PERIOD[0] + 1)))
        for year in range(PERIOD[0], PERIOD[1] + 1)
    ]
    plan = script.ok(
        "drafter",
        "replace_plan_indicators",
        plan.id,
        body=m.IndicatorsRequest(
            version=plan.version,
            items=[
                m.IndicatorIn(
                    name="% rumah tangga dengan akses sanitasi aman",
                    unit="%",
                    baseline_year=PERIOD[0] - 1,
                    baseline_value="6.0",
                    targets=targets,
                )
            ],
        ),
    )
    added = script.call(
        "drafter",
        "add_plan_activity",
        plan.id,
        body=m.ActivityRequest(
            version=plan.version,
            sub_sector=m.SubSector("wastewater"),
            activity_type=m.ActivityType("lltt"),
            title="Layanan LLTT",
            location="Pelaihari",
            volume="1200",
            unit="tangki septik/tahun",
            agency_id=agency.id,
            start_year=PERIOD[0],
            end_year=PERIOD[1],
            funding=[
                m.FundingIn(
                    year=PERIOD[0], source=m.FundingSource("apbd_district"), amount=850_000_000
                )
            ],
        ),
    )
    assert added.status_code == 201, added.content
    plan = script.ok("drafter", "plan_detail", plan.id)
    assert [a.title for a in plan.activities] == ["Layanan LLTT"]

    def fire(who: str, trigger: str, version: int) -> Any:
        body = m.PlanTransitionRequest(trigger=m.PlanTrigger(trigger), version=version)
        return script.call(who, "fire_plan_transition", plan.id, body=body)

    # --- submitted, forwarded, approved by three people; an old version is refused --------
    submitted = fire("drafter", "submit", plan.version)
    assert submitted.status_code == 200, submitted.content
    read_by_province = submitted.parsed.version  # what the provincial reviewer saw
    forwarded = fire("reviewer", "forward", submitted.parsed.version)
    assert forwarded.status_code == 200, forwarded.content
    stale = fire("provincial", "approve", read_by_province)
    assert stale.status_code == 409
    assert (stale.parsed.code, stale.parsed.current_version) == ("stale", forwarded.parsed.version)
    approved = fire("provincial", "approve", forwarded.parsed.version)
    assert approved.status_code == 200, approved.content
    worker.run()

    # --- the system's monitoring rounds: the period starts, then its first quarter ends ----
    import time_machine

    with time_machine.travel(NEW_YEAR, tick=True):
        assert run_round().started == [plan.id]
    with time_machine.travel(FIRST_QUARTER_ENDED, tick=True):
        assert run_round().opened == [(plan.id, "TW I 2027")]
        db.session.commit()
        worker.run()

        # --- the drafter fills in the report and attaches evidence; the province verifies
        [summary] = script.ok("drafter", "plan_reports", plan.id).items
        report = script.ok("drafter", "report_detail", summary.id)
        assert (report.year, report.quarter, report.state) == (2027, 1, "due")
        [line] = report.lines
        figures = m.ReportLinesRequestLines.from_dict(
            {
                str(line.activity_id): {
                    "physical_progress": "25",
                    "spent": 200_000_000,
                    "output_achieved": "300",
                    "obstacles": "",
                    "follow_up": "",
                }
            }
        )
        report = script.ok(
            "drafter",
            "save_report_lines",
            report.id,
            body=m.ReportLinesRequest(version=report.version, lines=figures),
        )
        attached = script.call(
            "drafter",
            "add_report_attachment",
            report.id,
            body=m.AttachmentUpload(
                file=package.types.File(
                    payload=__import__("io").BytesIO(factories.MINIMAL_PDF),
                    file_name="bukti.pdf",
                    mime_type="application/pdf",
                ),
                version=report.version,
            ),
        )
        assert attached.status_code == 201, attached.content
        download = script.call("drafter", "report_attachment", report.id, attached.parsed.id)
        assert (download.status_code, download.content) == (200, factories.MINIMAL_PDF)
        report = script.ok("drafter", "report_detail", report.id)

        def fire_report(who: str, trigger: str, version: int) -> Any:
            body = m.ReportTransitionRequest(trigger=m.ReportTrigger(trigger), version=version)
            return script.ok(who, "fire_report_transition", report.id, body=body)

        submitted_report = fire_report("drafter", "submit", report.version)
        verified = fire_report("provincial", "verify", submitted_report.version)
        assert verified.state == "verified"
        worker.run()

        # --- every step, in order, in the change feed ...
        events, after = [], None
        wait_until_the_feed_is_settled()
        while True:
            page = script.ok("provincial", "changes", after=after, limit=3)
            events += [item.to_dict() for item in page.items]  # as the wire has them
            after = page.next_cursor
            if not page.has_more:
                break
        assert script.ok("provincial", "changes", after=after).items == []  # nothing more
    # One event per step, in the order they happened: each write an update, each action
    # (the system's too) a transition naming its trigger.
    moved = "case.transitioned"
    steps = [
        (e["kind"], e["case_id"], e["type"], e["data"]["trigger"] if e["type"] == moved else None)
        for e in events
    ]
    created, updated = ("case.created", None), ("case.updated", None)
    actions = ("submit", "forward", "approve", "start_monitoring")
    # The plan: created, challenges, indicators, an activity, four actions.
    plan_steps = [created, updated, updated, updated] + [(moved, a) for a in actions]
    # The report: opened, figures, evidence, two actions.
    report_steps = [created, updated, updated] + [(moved, a) for a in ("submit", "verify")]
    expected = [("plan", plan.id, *step) for step in plan_steps] + [
        ("report", report.id, *step) for step in report_steps
    ]
    # Every step is there, in its order (the feed may say more: a report's submission also
    # records the fields it set, as an update); every action exactly once.
    rest = iter(steps)
    assert all(step in rest for step in expected), steps
    assert [s for s in steps if s[2] != "case.updated"] == [
        s for s in expected if s[2] != "case.updated"
    ]
    # The version each event carries is the case's after it: the last ones are the current.
    assert [e["version"] for e in events if e["kind"] == "report"][-1] == verified.version

    # --- ... and, signed, at the webhook receiver: the same events, each once
    assert receiver.requests, "no webhook delivery arrived"
    delivered = []
    for headers, body in receiver.requests:
        assert signed_by(secret, headers, body), headers
        delivered.append(json.loads(body))
    fields = ("id", "type", "kind", "case_id", "version", "state", "data")
    assert [{k: d[k] for k in fields} for d in delivered] == [
        {k: e[k] for k in fields} for e in events
    ]
    assert [d["actor"]["username"] for d in delivered if d["actor"]] == [
        e["actor"]["username"] for e in events if e.get("actor")
    ]
