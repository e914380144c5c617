"""Transitions per second through `operations.transition`, against raw SQL doing the same work.

    .venv/bin/python bench/transitions.py [--clients 4] [--plans 200] [--rounds 4]
        [--mode processes|threads] [--redis-url redis://127.0.0.1:6379/14]
        [--database-url URL] [--profile FILE] [--cold] [--smoke]

Runs on PostgreSQL, in a database of its own (`wf_bench` by default, created if missing; its
tables are dropped at the end), with Redis as the Celery broker the operation publishes its
deliveries to, in a numbered database of its own (14 by default, never 0; flushed before and
after; the bench stops, saying so, when Redis does not answer). Each of C concurrent clients
(processes by default, like gunicorn workers: threads would measure the GIL) moves its own
plans district_review -> provincial_sync -> approved, three ways that take turns over the
rounds, so that other load on the machine weighs on all alike:

- the operation: one unit of work per transition as a request does it (load the actor through
  the login manager and the plan, check, change, history, steps, outbox, commit, then publish
  one delivery task per email to the Redis broker);
- the same work as raw SQL (psycopg, prepared statements): the statements the operation runs,
  one for one (same tables, same rows, same locks; counted with a before_cursor_execute
  listener on one probe plan and compared statement by statement before the run), the commit,
  and one LPUSH per email to the same Redis server. `same_work` = operation / this;
- the old baseline: the plan's update and its chained history row only (6 statements).

What is measured, by default, is the steady state of a long-lived worker (a gunicorn or Celery
worker runs thousands of transitions per process): each client, in its own process, builds its
app, opens its connections and moves 3 plans of its own through the same steps (`WARMUP_PLANS`
per round, seeded apart in the same state) before the start barrier, so that first uses
(statements compiled by SQLAlchemy or prepared by psycopg, connections, the broker's first
publish, definitions and templates) are paid off the clock, by every workload alike; the clock
runs from the start to the end of the last client's timed plans. `--cold` measures as before
the warm-up existed: no warm-up, each client's connections opened and closed on the clock, which
runs until the last client's process has ended. The output and the JSON say which (`"warm"`).
The probe plan's statements are counted after the probe's own warm-up when warm, so they are
the statements the clock measures.

It prints the machine and load, each round, the statements per transition, the rates and the
ratios, and ends with one line of JSON. Run on demand; never as a timed test.
"""

# ruff: noqa: E402 -- the import path is fixed below before anything else is imported.
from __future__ import annotations

import sys
from pathlib import Path

# This file is named like the `transitions` library the engine runs on, and Python puts the
# script's folder first on the import path: take it off, or `import transitions` finds us.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))  # the project root: `bench.report`

import argparse
import cProfile
import glob
import json
import multiprocessing
import os
import pstats
import re
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg
import redis
from flask import Flask
from psycopg import sql
from psycopg.types.json import Json
from sqlalchemy import event, select, text
from sqlalchemy.engine import make_url

from bench.report import emit, machine_lines, own_redis_db, redis_problem
from workflow_app import create_app
from workflow_app.accounts.login import load_user
from workflow_app.accounts.models import RoleAssignment, User
from workflow_app.audit.chain import row_hash as chained_hash
from workflow_app.config import normalise_database_url
from workflow_app.extensions import db
from workflow_app.plans import operations as ops
from workflow_app.plans.models import ActionPlan
from workflow_app.regions.catalogue import DISTRICTS
from workflow_app.regions.models import Agency, Region
from workflow_app.regions.operations import ensure_regions
from workflow_app.unit_of_work import unit_of_work

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/wf_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"
STEPS = (("reviewer", "forward"), ("provincial", "approve"))  # each plan takes both, in order
# The canonical form the raw clients hash their rows in (audit/chain.HASHED_COLUMNS[2]: the
# subject and chain columns), as the operation hashes new rows.
HASH_FORMAT = 2
WORKLOADS = ("operation", "same work", "old baseline")
# Plans each client moves before the clock, per workload and round (unless --cold): the same
# work on plans of its own, so that the clock measures the steady state of a long-lived worker.
WARMUP_PLANS = 3
# Exit status when Redis is absent: the honest limit needs the broker the operation uses.
SKIPPED = 77


# A client of one workload moving the plans given, every step in turn.
Run = Callable[[Sequence[int]], None]


@dataclass
class Plans:
    """A client's plans of one workload for one round."""

    warmup: list[int]  # moved before the clock
    timed: list[int]


@dataclass
class Client:
    """One concurrent client: its district's reviewer and the plans of each workload (timed,
    and its warm-up plans apart)."""

    reviewer_id: int
    provincial_id: int
    region_code: str
    plans: dict[str, list[int]] = field(default_factory=dict)
    warmup: dict[str, list[int]] = field(default_factory=dict)

    def round_plans(self, kind: str, index: int, rounds: int) -> Plans:
        def share(ids: list[int]) -> list[int]:
            size = len(ids) // rounds
            return ids[index * size : (index + 1) * size]

        return Plans(share(self.warmup[kind]), share(self.plans[kind]))


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


# --- seeding (through the operations, like any other change) ----------------------------


def _user(username: str, role: str, region: Region) -> User:
    account = User(
        username=username,
        full_name=username,
        email=f"{username}@bench.invalid",
        password_hash="!",  # cannot log in
    )
    account.roles.append(RoleAssignment(role=role, region=region))
    db.session.add(account)
    return account


