"""The escalation sweep among 10,000 and among 1,000,000 plans, and emails per second.

    .venv/bin/python bench/escalation.py [--sizes 10000,1000000] [--due 1000] [--rounds 3]
        [--emails 1000] [--database-url postgresql://postgres@127.0.0.1:5432/wf_escalation]
        [--redis-url redis://127.0.0.1:6379/13] [--keep]

Runs on PostgreSQL, in a database of its own (`wf_escalation` by default, created if missing;
the suite's `test` is refused; its tables are dropped at the end unless --keep).

1. For each size N, in a schema of its own (`sweep_<N>`): N plans in district review,
   seeded with set-based SQL (INSERT … SELECT generate_series, not the ORM), each with its
   four scheduled steps: most pending in the future, a quarter of the plans with their first
   three steps already done in the past, and exactly `--due` steps due now. Then
   `deadlines.sweep.run_sweep(at)` is timed: it fires the due steps, each writing an outbox
   row to the district reviewer (a handful of users hold the roles in the regions). The sizes
   take turns over `--rounds` (between two rounds the fired steps are set pending again and
   their outbox rows deleted), so that other load on the machine weighs on both alike. The
   sweep's cost should follow what is due, not what exists: the ratio of the two sizes'
   median times should stay near 1 (the issue allows 1.5).
2. Emails per second: an aiosmtpd server (a separate process, discarding what it receives) on
   a free port; `--emails` outbox rows delivered as production delivers them: one task per
   chunk of up to NOTIFICATION_DELIVERY_BATCH rows queued to Redis as after a commit
   (`dispatch.delivery_chunks`; `--redis-url`, a database of its own) and a Celery worker with
   one pool process (`celery --app=workers worker --concurrency=1`, the production profile),
   whose tasks deliver their chunk over one kept SMTP connection; timed from the first task
   queued until every row is marked sent (the `email` ratio). Beside it, in this process, the
   same tasks' work called in queue order (`deliver_rows` per chunk: no broker), and
   `notifications.delivery.deliver` one row at a time (read, render, send, mark sent). All
   against a plain `smtplib` loop sending the same messages (built beforehand) to the same
   server, once over one connection and once with a connection per message. Without Redis,
   the worker line is skipped and `email` is the in-process chunks'.

It prints the machine (cores, CPU, Python, PostgreSQL), each round, and the ratios. Run on
demand; never as a timed test.
"""

# ruff: noqa: E402 -- the import path is fixed below before anything else is imported.
from __future__ import annotations

import sys
from pathlib import Path

# bench/transitions.py is named like the `transitions` library the engine runs on, and Python
# puts the script's folder first on the import path: take it off, or the engine imports it.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))  # the project root: `bench.report`

import argparse
import os
import smtplib
import socket
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime

import psycopg
import redis
from celery import Celery
from flask import Flask
from psycopg import sql
from sqlalchemy import Index, delete, event, func, select, text, update
from sqlalchemy.engine import make_url

from bench.report import emit, machine_lines, own_redis_db, redis_problem
from workflow_app import create_app
from workflow_app.accounts.models import RoleAssignment, User
from workflow_app.config import normalise_database_url
from workflow_app.deadlines.models import ScheduledStep
from workflow_app.deadlines.sweep import run_sweep
from workflow_app.extensions import db
from workflow_app.models_base import utcnow
from workflow_app.notifications.delivery import deliver, deliver_rows
from workflow_app.notifications.dispatch import DELIVER_ROWS_TASK, chunk_size, delivery_chunks
from workflow_app.notifications.mailer import build_message
from workflow_app.notifications.models import Notification
from workflow_app.notifications.rendering import render_notification
from workflow_app.regions.catalogue import DISTRICTS
from workflow_app.regions.operations import ensure_regions

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/wf_escalation"
SENDER = "bench@example.org"
# The steps of district review in workflows/action_plan.yaml, as offsets from the due time.
# Plain intervals, not working days: the seed only needs times that are past or future.
STEPS = (
    ("reminder", "-1 day"),
    ("due", "0 days"),
    ("escalation", "3 days"),
    ("escalation_province", "7 days"),
)
BIG_TABLES = ("action_plan", "plan_transition", "scheduled_step")


# --- database -------------------------------------------------------------------------


