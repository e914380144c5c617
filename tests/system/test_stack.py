"""The whole product as it runs in production, driven from outside over HTTP: `workflow-app
stack` (gunicorn, a Celery worker, beat) on PostgreSQL, Redis and an SMTP server. Three people
take a plan from draft to approved; their emails arrive; a deadline passes on the test clock and
the escalation arrives; the worker is killed and Redis restarted (losing every queued message)
mid-way, and still nothing is lost; the request id of a click is found in the worker's log of
the email it caused; SIGTERM stops every process."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest

from tests import factories
from tests.conftest import make_app
from tests.external import private_database
from tests.services.support import RedisServer, SmtpSink, wait_until
from workflow_app.extensions import db

from .browser import Browser, read_form
from .stack import Stack, alive, wait_gone


@pytest.fixture(scope="module")
def plan_id(stack: Stack) -> int:
    """The accounts of Tanah Laut and the province, and a complete draft plan (set up in the
    database directly: creating accounts and filling a plan in have tests of their own)."""
    saved = os.environ.get("WORKFLOW_APP_INSTANCE_PATH")
    try:
        app = make_app(stack.database_url, stack.workdir / "seeding")
    finally:
        os.environ["WORKFLOW_APP_INSTANCE_PATH"] = saved or ""
        if saved is None:
            del os.environ["WORKFLOW_APP_INSTANCE_PATH"]
    with app.app_context():
        users = factories.standard_users()
        draft = factories.complete_plan(users["drafter"], title="Rencana Aksi Tanah Laut")
        db.session.commit()
        created = draft.id
        db.session.remove()
        db.engine.dispose()
    return created


def outbox(stack: Stack, plan_id: int) -> list[tuple[int, str, str, str]]:
    """(id, event, to_address, status) of the plan's outbox rows."""
    return stack.query(  # type: ignore[return-value]
        "SELECT id, event, to_address, status FROM notification"
        " WHERE subject_kind = 'plan' AND subject_id = %s ORDER BY id",
        plan_id,
    )


def all_sent(stack: Stack, plan_id: int, events: set[str]) -> list[tuple[int, str, str, str]]:
    """Wait until the plan has rows of each event in `events` and every row is sent."""

    def done() -> list[tuple[int, str, str, str]] | None:
        rows = outbox(stack, plan_id)
        sent = {row[1] for row in rows} >= events and all(row[3] == "sent" for row in rows)
        return rows if sent else None

    return wait_until(
        done,
        timeout=60,
        interval=0.2,
        what=f"every email of {sorted(events)} sent",
        details=lambda: f"outbox: {outbox(stack, plan_id)}\n{stack.tail()}",
    )


def received_ids(mail: SmtpSink, wanted: set[int]) -> list[int]:
    """Wait until every outbox id in `wanted` reached the SMTP server; every id received."""
    wait_until(
        lambda: wanted <= {m.outbox_id for m in mail.received},
        timeout=30,
        what=f"emails {sorted(wanted)} at the SMTP server",
        details=lambda: f"received: {sorted(m.outbox_id or 0 for m in mail.received)}",
    )
    return [m.outbox_id for m in mail.received if m.outbox_id is not None]


def state_of(stack: Stack, plan_id: int) -> str:
    return stack.query("SELECT state FROM action_plan WHERE id = %s", plan_id)[0][0]


def test_web_processes_share_the_login_limit_through_redis(stack: Stack, plan_id: int) -> None:
    """Two gunicorn processes answer; the failed logins of one account count together, so the
    sixth is refused whichever process takes it (a limit kept in process memory would let
    about half of them through)."""
    answers = []
    for _ in range(10):
        browser = Browser(stack.base_url, "head.6301")  # a new connection each time
        page = browser.get("/login")
        _, fields = read_form(page.text, None)
        fields.update(username="head.6301", password="not-the-password")
        answers.append(browser.session.post(stack.base_url + "/login", data=fields).status_code)
    assert answers[:5] == [400] * 5, answers  # the form again, with the error
    assert answers[5:] == [429] * 5, answers