def _plan_in_district_review(drafter: User, region: Region, agency_id: int, n: int) -> int:
    # One live plan per district and year: each bench plan of a district has a year of its own.
    year = 2025 + n
    plan = ops.create_plan(drafter, region, title=f"Bench {n}", period_start=year, period_end=year)
    ops.replace_indicators(
        drafter,
        plan,
        expected_version=None,
        indicators=[
            ops.IndicatorData(
                name="Akses sanitasi aman",
                unit="%",
                baseline_year=2024,
                baseline_value=Decimal(6),
                # A percentage: 0 to 100 whatever the year.
                targets={y: Decimal((y - 2020) % 100) for y in plan.years},
            )
        ],
    )
    ops.add_activity(
        drafter,
        plan,
        expected_version=None,
        data=ops.ActivityData(
            sub_sector="wastewater",
            activity_type="lltt",
            title="Layanan LLTT",
            location="Pelaihari",
            volume=Decimal(100),
            unit="tangki",
            agency_id=agency_id,
            start_year=year,
            end_year=year,
            funding=[ops.FundingData(year=year, source="apbd_district", amount=100_000_000)],
        ),
    )
    ops.transition(drafter, plan, "submit")
    return plan.id


def seed(counts: list[int], warmup: int) -> list[Client]:
    """A client per entry of `counts`, each with that many plans per workload and `warmup`
    more to warm up on, all in district review."""
    db.drop_all()
    db.create_all()
    regions = ensure_regions()
    provincial = _user("provincial.63", "provincial_reviewer", regions["63"])
    db.session.commit()
    seeded: list[Client] = []
    years: dict[str, int] = {}  # per district: the next free year
    for index, count in enumerate(counts):
        info = DISTRICTS[index % len(DISTRICTS)]
        region = regions[info.code]
        drafter = _user(f"drafter.{info.code}.{index}", "district_drafter", region)
        reviewer = _user(f"reviewer.{info.code}.{index}", "district_reviewer", region)
        db.session.flush()
        agency_id = db.session.scalars(
            select(Agency.id).where(Agency.region_id == region.id).limit(1)
        ).one()
        client = Client(reviewer.id, provincial.id, info.code)
        for workload in WORKLOADS:
            ids = []
            for _ in range(count + warmup):
                n = years.get(info.code, 0)
                years[info.code] = n + 1
                with unit_of_work():
                    ids.append(_plan_in_district_review(drafter, region, agency_id, n))
            client.plans[workload], client.warmup[workload] = ids[:count], ids[count:]
        seeded.append(client)
    return seeded


# --- the operation ----------------------------------------------------------------------


def operation_client(app: Flask, client: Client) -> Run:
    def run(plan_ids: Sequence[int]) -> None:
        with app.app_context():
            for role, trigger in STEPS:
                actor_id = client.reviewer_id if role == "reviewer" else client.provincial_id
                for plan_id in plan_ids:
                    # What a request does: the login manager loads the user, the view the plan.
                    with unit_of_work():
                        actor = load_user(str(actor_id))
                        assert actor is not None
                        plan = ops.load_visible_plan(actor, plan_id)
                        ops.transition(actor, plan, trigger, expected_version=plan.version)
                    # A request ends with the session removed (Flask-SQLAlchemy's teardown).
                    db.session.remove()

    return run


# --- the same work as raw SQL -------------------------------------------------------------
# One statement for each of the operation's (see `signature` and `check_same_work`), in its
# order, with the same joins and the same rows; the columns each reads are the ones the ORM
# reads.