def ensure_database(url: str) -> str:
    """Create the URL's database if missing (never the suite's `test`); return the URL."""
    parsed = make_url(normalise_database_url(url))
    if parsed.database in (None, "", "test", "postgres"):
        sys.exit(f"refusing to benchmark in database {parsed.database!r}: use one of its own")
    admin = parsed.set(drivername="postgresql", database="postgres").render_as_string(False)
    with psycopg.connect(admin, autocommit=True) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (parsed.database,))
        if found.fetchone() is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(parsed.database)))
    return parsed.render_as_string(hide_password=False)


def libpq_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


# --- seeding ------------------------------------------------------------------------------


def seed_people() -> int:
    """Regions, a reviewer and a head in every district, the two provincial roles, and the
    drafter who submitted every plan. Returns the drafter's id."""
    regions = ensure_regions()

    def person(username: str, role: str, code: str) -> User:
        account = User(
            username=username,
            full_name=username,
            email=f"{username}@example.org",
            password_hash="!",  # cannot log in
        )
        account.roles.append(RoleAssignment(role=role, region=regions[code]))
        db.session.add(account)
        return account

    for district in DISTRICTS:
        person(f"reviewer.{district.code}", "district_reviewer", district.code)
        person(f"head.{district.code}", "district_head", district.code)
    person("provincial.63", "provincial_reviewer", "63")
    person("head.63", "provincial_head", "63")
    drafter = person("drafter.bench", "district_drafter", DISTRICTS[0].code)
    db.session.commit()
    return drafter.id


def _secondary_indexes() -> list[Index]:
    return [index for name in BIG_TABLES for index in db.metadata.tables[name].indexes]


# Plan n is one of three kinds, by its id:
#   due:   n % stride = 0 (exactly `due` plans): its reminder fired a few seconds before `at`;
#   old:   n % 4 = 1: entered 12 days ago; reminder, due notice and escalation done, the
#          province's escalation pending in two days;
#   fresh: entered in the last three days: all four steps pending, the first in three days.
PLANS_SQL = """
INSERT INTO action_plan (id, region_id, period_start, period_end, title, state,
    workflow_name, workflow_version, version, created_by_id, created_at, updated_at,
    state_entered_at, due_at)
SELECT n, (CAST(:regions AS integer[]))[1 + n % :region_count], 2025, 2029, 'Rencana Aksi ' || n,
    'district_review', 'action_plan', 1, 2, :drafter, entered, entered, entered,
    entered + interval '7 days'
FROM (
    SELECT n, CASE
        WHEN n % :stride = 0 THEN :at - interval '6 days' - (1 + n % 3600) * interval '1 second'
        WHEN n % 4 = 1 THEN :at - interval '12 days' - (n % 86400) * interval '1 second'
        ELSE :at - (n % 259200) * interval '1 second'
    END AS entered
    FROM generate_series(1, :plans) AS n
) AS kinds
"""

# The seeded history is not hash-chained (a placeholder hash): the sweep never reads it.
ENTRIES_SQL = """
INSERT INTO plan_transition (id, subject_kind, subject_id, chain_kind, chain_id,
    workflow_version, from_state, to_state, trigger, actor_id, role, created_at, hash_format,
    row_hash)
SELECT id, 'plan', id, 'plan', id, 1, 'draft', 'district_review', 'submit', :drafter,
    'district_drafter', state_entered_at, 2, repeat('0', 64)
FROM action_plan
"""

STEPS_SQL = """
INSERT INTO scheduled_step (subject_kind, subject_id, entry_id, state, step, fire_at, status,
    done_at)
SELECT 'plan', p.id, p.id, 'district_review', s.step, p.due_at + s.offset_by,
    CASE WHEN p.id % 4 = 1 AND p.id % :stride <> 0 AND s.step <> 'escalation_province'
        THEN 'done' ELSE 'pending' END,
    CASE WHEN p.id % 4 = 1 AND p.id % :stride <> 0 AND s.step <> 'escalation_province'
        THEN p.due_at + s.offset_by END
FROM action_plan AS p
CROSS JOIN (VALUES {steps}) AS s (step, offset_by)
""".format(steps=", ".join(f"('{name}', interval '{offset}')" for name, offset in STEPS))