def test_a_plan_goes_from_draft_to_approved_through_the_running_stack(
    stack: Stack, plan_id: int, broker: RedisServer, mail_server: SmtpSink
) -> None:
    drafter = Browser(stack.base_url, "drafter.6301")
    reviewer = Browser(stack.base_url, "reviewer.6301")
    province = Browser(stack.base_url, "provincial.63")
    for person in (drafter, reviewer, province):
        person.log_in()

    # The drafter submits; the click's request id is echoed, and the reviewer is emailed.
    answer = drafter.act(plan_id, "submit", request_id="system-submit-1")
    assert answer.status_code == 303, answer.text[:500]
    assert answer.headers["X-Request-ID"] == "system-submit-1"
    submitted = all_sent(stack, plan_id, {"submit"})
    assert {row[2] for row in submitted} == {"reviewer.6301@example.test"}
    received_ids(mail_server, {row[0] for row in submitted})

    # The id follows the click into the worker: the web's line of the POST and the worker's
    # line of the delivery it caused carry it.
    def logged(name: str) -> list[dict]:
        return [e for e in stack.json_lines(name) if e.get("request_id") == "system-submit-1"]

    web_lines = logged("web")
    assert any(
        e.get("path") == f"/plans/{plan_id}/transition" and e.get("status") == 303
        for e in web_lines
    ), web_lines
    worker_lines = wait_until(
        lambda: [e for e in logged("worker") if "notifications.deliver" in e["message"]],
        what="the worker's log line of the delivery with the request id",
        details=stack.tail,
    )
    assert any("succeeded" in e["message"] for e in worker_lines), worker_lines

    # Nobody reviews. Three weeks later on the test clock (15 working days), the sweep sends
    # the reminder and due notices, then escalates to the district head and the province.
    stack.advance_clock(days=21)
    escalated = all_sent(stack, plan_id, {"reminder", "due", "escalation"})
    by_event = {(row[1], row[2]) for row in escalated}
    assert ("escalation", "head.6301@example.test") in by_event
    assert ("escalation", "provincial.63@example.test") in by_event
    received_ids(mail_server, {row[0] for row in escalated})

    # Mid-way, Redis goes down (losing whatever it queued) and the worker is killed. The
    # reviewer forwards meanwhile: the web still answers, the rows wait in the outbox.
    old_worker = stack.pid("worker")
    broker.stop()
    os.kill(old_worker, signal.SIGKILL)
    answer = reviewer.act(
        plan_id, "forward", comment="Sudah lengkap, lanjut ke provinsi.", request_id="forward-1"
    )
    assert answer.status_code == 303, answer.text[:500]
    assert state_of(stack, plan_id) == "provincial_sync"
    down = stack.command("status")
    assert down.returncode == 6 and "ATTENTION  broker: does not answer" in down.stdout, down
    broker.start()
    stack.restarted("worker", old_worker)
    all_sent(stack, plan_id, {"forward"})
    # Queued by the relay, long after the click, the deliveries still log under its id.
    wait_until(
        lambda: any(
            "succeeded" in e["message"] and "notifications.deliver" in e["message"]
            for e in stack.json_lines("worker")
            if e.get("request_id") == "forward-1"
        ),
        what="the worker's line of the relayed delivery with the forward's request id",
        details=stack.tail,
    )

    # The province approves.
    answer = province.act(plan_id, "approve", comment="Disetujui.")
    assert answer.status_code == 303, answer.text[:500]
    assert state_of(stack, plan_id) == "approved"
    final = all_sent(stack, plan_id, {"submit", "forward", "approve"})

    # Nothing lost: each of the plan's outbox rows reached the SMTP server, and once.
    ids = received_ids(mail_server, {row[0] for row in final})
    plan_ids = {row[0] for row in final}
    assert sorted(i for i in ids if i in plan_ids) == sorted(plan_ids)

    # The operator's morning check agrees: everything flows.
    well = stack.command("status")
    assert well.returncode == 0 and well.stdout.strip().endswith("status: OK"), well

    # SIGTERM stops the stack: every process ends and the supervisor exits cleanly.
    children = [stack.pid(name) for name in ("web", "worker", "beat")]
    assert stack.stop() == 0, stack.tail()
    for pid in children:
        wait_gone(pid, timeout=5)
        assert not alive(pid), f"process {pid} outlived the stack"
    assert "stack: stopped" in stack.text()


def test_production_refuses_the_test_clock(tmp_path: Path) -> None:
    """The setting the system test relies on cannot reach a deployed system."""
    import subprocess

    from workflow_app.stack.topology import executable

    env = {
        **os.environ,
        "WORKFLOW_APP_PROFILE": "production",
        "SECRET_KEY": "s" * 40,
        "WORKFLOW_APP_TEST_CLOCK_FILE": str(tmp_path / "clock"),
        "WORKFLOW_APP_INSTANCE_PATH": str(tmp_path / "instance"),
    }
    done = subprocess.run(
        [executable("workflow-app"), "routes"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode != 0
    assert "TEST_CLOCK_FILE is a test-only setting" in done.stderr


def test_the_backup_of_the_readme_restores_a_working_database(
    stack: Stack, plan_id: int, tmp_path: Path
) -> None:
    """README "Backups": `pg_dump -Fc`, then `pg_restore --clean --if-exists` into an empty
    database; the restored copy has the approved plan, its intact history chain, and the app
    runs on it (runs after the story above, on the database it left)."""
    import shutil
    import subprocess

    from tests.external import unavailable

    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        unavailable("pg_dump/pg_restore are not installed (apt-get install postgresql-client)")
    source = stack.database_url.replace("postgresql+psycopg://", "postgresql://")
    dump = tmp_path / "rencana.dump"
    subprocess.run(["pg_dump", "-Fc", "-f", str(dump), source], check=True, timeout=120)

    restored_name = private_database("wf_system_restored")
    restored = source.rsplit("/", 1)[0] + "/" + restored_name
    stack.query(f"DROP DATABASE IF EXISTS {restored_name} WITH (FORCE)")
    stack.query(f"CREATE DATABASE {restored_name}")
    subprocess.run(
        ["pg_restore", "--clean", "--if-exists", "--no-owner", "-d", restored, str(dump)],
        check=True,
        timeout=120,
    )
    copy = Stack(tmp_path, restored, stack.env["REDIS_URL"], int(stack.env["MAIL_PORT"]))

    verified = copy.command("audit", "verify")
    assert verified.returncode == 0 and verified.stdout.startswith("OK: "), verified
    listed = copy.command("plans", "list", "--json")
    assert listed.returncode == 0, listed
    assert [(p["id"], p["state"]) for p in json.loads(listed.stdout)] == [(plan_id, "approved")]
    sent = copy.query("SELECT count(*) FROM notification WHERE status = 'sent'")[0][0]
    assert sent == len(copy.query("SELECT id FROM notification")) > 0
    stack.query(f"DROP DATABASE {restored_name} WITH (FORCE)")