USER_COLUMNS = (
    "user_account.id, user_account.username, user_account.full_name, user_account.email,"
    " user_account.password_hash, user_account.language, user_account.active,"
    " user_account.created_at, user_account.session_epoch, user_account.email_delivery"
)
REGION_COLUMNS = "{0}.id, {0}.code, {0}.name, {0}.kind, {0}.seat, {0}.parent_id"
ACTIVE_DELEGATION = (
    "{0}.ended_at IS NULL AND {0}.starts_on <= %(today)s AND {0}.ends_on >= %(today)s"
    " AND EXISTS (SELECT * FROM role_assignment WHERE role_assignment.user_id = {0}.delegator_id"
    " AND role_assignment.role = {0}.role AND role_assignment.region_id = {0}.region_id)"
)
# accounts/login.load_user: the user with roles, their regions and delegations in force, and
# the bell's unread count (a correlated COUNT).
UNREAD = (
    "(SELECT count(notification.id) FROM notification"
    " WHERE notification.recipient_id = user_account.id"
    " AND notification.subject_kind IS NOT NULL AND notification.read_at IS NULL)"
)
LOAD_USER = (
    f"SELECT {USER_COLUMNS}, {UNREAD}, {REGION_COLUMNS.format('r1')}, ra.id, ra.user_id, ra.role,"
    f" ra.region_id, {REGION_COLUMNS.format('r2')}, d.id, d.delegator_id, d.delegate_id,"
    " d.role, d.region_id, d.starts_on, d.ends_on, d.note, d.created_by_id, d.created_at,"
    " d.ended_at, d.ended_by_id"
    " FROM user_account LEFT OUTER JOIN role_assignment AS ra ON user_account.id = ra.user_id"
    " LEFT OUTER JOIN region AS r1 ON r1.id = ra.region_id"
    " LEFT OUTER JOIN delegation AS d ON user_account.id = d.delegate_id AND "
    + ACTIVE_DELEGATION.format("d")
    + " LEFT OUTER JOIN region AS r2 ON r2.id = d.region_id"
    " WHERE user_account.id = %(id)s ORDER BY d.id"
)
# plans.operations.load_visible_plan: the plan with its region and the region's parent.
LOAD_PLAN = (
    "SELECT p.state, p.version, p.workflow_version, p.title, p.period_start, p.period_end,"
    " r2.code, r2.name, p.id, p.region_id, p.created_by_id, p.due_at, p.workflow_name,"
    f" p.created_at, p.updated_at, p.state_entered_at, {REGION_COLUMNS.format('r1')},"
    f" {REGION_COLUMNS.format('r2')}"
    " FROM action_plan AS p LEFT OUTER JOIN region AS r2 ON r2.id = p.region_id"
    " LEFT OUTER JOIN region AS r1 ON r1.id = r2.parent_id WHERE p.id = %(id)s"
)
# audit/chain: the next history id and the chain's tail in one read, under the root's row lock
# that the plan's UPDATE holds (no lock statement of its own: firing.py, history.linked_insert).
NEXT_ID_AND_TAIL = (
    "SELECT nextval(pg_get_serial_sequence('plan_transition', 'id')), tail.id, tail.row_hash"
    " FROM (SELECT 1 AS one) AS here LEFT JOIN (SELECT id, row_hash FROM plan_transition"
    " WHERE chain_kind = 'plan' AND chain_id = %(id)s ORDER BY id DESC LIMIT 1) AS tail ON 1 = 1"
)
INSERT_HISTORY = (
    "INSERT INTO plan_transition (id, chain_kind, chain_id, workflow_version, from_state,"
    " to_state, trigger, actor_id, acting_for_id, role, comment, created_at, hash_format,"
    " prev_hash, row_hash, subject_kind, subject_id) VALUES (%(row)s, 'plan', %(plan)s,"
    " %(workflow_version)s, %(from_state)s, %(to_state)s, %(trigger)s, %(actor)s, NULL,"
    " %(role)s, NULL, %(at)s, %(hash_format)s, %(prev_hash)s, %(row_hash)s, 'plan', %(plan)s)"
)
# changes/recording.record_with: the change feed's event of the transition (when the app
# records one), returning whether any webhook is active; the statement whose CTEs write the
# history row, cancel the pending steps and insert the new state's (firing.py).
INSERT_CHANGE = (
    "events_0 AS (INSERT INTO change_event (txid, type, version, state, actor_id,"
    " acting_for_id, occurred_at, data, subject_kind, subject_id) VALUES"
    " (CAST(CAST(pg_current_xact_id() AS text) AS bigint), 'case.transitioned', %(version)s,"
    " %(state)s, %(actor)s, NULL, %(at)s, %(data)s, 'plan', %(id)s)"
    " RETURNING id, EXISTS (SELECT * FROM webhook WHERE webhook.active IS true) AS hooked)"
    " SELECT events_0.id, events_0.hooked FROM events_0"
)
# webhooks/outbox: a delivery per active webhook wanting the event's type (only when one is
# active).
INSERT_WEBHOOK_DELIVERIES = (
    "INSERT INTO webhook_delivery (webhook_id, event_id, status, attempts, next_attempt_at,"
    " created_at) SELECT webhook.id, change_event.id, 'pending', 0, %(at)s, %(at)s"
    " FROM webhook JOIN change_event ON (webhook.event_types LIKE"
    " '%%' || (',' || change_event.type || ',') || '%%')"
    " WHERE webhook.active IS true AND change_event.id = ANY(%(events)s)"
    " ORDER BY change_event.id, webhook.id RETURNING webhook_delivery.id"
)
UPDATE_PLAN = (
    "UPDATE action_plan SET due_at = %(due_at)s, state = %(state)s, version = %(version)s + 1,"
    " updated_at = %(at)s, state_entered_at = %(at)s WHERE id = %(id)s AND version = %(version)s"
)
CANCEL_STEPS = (
    "UPDATE scheduled_step SET status = 'cancelled' WHERE subject_kind = 'plan'"
    " AND subject_id = %(id)s AND status = 'pending'"
)
# history.linked_insert and deadlines.scheduling.steps_writes: the history row, the
# cancelling UPDATE and the INSERT of the new state's steps, each a CTE of the events'
# statement (one snapshot: the UPDATE does not see the new steps; the foreign keys are
# checked at the statement's end).
HISTORY_CTE = f"write_0 AS ({INSERT_HISTORY} RETURNING 1)"
CANCEL_CTE = f"write_1 AS ({CANCEL_STEPS} RETURNING 1)"
INSERT_STEPS_CTE = (
    "write_2 AS (INSERT INTO scheduled_step (entry_id, state, step, fire_at, status,"
    " subject_kind, subject_id) SELECT %(entry)s, %(state)s, step, fire_at, 'pending',"
    " 'plan', %(id)s FROM unnest(%(steps)s::text[], %(fire_at)s::timestamptz[])"
    " AS s (step, fire_at) RETURNING 1)"
)
WRITES = {
    deadline: "WITH "
    + ", ".join([HISTORY_CTE, CANCEL_CTE, *([INSERT_STEPS_CTE] if deadline else []), INSERT_CHANGE])
    for deadline in (True, False)
}
# firing._read_before_change, one UNION ALL before the change: the holders (or delegates)
# of the roles told, in the plan's district and province (notifications.recipients; their
# roles are not loaded), the calendar's overrides (only when the state entered has a
# deadline) and who fired the earlier transitions the definition names (actor_differs_from).
# Each part fills its own columns: kind, the holder's (the four the outbox writes from),
# role, code, day, is_holiday, actor_id.
HOLDER_COLUMNS = (
    "user_account.id, user_account.email, user_account.language, user_account.email_delivery"
)
NO_USER = ", ".join(["NULL"] * 4)
HOLDERS = (
    f"SELECT 'u', {HOLDER_COLUMNS}, holders.role, region.code, NULL::date, NULL::boolean,"
    " NULL::integer FROM user_account JOIN ("
    "SELECT role_assignment.user_id AS user_id, role_assignment.role AS role,"
    " role_assignment.region_id AS region_id FROM role_assignment"
    " WHERE role_assignment.role = ANY(%(roles)s) UNION ALL"
    " SELECT delegation.delegate_id, delegation.role, delegation.region_id FROM delegation"
    " WHERE delegation.role = ANY(%(roles)s) AND "
    + ACTIVE_DELEGATION.format("delegation")
    + ") AS holders ON holders.user_id = user_account.id"
    " JOIN region ON region.id = holders.region_id"
    " WHERE user_account.active IS true AND region.code = ANY(%(codes)s)"
)
OVERRIDES = f"SELECT 'c', {NO_USER}, NULL, NULL, day, is_holiday, NULL FROM calendar_override"
EARLIER_ACTORS = (
    f"SELECT 'a', {NO_USER}, NULL, NULL, NULL, NULL, actor_id FROM plan_transition"
    " WHERE subject_kind = 'plan' AND subject_id = %(id)s AND trigger = ANY(%(triggers)s)"
)
READS = {
    deadline: "SELECT * FROM ("
    + " UNION ALL ".join([HOLDERS, *([OVERRIDES] if deadline else []), EARLIER_ACTORS])
    + ") AS found ORDER BY 2"
    for deadline in (True, False)
}
INSERT_OUTBOX = (
    "INSERT INTO notification (event, subject_kind, subject_id, step_id, recipient_id,"
    " to_address, language, payload, status, attempts, last_error, next_attempt_at,"
    " created_at, sent_at, request_id, read_at, digest_id, dedupe_key)"
    " SELECT %(event)s, 'plan', %(id)s, NULL, recipient, address, 'id', %(payload)s,"
    " 'pending', 0, NULL, %(at)s, %(at)s, NULL, NULL, NULL, NULL, NULL"
    " FROM unnest(%(recipients)s::integer[], %(addresses)s::text[]) AS r (recipient, address)"
    " RETURNING id"
)