def seed(plans: int, due: int, at: datetime) -> float:
    """Fresh tables, then `plans` plans with their steps; the seconds it took."""
    started = time.perf_counter()
    db.session.remove()
    db.drop_all()
    db.create_all()
    drafter_id = seed_people()
    region_ids = [region.id for region in ensure_regions().values() if region.parent_id]
    indexes = _secondary_indexes()
    with db.engine.begin() as conn:
        # Built once after the rows are in, as a restore does: far faster than row by row.
        for index in indexes:
            index.drop(conn)
        # Every reference is right by construction: skip the per-row foreign-key triggers.
        conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
        conn.exec_driver_sql("SET LOCAL synchronous_commit = off")
        conn.exec_driver_sql("SET LOCAL maintenance_work_mem = '256MB'")
        params = {
            "regions": region_ids,
            "region_count": len(region_ids),
            "drafter": drafter_id,
            "stride": plans // due,
            "at": at,
            "plans": plans,
        }
        conn.execute(text(PLANS_SQL), params)
        conn.execute(text(ENTRIES_SQL), params)
        conn.execute(text(STEPS_SQL), params)
        for index in indexes:
            index.create(conn)
        for table in ("action_plan", "plan_transition"):
            conn.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}"
            )
    # What autovacuum would have done by the time a table is this big: fresh statistics and
    # a visibility map.
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in BIG_TABLES:
            conn.exec_driver_sql(f"VACUUM ANALYZE {table}")
    return time.perf_counter() - started


def check_seed(plans: int, due: int, at: datetime) -> None:
    counts = db.session.execute(
        text(
            "SELECT (SELECT count(*) FROM action_plan),"
            " (SELECT count(*) FROM scheduled_step),"
            " (SELECT count(*) FROM scheduled_step WHERE status = 'pending' AND fire_at <= :at)"
        ),
        {"at": at},
    ).one()
    if tuple(counts) != (plans, 4 * plans, due):
        raise RuntimeError(f"seed is off: plans, steps, due = {tuple(counts)}")


# --- the sweep --------------------------------------------------------------------------


def due_query_plan(at: datetime) -> str:
    """The first line of the index access in EXPLAIN of the sweep's due-steps query."""
    captured: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, parameters, context, executemany) -> None:
        if "FROM scheduled_step" in statement and "fire_at <=" in statement and not captured:
            captured.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        run_sweep(at, dry_run=True)
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    statement, parameters = captured[0]
    lines = db.session.connection().exec_driver_sql("EXPLAIN " + statement, parameters).scalars()
    db.session.rollback()
    scans = [line.strip() for line in lines if "Scan" in line]
    return scans[0] if scans else "?"


def reset_fired(step_ids: list[int]) -> None:
    db.session.execute(
        update(ScheduledStep)
        .where(ScheduledStep.id.in_(step_ids))
        .values(status="pending", done_at=None)
    )
    db.session.execute(delete(Notification).where(Notification.step_id.in_(step_ids)))
    db.session.commit()


def time_sweep(at: datetime, due: int) -> float:
    """One sweep, timed; then the steps it fired are pending again and their emails gone,
    ready for the next round."""
    db.session.remove()
    started = time.perf_counter()
    fired = run_sweep(at)
    seconds = time.perf_counter() - started
    written = db.session.scalar(
        select(func.count(Notification.id)).where(Notification.step_id.is_not(None))
    )
    if len(fired) != due or written != due:
        raise RuntimeError(f"the sweep fired {len(fired)} steps and wrote {written} emails")
    reset_fired([step.step_id for step in fired])
    return seconds