# What the definition says of the two triggers (workflows/action_plan.yaml), written out:
# the target, the role, the earlier triggers whose actors must differ, whether the target
# state has a deadline (and so a calendar read and scheduled steps), and who is told.
SAME_WORK = {
    "forward": {
        "to": "provincial_sync",
        "role": "district_reviewer",
        "earlier": ["submit"],
        "deadline": True,
        "told": ["provincial_reviewer"],
    },
    "approve": {
        "to": "approved",
        "role": "provincial_reviewer",
        "earlier": ["submit", "forward"],
        "deadline": False,
        "told": ["provincial_reviewer", "district_head", "district_drafter", "district_reviewer"],
    },
}
DEADLINE_STEPS = (("reminder", -4), ("due", 0), ("escalation", 7))  # days around the due day
DELIVER_TASK = "workflow_app.notifications.deliver"


def delivery_message(notification_id: int) -> bytes:
    """About what Celery publishes for one delivery task (protocol 2, JSON)."""
    task_id = str(uuid.uuid4())
    return json.dumps(
        {
            "body": json.dumps([[notification_id], {}, {}]),
            "content-encoding": "utf-8",
            "content-type": "application/json",
            "headers": {
                "lang": "py",
                "task": DELIVER_TASK,
                "id": task_id,
                "root_id": task_id,
                "parent_id": None,
                "group": None,
                "retries": 0,
                "eta": None,
                "expires": None,
                "argsrepr": f"[{notification_id}]",
                "kwargsrepr": "{}",
                "origin": f"gen{os.getpid()}@bench",
            },
            "properties": {
                "correlation_id": task_id,
                "delivery_mode": 2,
                "delivery_info": {"exchange": "", "routing_key": "celery"},
                "priority": 0,
                "body_encoding": "base64",
                "delivery_tag": str(uuid.uuid4()),
            },
        }
    ).encode()


@contextmanager
def same_work_client(
    dsn: str,
    redis_url: str,
    client: Client,
    record: dict[str, list[str]] | None = None,
) -> Iterator[Run]:
    """Raw SQL doing the operation's reads and writes, on one connection to PostgreSQL and
    one to Redis held while the block runs (as a worker holds its pool's); `record`
    collects each trigger's statements (for the comparison with the operation's)."""
    broker = redis.Redis.from_url(redis_url)
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:

        def run(plan_ids: Sequence[int]) -> None:
            for role, trigger in STEPS:
                actor_id = client.reviewer_id if role == "reviewer" else client.provincial_id
                for plan_id in plan_ids:
                    statements = record.setdefault(trigger, []) if record is not None else None
                    ids = transition_raw(cur, statements, actor_id, plan_id, trigger, client)
                    conn.commit()
                    # After the commit, as unit_of_work does: one delivery task per email.
                    for notification_id in ids:
                        broker.lpush("wf-bench:deliveries", delivery_message(notification_id))

        yield run
    broker.close()


def transition_raw(
    cur: psycopg.Cursor,
    statements: list[str] | None,
    actor_id: int,
    plan_id: int,
    trigger: str,
    client: Client,
) -> list[int]:
    """One transition's statements; the ids of the outbox rows written."""
    spec = SAME_WORK[trigger]

    def run(query: str, params: dict[str, Any]) -> psycopg.Cursor:
        if statements is not None:
            statements.append(query)
        return cur.execute(query, params, prepare=True)

    now = datetime.now(UTC)
    today = now.date()
    actor = run(LOAD_USER, {"id": actor_id, "today": today}).fetchall()
    actor_name = actor[0][1]
    state, version, workflow_version, title, start, end, code, region_name, *_ = run(
        LOAD_PLAN, {"id": plan_id}
    ).fetchone()
    found = run(
        READS[spec["deadline"]],
        {
            "id": plan_id,
            "triggers": spec["earlier"],
            "roles": spec["told"],
            "codes": [code, "63"],
            "today": today,
        },
    ).fetchall()
    if actor_id in {row[-1] for row in found if row[0] == "a"}:
        raise RuntimeError(f"plan {plan_id}: the same person may not {trigger} it")
    due_at = None
    if spec["deadline"]:
        # (the working-day calendar's overrides are the rows of kind 'c')
        due_at = datetime(today.year, today.month, today.day, tzinfo=UTC) + timedelta(days=16)
    # The plan's UPDATE first (its version checked; it holds the chain root's lock), then the
    # chain's tail.
    updated = run(
        UPDATE_PLAN,
        {"due_at": due_at, "state": spec["to"], "version": version, "at": now, "id": plan_id},
    )
    if updated.rowcount != 1:
        raise RuntimeError(f"plan {plan_id} changed under the raw client")
    row_id, _, prev_hash = run(NEXT_ID_AND_TAIL, {"id": plan_id}).fetchone()
    history = {
        "id": row_id,
        "hash_format": HASH_FORMAT,
        "subject_kind": "plan",
        "subject_id": plan_id,
        "chain_kind": "plan",
        "chain_id": plan_id,
        "workflow_version": workflow_version,
        "from_state": state,
        "to_state": spec["to"],
        "trigger": trigger,
        "actor_id": actor_id,
        "acting_for_id": None,
        "role": spec["role"],
        "comment": None,
        "created_at": now,
    }
    writes = {
        "plan": plan_id,
        "workflow_version": workflow_version,
        "from_state": state,
        "to_state": spec["to"],
        "trigger": trigger,
        "actor": actor_id,
        "role": spec["role"],
        "at": now,
        "hash_format": HASH_FORMAT,
        "prev_hash": prev_hash,
        "row_hash": chained_hash(prev_hash, history),
        "entry": row_id,
        "state": spec["to"],
        "id": plan_id,
        "steps": [name for name, _ in DEADLINE_STEPS],
        "fire_at": [due_at + timedelta(days=days) for _, days in DEADLINE_STEPS] if due_at else [],
        "version": version + 1,
        "data": Json({"trigger": trigger, "from": state, "to": spec["to"], "comment": None}),
    }
    if "change_event" not in db.metadata.tables:
        raise RuntimeError("the raw client mirrors an app that records the change feed")
    # The history row's id is bound as `row` (`id` is the plan's in the other CTEs).
    event_id, hooked = run(WRITES[due_at is not None], {**writes, "row": row_id}).fetchone()
    if hooked:
        run(INSERT_WEBHOOK_DELIVERIES, {"at": now, "events": [event_id]}).fetchall()
    recipients = {row[1]: row[2] for row in found if row[0] == "u" and row[1] != actor_id}
    payload = {
        "plan_id": plan_id,
        "plan_title": title,
        "period": f"{start}–{end}",
        "region_code": code,
        "region_name": region_name,
        "workflow": "action_plan",
        "workflow_version": workflow_version,
        "state": spec["to"],
        "due_at": due_at.isoformat() if due_at else None,
        "item_path": f"/plans/{plan_id}",
        "trigger": trigger,
        "from_state": state,
        "to_state": spec["to"],
        "actor_name": actor_name,
        "comment": None,
        "at": now.isoformat(),
    }
    written = run(
        INSERT_OUTBOX,
        {
            "event": trigger,
            "id": plan_id,
            "payload": Json(payload),
            "at": now,
            "recipients": list(recipients),
            "addresses": list(recipients.values()),
        },
    )
    return [row[0] for row in written.fetchall()]


# --- the old baseline: the plan's update and its history row only ----------------------

RAW_DESTINATIONS = {"forward": "provincial_sync", "approve": "approved"}
RAW_ROLES = {"reviewer": "district_reviewer", "provincial": "provincial_reviewer"}


@contextmanager
def old_baseline_client(dsn: str, client: Client) -> Iterator[Run]:
    """The old baseline's statements, on one connection held while the block runs."""
    with psycopg.connect(dsn) as conn:

        def run(plan_ids: Sequence[int]) -> None:
            for role, trigger in STEPS:
                actor_id = client.reviewer_id if role == "reviewer" else client.provincial_id
                for plan_id in plan_ids:
                    with conn.cursor() as cur:
                        cur.execute(
                            "SELECT state, version, workflow_version FROM action_plan"
                            " WHERE id = %s",
                            (plan_id,),
                        )
                        state, version, workflow_version = cur.fetchone()
                        cur.execute(
                            "UPDATE action_plan SET state = %s, version = version + 1,"
                            " state_entered_at = now(), updated_at = now()"
                            " WHERE id = %s AND version = %s",
                            (RAW_DESTINATIONS[trigger], plan_id, version),
                        )
                        if cur.rowcount != 1:
                            raise RuntimeError(f"plan {plan_id} changed under the raw client")
                        # The history row is hash-chained as the operation chains it
                        # (audit/chain.link_row): lock the chain root's row (the plan's), take
                        # the next id, read the chain's tail by chain_kind/chain_id, and hash
                        # the row in format 2 (subject and chain columns) linked to the tail.
                        cur.execute(
                            "SELECT id FROM action_plan WHERE id = %s FOR UPDATE", (plan_id,)
                        )
                        cur.execute(
                            "SELECT nextval(pg_get_serial_sequence('plan_transition', 'id'))"
                        )
                        (row_id,) = cur.fetchone()
                        cur.execute(
                            "SELECT id, row_hash FROM plan_transition"
                            " WHERE chain_kind = %s AND chain_id = %s ORDER BY id DESC LIMIT 1",
                            ("plan", plan_id),
                        )
                        previous = cur.fetchone()
                        prev_hash = previous[1] if previous else None
                        row = {
                            "id": row_id,
                            "hash_format": HASH_FORMAT,
                            "subject_kind": "plan",
                            "subject_id": plan_id,
                            "chain_kind": "plan",
                            "chain_id": plan_id,
                            "workflow_version": workflow_version,
                            "from_state": state,
                            "to_state": RAW_DESTINATIONS[trigger],
                            "trigger": trigger,
                            "actor_id": actor_id,
                            "acting_for_id": None,
                            "role": RAW_ROLES[role],
                            "comment": None,
                            "created_at": datetime.now(UTC),
                        }
                        cur.execute(
                            "INSERT INTO plan_transition (id, subject_kind, subject_id,"
                            " chain_kind, chain_id, workflow_version, from_state, to_state,"
                            " trigger, actor_id, role, created_at, hash_format, prev_hash,"
                            " row_hash)"
                            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                            (
                                row_id,
                                row["subject_kind"],
                                plan_id,
                                row["chain_kind"],
                                plan_id,
                                workflow_version,
                                state,
                                RAW_DESTINATIONS[trigger],
                                trigger,
                                actor_id,
                                RAW_ROLES[role],
                                row["created_at"],
                                HASH_FORMAT,
                                prev_hash,
                                chained_hash(prev_hash, row),
                            ),
                        )
                    conn.commit()

        yield run