# --- emails -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def smtp_server() -> Iterator[int]:
    """aiosmtpd in its own process, discarding every message (aiosmtpd.handlers.Sink)."""
    port = free_port()
    command = [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}"]
    server = subprocess.Popen(
        [*command, "-c", "aiosmtpd.handlers.Sink"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                smtplib.SMTP("127.0.0.1", port, timeout=2).quit()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("the aiosmtpd server did not start") from None
                time.sleep(0.1)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=10)


def prepared_messages(ids: list[int]) -> list[tuple[str, bytes]]:
    """The emails of outbox rows `ids`, built as delivery builds them, before any timing."""
    messages = []
    for row in db.session.scalars(select(Notification).where(Notification.id.in_(ids))):
        email = render_notification(row)
        message = build_message(
            outbox_id=row.id,
            to=row.to_address,
            subject=email.subject,
            text=email.text,
            html=email.html,
            language=row.language,
        )
        messages.append((row.to_address, message.as_bytes()))
    db.session.rollback()
    return messages


def smtplib_loop(port: int, messages: list[tuple[str, bytes]], *, reconnect: bool) -> float:
    started = time.perf_counter()
    if reconnect:
        for to, body in messages:
            with smtplib.SMTP("127.0.0.1", port) as smtp:
                smtp.sendmail(SENDER, [to], body)
    else:
        with smtplib.SMTP("127.0.0.1", port) as smtp:
            for to, body in messages:
                smtp.sendmail(SENDER, [to], body)
    return time.perf_counter() - started


def reset_outbox(ids: list[int]) -> None:
    db.session.execute(
        update(Notification)
        .where(Notification.id.in_(ids))
        # Delivery leases its row by moving `next_attempt_at` ahead: a row delivered in an
        # earlier round is due again only once that is undone, or it answers `not_due`.
        .values(status="pending", attempts=0, sent_at=None, next_attempt_at=utcnow())
    )
    db.session.commit()
    db.session.remove()


def deliver_all(ids: list[int]) -> float:
    reset_outbox(ids)
    started = time.perf_counter()
    outcomes = [deliver(notification_id).status for notification_id in ids]
    seconds = time.perf_counter() - started
    if set(outcomes) != {"sent"}:
        raise RuntimeError(f"not every email was sent: {sorted(set(outcomes))}")
    return seconds


def chunks_of(ids: list[int]) -> list[list[int]]:
    """`ids` in the chunks a commit that wrote them queues (dispatch.queue_delivery)."""
    return [chunk for _, chunk in delivery_chunks(ids, None, chunk_size())]


def deliver_batches(ids: list[int]) -> float:
    """What one worker process does with the tasks queued for `ids`, in their order: each
    task delivers its chunk (delivery.deliver_rows)."""
    reset_outbox(ids)
    started = time.perf_counter()
    outcomes = [
        outcome.status
        for chunk in chunks_of(ids)
        for outcome in deliver_rows(chunk, first_run=True).values()
    ]
    seconds = time.perf_counter() - started
    unsent = db.session.scalar(
        select(func.count(Notification.id)).where(
            Notification.id.in_(ids), Notification.status != "sent"
        )
    )
    db.session.rollback()
    if unsent or set(outcomes) != {"sent"}:
        raise RuntimeError(f"{unsent} emails unsent: {sorted(set(outcomes))}")
    return seconds


def worker_url(url: str, schema: str) -> str:
    """The database URL a worker process reads from its environment, working in `schema`."""
    return (
        make_url(url)
        .update_query_dict({"options": f"-csearch_path={schema}"})
        .render_as_string(hide_password=False)
    )


@contextmanager
def celery_worker(database_url: str, redis_url: str, smtp_port: int) -> Iterator[Celery]:
    """A Celery worker as `workflow-app stack` runs it (production profile), with one pool
    process, on `redis_url`; a client of that broker, once the worker answers."""
    env = dict(
        os.environ,
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        CELERY_BROKER_URL=redis_url,
        SECRET_KEY="bench",
        WORKFLOW_APP_PROFILE="production",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=str(smtp_port),
        MAIL_DEFAULT_SENDER=SENDER,
    )
    command = [str(Path(sys.executable).parent / "celery"), "--app=workers", "worker"]
    options = ["--concurrency=1", "--loglevel=WARNING", "--without-gossip", "--without-mingle"]
    worker = subprocess.Popen(
        [*command, *options], cwd=_HERE.parent, env=env, stdout=subprocess.DEVNULL
    )
    client = Celery(broker=redis_url)
    try:
        deadline = time.monotonic() + 60
        while not client.control.ping(timeout=1):
            if time.monotonic() > deadline or worker.poll() is not None:
                raise RuntimeError("the Celery worker did not start")
        yield client
    finally:
        worker.terminate()
        worker.wait(timeout=60)
        client.close()


def deliver_through_worker(client: Celery, ids: list[int]) -> float:
    """One task per chunk queued as after a commit (dispatch.queue_delivery); the seconds
    until every row is marked sent."""
    reset_outbox(ids)
    wanted = select(func.count(Notification.id)).where(
        Notification.id.in_(ids), Notification.status == "sent"
    )
    started = time.perf_counter()
    for chunk in chunks_of(ids):
        client.send_task(DELIVER_ROWS_TASK, args=[chunk])
    deadline = started + 600
    while db.session.scalar(wanted) < len(ids):
        db.session.rollback()
        if time.perf_counter() > deadline:
            raise RuntimeError("the worker did not send every email within 10 minutes")
        time.sleep(0.02)
    seconds = time.perf_counter() - started
    db.session.rollback()
    drained(client)
    return seconds


def drained(client: Celery) -> None:
    """Wait until the worker has run the tasks still queued (those of rows already sent),
    so that none leases a row the next run sets pending again."""
    inspect = client.control.inspect(timeout=1)
    broker = redis.Redis.from_url(client.conf.broker_url)
    deadline = time.monotonic() + 120
    while True:
        queued = broker.llen(client.conf.task_default_queue)
        busy = [*(inspect.active() or {}).values(), *(inspect.reserved() or {}).values()]
        if not queued and not any(busy):
            broker.close()
            return
        if time.monotonic() > deadline:
            raise RuntimeError("the worker did not finish its queued tasks")
        time.sleep(0.1)


def time_emails(
    port: int, at: datetime, count: int, rounds: int, worker: Celery | None
) -> dict[str, float]:
    """The best time of each way of sending `count` emails over `rounds` rounds."""
    run_sweep(at)  # the outbox rows to deliver
    ids = list(db.session.scalars(select(Notification.id).order_by(Notification.id).limit(count)))
    if len(ids) < count:
        raise RuntimeError(f"only {len(ids)} outbox rows to deliver")
    messages = prepared_messages(ids)
    runs: dict[str, Callable[[], float]] = {
        "batches": lambda: deliver_batches(ids),
        "deliver": lambda: deliver_all(ids),
        "one connection": lambda: smtplib_loop(port, messages, reconnect=False),
        "reconnect": lambda: smtplib_loop(port, messages, reconnect=True),
    }
    if worker is not None:
        runs = {"worker": lambda: deliver_through_worker(worker, ids), **runs}
    best = dict.fromkeys(runs, float("inf"))
    for index in range(rounds):  # alternated, so other load weighs on all alike
        line = []
        for name, run in runs.items():
            seconds = run()
            best[name] = min(best[name], seconds)
            line.append(f"{name} {count / seconds:7.1f}/s")
        print(f"    round {index + 1}: " + ", ".join(line), flush=True)
    return best


# --- report -------------------------------------------------------------------------------


def machine_description(dsn: str) -> list[str]:
    with psycopg.connect(dsn) as conn:
        server = conn.execute("SHOW server_version").fetchone()[0]
        buffers = conn.execute("SHOW shared_buffers").fetchone()[0]
    return [*machine_lines(), f"postgresql: {server} (shared_buffers {buffers})"]


def schema_of(size: int) -> str:
    return f"sweep_{size}"


def bench_app(url: str, schema: str, smtp_port: int) -> Flask:
    """An app whose connections work in `schema` (created if missing)."""
    with psycopg.connect(libpq_dsn(url), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"options": f"-csearch_path={schema}"}},
            "SECRET_KEY": "bench",
            # Delivery is queued after each commit as in production, to an in-process broker:
            # nothing consumes it here, the emails are delivered by hand below.
            "CELERY_BROKER_URL": "memory://",
            "MAIL_BACKEND": "smtp",
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": smtp_port,
            "MAIL_DEFAULT_SENDER": SENDER,
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,1000000", help="plan counts, comma-separated")
    parser.add_argument("--due", type=int, default=1000, help="due steps in every size")
    parser.add_argument("--rounds", type=int, default=3, help="timed sweeps per size")
    parser.add_argument("--emails", type=int, default=1000, help="emails per delivery run")
    parser.add_argument("--email-rounds", type=int, default=2)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument(
        "--redis-url",
        default=None,
        help="the worker's broker: a Redis database of the bench's own (never 0), e.g."
        " redis://127.0.0.1:6379/13; without it the worker's line is skipped",
    )
    parser.add_argument("--keep", action="store_true", help="keep the tables at the end")
    parser.add_argument(
        "--smoke", action="store_true", help="tiny sizes, to check that the bench runs at all"
    )
    args = parser.parse_args()
    if args.smoke:
        args.sizes, args.due, args.rounds, args.emails, args.email_rounds = "100,200", 10, 1, 10, 2
    sizes = [int(size) for size in args.sizes.split(",")]
    if any(size % args.due or size < args.due for size in sizes):
        sys.exit("every size must be a multiple of --due")
    if args.emails > args.due:
        sys.exit("--emails cannot exceed --due (the sweep writes one email per due step)")

    url = ensure_database(args.database_url)
    os.environ["WORKFLOW_APP_INSTANCE_PATH"] = tempfile.mkdtemp(prefix="wf-bench-")
    print("\n".join(machine_description(libpq_dsn(url))))
    at = utcnow().replace(microsecond=0)
    times: dict[int, list[float]] = {size: [] for size in sizes}
    with smtp_server() as port:
        apps = {size: bench_app(url, schema_of(size), port) for size in sizes}
        try:
            for size, app in apps.items():
                with app.app_context():
                    seconds = seed(size, args.due, at)
                    check_seed(size, args.due, at)
                    print(
                        f"{size:,} plans: seeded {4 * size:,} steps ({args.due:,} due) in"
                        f" {seconds:.1f} s; due-steps query: {due_query_plan(at)}",
                        flush=True,
                    )
            for index in range(args.rounds):
                line = []
                for size, app in apps.items():
                    with app.app_context():
                        times[size].append(time_sweep(at, args.due))
                        db.session.remove()
                    line.append(f"{size:,} plans {times[size][-1]:6.3f} s")
                print(f"  sweep round {index + 1}: " + ", ".join(line), flush=True)
            with apps[max(sizes)].app_context(), ExitStack() as stack:
                print(f"emails: {args.emails} outbox rows, aiosmtpd on port {port}:", flush=True)
                worker = None
                problem = redis_problem(args.redis_url) if args.redis_url else "no --redis-url"
                if problem is None:
                    redis_url = stack.enter_context(own_redis_db(args.redis_url, "escalation"))
                    database = worker_url(url, schema_of(max(sizes)))
                    worker = stack.enter_context(celery_worker(database, redis_url, port))
                else:
                    print(f"  the worker is skipped: {problem}", flush=True)
                best = time_emails(port, at, args.emails, args.email_rounds, worker)
                db.session.remove()
        finally:
            for size, app in apps.items():
                with app.app_context():
                    db.session.remove()
                    if not args.keep:
                        db.drop_all()
                        with db.engine.begin() as conn:
                            conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema_of(size)}")
                    db.engine.dispose()

    medians = {size: statistics.median(found) for size, found in times.items()}
    print("results:")
    for size, seconds in medians.items():
        print(f"  sweep among {size:>9,} plans: {seconds:6.3f} s (median of {args.rounds})")
    small, large = min(medians), max(medians)
    print(f"  ratio {large:,} / {small:,} plans: {medians[large] / medians[small]:.2f}")
    rates = {name: args.emails / seconds for name, seconds in best.items()}
    one_s = best["one connection"]
    labels = {
        "worker": "Celery worker, Redis, chunks:",
        "batches": "the tasks' work in process:",
        "deliver": "deliver() one row at a time:",
        "one connection": "smtplib, one connection:",
        "reconnect": "smtplib, connection per email:",
    }
    for name, rate in rates.items():
        print(f"  {labels[name]:<32}{rate:7.1f} emails/s")
    real = "worker" if "worker" in best else "batches"
    for name in (real, "batches", "deliver"):
        print(f"  ratio {name} / smtplib (one connection): {one_s / best[name]:.3f}")
    emit(
        "escalation",
        {
            # The path production takes (the worker's, else its work in process).
            "email": one_s / best[real],
            "email_in_process_batches": one_s / best["batches"],
            "email_one_by_one": one_s / best["deliver"],
            # `sweep_1m_vs_10k` names the default sizes; the figures say which sizes were run.
            "sweep_1m_vs_10k": medians[large] / medians[small],
        },
        {
            "sizes": sizes,
            "due": args.due,
            "sweep_seconds": {str(size): round(medians[size], 4) for size in sizes},
            "emails": args.emails,
            "email_path": real,
            "worker_per_s": round(rates["worker"], 1) if "worker" in rates else None,
            "batches_per_s": round(rates["batches"], 1),
            "deliver_per_s": round(rates["deliver"], 1),
            "smtplib_one_connection_per_s": round(rates["one connection"], 1),
            "smtplib_connection_per_email_per_s": round(rates["reconnect"], 1),
        },
    )


if __name__ == "__main__":
    main()