def bench_app(url: str, pool_size: int, broker_url: str) -> Flask:
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": pool_size, "max_overflow": 2},
            # Deliveries are published after each commit to Redis, as in production; nothing
            # consumes them here.
            "CELERY_BROKER_URL": broker_url,
        }
    )


@dataclass
class Setup:
    mode: str  # "processes": one process per client (the default); "threads": one process
    app: Flask
    url: str
    dsn: str
    redis_url: str
    profiles: list[cProfile.Profile] | None = None  # one per operation client, when profiling
    # Processes mode: where each operation client writes its profile (its process's own).
    profile_dir: str | None = None
    # Each client runs its warm-up plans before the clock (steady state); False: --cold.
    warm: bool = True


def client_for(setup: Setup, kind: str, client: Client) -> AbstractContextManager[Run]:
    """One workload's client: entering it opens what it holds (its connections)."""
    if kind == "same work":
        return same_work_client(setup.dsn, setup.redis_url, client)
    if kind == "old baseline":
        return old_baseline_client(setup.dsn, client)
    # A process builds its own app (its engine, pool and broker connection), as a worker does.
    app = setup.app if setup.mode == "threads" else bench_app(setup.url, 1, setup.redis_url)
    return nullcontext(operation_client(app, client))


def profiled(setup: Setup, kind: str, run: Run) -> Run:
    """`run`, under a profile of its own when the operation is profiled."""
    if setup.profiles is None or kind != "operation":
        return run
    # A process client's profile counts its CPU time (what the bench compares), not the wall
    # time it spent waiting for PostgreSQL.
    profile = (
        cProfile.Profile(time.process_time) if setup.mode == "processes" else cProfile.Profile()
    )
    setup.profiles.append(profile)
    return lambda plan_ids: profile.runcall(run, plan_ids)


# The clients' own CPU seconds per workload (not the server's): unlike the wall time, about
# the same whatever else loads the machine, so the figure to compare across runs when it is
# busy.
CPU_SECONDS: dict[str, float] = dict.fromkeys(WORKLOADS, 0.0)


def run_client(
    setup: Setup,
    kind: str,
    client: Client,
    plans: Plans,
    ready: Callable[[], None],
    clock: Callable[[], float],
) -> tuple[float, float]:
    """One client's share of a round: built, warmed up (unless --cold), then `ready()` (the
    start barrier) and its timed plans. Returns its CPU seconds by `clock` and when its
    timed work ended (time.perf_counter: one clock for every process of the machine)."""
    opened = client_for(setup, kind, client)  # the app built before the clock starts
    if not setup.warm:
        # As measured before the warm-up existed: connections opened and closed on the clock.
        ready()
        began = clock()
        with opened as run:
            profiled(setup, kind, run)(plans.timed)
        return clock() - began, time.perf_counter()
    with opened as run:
        # The same work on plans of its own, so that first uses (statements compiled and
        # prepared, connections, the broker's queue, definitions) are paid before the clock.
        run(plans.warmup)
        ready()
        began = clock()
        profiled(setup, kind, run)(plans.timed)
        return clock() - began, time.perf_counter()


def _child(setup: Setup, kind: str, client: Client, plans: Plans, start: Any, spent: Any) -> None:
    spent.put(run_client(setup, kind, client, plans, start.wait, time.process_time))
    if setup.profiles and setup.profile_dir:  # this process's copy holds its own profile
        setup.profiles[-1].dump_stats(os.path.join(setup.profile_dir, f"{os.getpid()}.prof"))


def timed(setup: Setup, kind: str, clients: list[Client], index: int, rounds: int) -> float:
    """Run one workload's round `index` (of `rounds`) with every client at once; the wall
    time from the start until the last is done (the clients' CPU time added to CPU_SECONDS).
    Warm, "done" is the end of its timed plans; cold, as before, the client's end (its
    process's exit)."""
    ended: list[float] = []
    if setup.mode == "processes":
        context = multiprocessing.get_context("fork")
        start = context.Barrier(len(clients) + 1)
        spent = context.SimpleQueue()
        db.engine.dispose()  # no pooled connection may be shared with the children
        procs = [
            context.Process(
                target=_child,
                args=(setup, kind, c, c.round_plans(kind, index, rounds), start, spent),
            )
            for c in clients
        ]
        for proc in procs:
            proc.start()
        start.wait()
        began = time.perf_counter()
        for proc in procs:
            proc.join()
        joined = time.perf_counter()
        if any(proc.exitcode != 0 for proc in procs):
            raise RuntimeError(f"a {kind} client failed")
        for cpu, end in (spent.get() for _ in procs):
            CPU_SECONDS[kind] += cpu
            ended.append(end)
        return (max(ended) if setup.warm else joined) - began

    barrier = threading.Barrier(len(clients) + 1)
    errors: list[BaseException] = []

    def wrap(client: Client) -> None:
        try:
            cpu, end = run_client(
                setup,
                kind,
                client,
                client.round_plans(kind, index, rounds),
                barrier.wait,
                time.thread_time,
            )
        except BaseException as exc:
            errors.append(exc)
            barrier.abort()  # the others, and the main thread, stop waiting
            return
        CPU_SECONDS[kind] += cpu
        ended.append(end)

    threads = [threading.Thread(target=wrap, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    with suppress(threading.BrokenBarrierError):  # a client failed before the start
        barrier.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    joined = time.perf_counter()
    if errors:
        raise errors[0]
    return (max(ended) if setup.warm else joined) - began


# --- the same statements? -----------------------------------------------------------------


def signature(statement: str) -> str:
    """What a statement does, whatever its spelling: its verb, the tables it names, and
    whether it locks rows (`SELECT … FOR UPDATE`)."""
    text = " ".join(statement.split())
    verb = text.split(" ", 1)[0].upper()
    if "nextval(" in text:
        return f"{verb} nextval"
    # Tables only, not a set-returning function such as unnest(…).
    named = re.findall(r"\b(?:FROM|JOIN|INTO|UPDATE)\s+([a-z_]\w*)(?![\w(])", text, re.I)
    tables = sorted(set(named))
    lock = " FOR UPDATE" if re.search(r"\bFOR UPDATE\b", text, re.I) else ""
    return f"{verb} {','.join(tables)}{lock}"


def operation_statements(app: Flask, client: Client, warm: bool) -> dict[str, list[str]]:
    """The statements the operation runs for each trigger on the probe client's plan (after
    its warm-up plans, when the clients warm up: what the clock then measures)."""
    found: dict[str, list[str]] = {}
    current: list[str] = []

    def capture(conn, cursor, statement, parameters, context, executemany) -> None:
        current.append(statement)

    if warm:
        operation_client(app, client)(client.warmup["operation"])
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", capture)
        try:
            for role, trigger in STEPS:
                current = found.setdefault(trigger, [])
                actor_id = client.reviewer_id if role == "reviewer" else client.provincial_id
                with unit_of_work():
                    actor = load_user(str(actor_id))
                    assert actor is not None
                    plan = ops.load_visible_plan(actor, client.plans["operation"][0])
                    ops.transition(actor, plan, trigger, expected_version=plan.version)
                db.session.remove()
        finally:
            event.remove(db.engine, "before_cursor_execute", capture)
    return found


def check_same_work(setup: Setup, probe: Client) -> tuple[dict[str, int], dict[str, int], bool]:
    """Statements per trigger of the operation and of the raw client, and whether they do the
    same (verb, tables, locks; order aside). Prints the difference when they do not."""
    operation = operation_statements(setup.app, probe, setup.warm)
    raw: dict[str, list[str]] = {}
    with same_work_client(setup.dsn, setup.redis_url, probe, raw) as run:
        if setup.warm:
            run(probe.warmup["same work"])
            raw.clear()  # the warm-up's statements: only the probe plan's are compared
        run(probe.plans["same work"][:1])
    same = True
    for _, trigger in STEPS:
        ours = sorted(signature(s) for s in operation[trigger])
        theirs = sorted(signature(s) for s in raw[trigger])
        print(
            f"  {trigger}: the operation runs {len(ours)} statements, the raw client"
            f" {len(theirs)}" + ("" if ours == theirs else "  (NOT THE SAME WORK)"),
            flush=True,
        )
        if ours != theirs:
            same = False
            for line in sorted(set(ours) | set(theirs)):
                if ours.count(line) != theirs.count(line):
                    print(f"    {line}: operation {ours.count(line)}, raw {theirs.count(line)}")
    counts = {trigger: len(found) for trigger, found in operation.items()}
    return counts, {trigger: len(found) for trigger, found in raw.items()}, same


# --- report -------------------------------------------------------------------------


def machine_description(dsn: str, redis_url: str) -> list[str]:
    with psycopg.connect(dsn) as conn:
        server = conn.execute("SHOW server_version").fetchone()[0]
    broker = redis.Redis.from_url(redis_url).info("server")["redis_version"]
    return [*machine_lines(), f"postgresql: {server}", f"redis: {broker} ({redis_url})"]


def check_results(clients: list[Client]) -> None:
    """Every plan approved, and the raw client wrote as many rows as the operation."""
    ids = [i for c in clients for found in (*c.plans.values(), *c.warmup.values()) for i in found]
    states = set(db.session.scalars(select(ActionPlan.state).where(ActionPlan.id.in_(ids))))
    if states != {"approved"}:
        raise RuntimeError(f"some plans did not end approved: {states}")
    tables = ["plan_transition", "scheduled_step", "notification"]
    if "change_event" in db.metadata.tables:
        tables.append("change_event")
    for table in tables:
        written = {
            kind: db.session.execute(
                text(f"SELECT count(*) FROM {table} WHERE subject_id = ANY(:ids)"),
                {"ids": [i for c in clients for i in (*c.plans[kind], *c.warmup[kind])]},
            ).scalar_one()
            for kind in ("operation", "same work")
        }
        if written["operation"] != written["same work"]:
            raise RuntimeError(f"{table}: rows written {written}")


def measured(warm: bool) -> str:
    if warm:
        return (
            f"measured: warm (steady state): each client moves {WARMUP_PLANS} plans of its own"
            " through the same steps before the clock, every round"
        )
    return "measured: cold (--cold): each client's first transitions are on the clock"


def run_rounds(setup: Setup, clients: list[Client], rounds: int) -> dict[str, float]:
    """Alternate the workloads `rounds` times; the seconds each took in total."""
    per_round = len(clients[0].plans["operation"]) // rounds
    seconds = dict.fromkeys(WORKLOADS, 0.0)
    count = len(clients) * per_round * len(STEPS)
    for index in range(rounds):
        took = {kind: timed(setup, kind, clients, index, rounds) for kind in WORKLOADS}
        print(
            f"  round {index + 1}: "
            + ", ".join(f"{kind} {count / took[kind]:7.1f}/s" for kind in WORKLOADS)
            + f"; same_work {took['same work'] / took['operation']:.2f}",
            flush=True,
        )
        for kind in WORKLOADS:
            seconds[kind] += took[kind]
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients")
    parser.add_argument("--plans", type=int, default=200, help="plans per client and workload")
    parser.add_argument("--rounds", type=int, default=4, help="alternations of the workloads")
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument(
        "--redis-url",
        default=DEFAULT_REDIS_URL,
        help="the broker, in a numbered database of the bench's own (never 0)",
    )
    parser.add_argument(
        "--mode",
        choices=("processes", "threads"),
        default="processes",
        help="one process per client (like gunicorn workers), or threads sharing one GIL",
    )
    parser.add_argument(
        "--profile",
        metavar="FILE",
        help="write a cProfile of the operation runs (processes: each client's CPU time)",
    )
    parser.add_argument(
        "--cold",
        action="store_true",
        help="no warm-up: the clock starts with each client's first transition",
    )
    parser.add_argument(
        "--smoke", action="store_true", help="tiny sizes, to check that the bench runs at all"
    )
    args = parser.parse_args()
    if args.smoke:
        args.clients, args.plans, args.rounds = 2, 1, 1
    plans = args.plans - args.plans % args.rounds
    if plans <= 0:
        sys.exit("--plans must be at least --rounds")
    problem = redis_problem(args.redis_url)
    if problem:
        print(f"skipped: {problem}; the same-work limit needs the Redis broker (--redis-url)")
        sys.exit(SKIPPED)

    url = ensure_database(args.database_url)
    os.environ["WORKFLOW_APP_INSTANCE_PATH"] = tempfile.mkdtemp(prefix="wf-bench-")
    with own_redis_db(args.redis_url, "transitions") as redis_url:
        app = bench_app(url, args.clients, redis_url)
        setup = Setup(args.mode, app, url, libpq_dsn(url), redis_url, [] if args.profile else None)
        setup.warm = not args.cold
        warmup = WARMUP_PLANS * args.rounds if setup.warm else 0
        if args.profile and args.mode == "processes":
            setup.profile_dir = tempfile.mkdtemp(prefix="wf-bench-profiles-")
        print("\n".join(machine_description(setup.dsn, redis_url)))
        with app.app_context():
            print(
                f"seeding {args.clients} clients x 3 x {plans} plans"
                f" (+ {warmup} to warm up on) ...",
                flush=True,
            )
            *clients, probe = seed([plans] * args.clients + [1], warmup)
            db.session.remove()
            try:
                print("statements per transition (one probe plan, before the run):")
                op_counts, raw_counts, same = check_same_work(setup, probe)
                print(
                    f"clients: {args.clients} {args.mode}, transitions per workload:"
                    f" {args.clients * plans * len(STEPS)}",
                    flush=True,
                )
                print(measured(setup.warm), flush=True)
                seconds = run_rounds(setup, clients, args.rounds)
                check_results(clients)
            finally:
                db.session.remove()
                db.drop_all()
                db.engine.dispose()

    transitions = args.clients * plans * len(STEPS)
    rates = {kind: transitions / seconds[kind] for kind in WORKLOADS}
    cpu_ms = {kind: 1000 * CPU_SECONDS[kind] / transitions for kind in WORKLOADS}
    for kind in WORKLOADS:
        print(
            f"{kind + ':':<14}{rates[kind]:8.1f} transitions/s ({seconds[kind]:.2f} s),"
            f" client CPU {cpu_ms[kind]:.2f} ms per transition"
        )
    same_work = rates["operation"] / rates["same work"]
    old_baseline = rates["operation"] / rates["old baseline"]
    print(
        f"ratio operation / raw SQL doing the same work: {same_work:.2f}"
        + ("" if same else "  (the raw client does NOT do the same statements: see above)")
    )
    print(f"ratio operation / old baseline (6 statements): {old_baseline:.2f}")
    if setup.profile_dir:
        files = sorted(glob.glob(os.path.join(setup.profile_dir, "*.prof")))
        pstats.Stats(*files).dump_stats(args.profile)
        shutil.rmtree(setup.profile_dir)
        print(f"profile of the operation runs: {args.profile} (python -m pstats {args.profile})")
    elif setup.profiles:
        pstats.Stats(*setup.profiles).dump_stats(args.profile)
        print(f"profile of the operation runs: {args.profile} (python -m pstats {args.profile})")
    emit(
        "transitions",
        {"same_work": same_work, "old_baseline": old_baseline},
        {
            "clients": args.clients,
            "mode": args.mode,
            "warm": setup.warm,
            "transitions": transitions,
            "operation_per_s": round(rates["operation"], 1),
            "same_work_per_s": round(rates["same work"], 1),
            "old_baseline_per_s": round(rates["old baseline"], 1),
            "operation_client_cpu_ms": round(cpu_ms["operation"], 2),
            "same_work_client_cpu_ms": round(cpu_ms["same work"], 2),
            "statements_per_transition": op_counts,
            "raw_statements_per_transition": raw_counts,
            "same_statements": same,
        },
    )


if __name__ == "__main__":
    main()
