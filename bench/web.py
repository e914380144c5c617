"""Requests per second and p99 latency of /dashboard and /tasks under gunicorn, against a
minimal Flask route under the same server, in the same run.

    .venv/bin/python bench/web.py [--duration 10] [--rounds 2] [--threads 2] [--connections 8]
        [--workers CORES] [--worker-class sync|gthread] [--gthreads 4] [--no-preload]
        [--plans 200]
        [--drafter drafter.6301] [--profile] [--redis-url redis://127.0.0.1:6379/15]
        [--database-url postgresql://postgres@127.0.0.1:5432/wf_web_bench] [--keep] [--smoke]

Runs on PostgreSQL, in a database of its own (`wf_web_bench` by default, created if missing;
the suite's `test` is refused; its tables are dropped at the end unless --keep).

1. Seeds, with set-based SQL (INSERT … SELECT over generate_series/unnest, not one operation
   per plan): the regions, the standard accounts (drafter, reviewer and head of every
   district, provincial.63, head.63, mitra.demo, admin, the system account), 13 districts ×
   `--plans` plans spread over the states (45% monitored) with their challenges, indicators
   and yearly targets, 2–3 funded activities and their history rows; for the monitored and
   closed plans, reports of the last five quarters that have ended, with report lines,
   indicator values and history, the latest ones partly due, submitted or returned, many
   overdue; then ANALYZE.
2. Serves bench/web_app.py (the app factory plus /bench-ping) with gunicorn on a free
   loopback port, in the production profile, with an in-memory Celery broker; its rate limits
   and cache in a Redis database of the bench's own (--redis-url: never 0, flushed before and
   after, refused when another program's keys are in it).
3. Logs in through the real form (GET /login for the CSRF token, POST /login) as
   provincial.63 and as a district drafter, checks that every target answers 200 (not a
   redirect to the login page), then runs `wrk --latency` against /bench-ping, /dashboard,
   /tasks (provincial) and /tasks (drafter), the four taking turns over `--rounds`, so that
   other load on the machine weighs on all alike.
4. Prints the machine and load, the data sizes, each run, and per page its rate as a share
   of the minimal route's, its p50 and p99 latency and the workers' CPU time per request
   (from /proc, whatever the waiting), then the RSS, PSS and USS of the master and each
   worker; ends with one line of JSON (ratios `dashboard`, `tasks_provincial`,
   `tasks_drafter`; per page also `cpu_ms` and `queue_ms`, connections / rate: the mean
   wait that queueing alone explains; `memory_mib`). Exits non-zero when any response was
   not 200.

gunicorn runs with --preload as in production (workflow_app/stack/topology.py): the app is
loaded once and the workers are forked from it; --no-preload makes each worker load it.

--profile: afterwards, in this process, each page's SQL query count and a cProfile of a few
requests (top functions by own time), to see what dominates a slow page.
Run on demand; never as a timed test.
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
import cProfile
import html
import http.client
import io
import json
import math
import os
import pstats
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from urllib.parse import urlencode

import psycopg
from psycopg import sql
from sqlalchemy import event
from sqlalchemy.engine import make_url

from bench.report import (
    children,
    cpu_seconds,
    emit,
    machine_lines,
    memory_mib,
    own_redis_db,
    redis_problem,
)
from workflow_app import create_app
from workflow_app.accounts.models import RoleAssignment, User, password_hasher
from workflow_app.accounts.system import SYSTEM_USERNAME, UNUSABLE_PASSWORD_HASH
from workflow_app.config import normalise_database_url
from workflow_app.engine.calendar import WITA
from workflow_app.extensions import db
from workflow_app.regions.catalogue import DISTRICTS
from workflow_app.regions.operations import ensure_regions

ROOT = _HERE.parent
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/wf_web_bench"
# The production profile keeps its rate limits and cache in Redis: a database of the bench's
# own (never 0, flushed before and after), not whatever db 0 of the server holds.
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"
SKIPPED = 77  # exit status when Redis is absent
# As in bench/web_app.py (not imported: it builds an app on import).
PING_PATH = "/bench-ping"
WORKER_PATH = "/bench-worker"
GC_PATH = "/bench-gc"
PROVINCIAL = "provincial.63"
PARTNER_DISTRICTS = ("6301", "6304", "6371")  # mitra.demo's regions, as in the demo

# How plans spread over the states: 20 slots, repeated. 45% monitored.
STATE_MIX = (
    ("draft", 2),
    ("district_review", 2),
    ("provincial_sync", 2),
    ("returned", 1),
    ("approved", 2),
    ("monitored", 9),
    ("closed", 1),
    ("withdrawn", 1),
)
SLOTS = [state for state, count in STATE_MIX for _ in range(count)]
# Days from entering the state to its deadline (about the SLA in working days), or None.
SLA_DAYS = {"district_review": 7, "provincial_sync": 14, "returned": 14}

# Each state's history from creation: (from, to, trigger, role).
_CREATE = (None, "draft", "create", "district_drafter")
_SUBMIT = ("draft", "district_review", "submit", "district_drafter")
_FORWARD = ("district_review", "provincial_sync", "forward", "district_reviewer")
_APPROVE = ("provincial_sync", "approved", "approve", "provincial_reviewer")
_MONITOR = ("approved", "monitored", "start_monitoring", "system")
PLAN_PATHS = {
    "draft": [_CREATE],
    "district_review": [_CREATE, _SUBMIT],
    "provincial_sync": [_CREATE, _SUBMIT, _FORWARD],
    "returned": [
        _CREATE,
        _SUBMIT,
        _FORWARD,
        ("provincial_sync", "returned", "return", "provincial_reviewer"),
    ],
    "approved": [_CREATE, _SUBMIT, _FORWARD, _APPROVE],
    "monitored": [_CREATE, _SUBMIT, _FORWARD, _APPROVE, _MONITOR],
    "closed": [
        _CREATE,
        _SUBMIT,
        _FORWARD,
        _APPROVE,
        _MONITOR,
        ("monitored", "closed", "close", "provincial_reviewer"),
    ],
    "withdrawn": [_CREATE, ("draft", "withdrawn", "withdraw", "district_drafter")],
}
_OPEN = (None, "due", "open", "system")
_RSUBMIT = ("due", "submitted", "submit", "district_drafter")
REPORT_PATHS = {
    "due": [_OPEN],
    "submitted": [_OPEN, _RSUBMIT],
    "returned": [_OPEN, _RSUBMIT, ("submitted", "returned", "return", "provincial_reviewer")],
    "verified": [_OPEN, _RSUBMIT, ("submitted", "verified", "verify", "provincial_reviewer")],
}
QUARTERS = 5  # reports of the last five quarters that have ended


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


def drop_database(url: str) -> None:
    parsed = make_url(url)
    admin = parsed.set(drivername="postgresql", database="postgres").render_as_string(False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(parsed.database)
            )
        )


def libpq_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


# --- seeding ------------------------------------------------------------------------------


@dataclass
class People:
    region_ids: list[int] = field(default_factory=list)  # the districts, in catalogue order
    names: list[str] = field(default_factory=list)
    drafters: list[int] = field(default_factory=list)
    reviewers: list[int] = field(default_factory=list)
    provincial: int = 0
    system: int = 0


def seed_people(password_hash: str) -> People:
    """Regions and agencies, and the standard accounts (as in the demo data)."""
    regions = ensure_regions()

    def person(username: str, *roles: tuple[str, str], hashed: str = password_hash) -> User:
        account = User(
            username=username,
            full_name=username,
            email=f"{username}@example.org",
            password_hash=hashed,
        )
        for role, code in roles:
            account.roles.append(RoleAssignment(role=role, region=regions[code]))
        db.session.add(account)
        return account

    people = People()
    made = []
    for district in DISTRICTS:
        made.append(
            (
                person(f"drafter.{district.code}", ("district_drafter", district.code)),
                person(f"reviewer.{district.code}", ("district_reviewer", district.code)),
            )
        )
        person(f"head.{district.code}", ("district_head", district.code))
    provincial = person(PROVINCIAL, ("provincial_reviewer", "63"))
    person("head.63", ("provincial_head", "63"))
    person("mitra.demo", *(("partner", code) for code in PARTNER_DISTRICTS))
    person("admin", ("admin", "63"))
    system = person(SYSTEM_USERNAME, ("system", "63"), hashed=UNUSABLE_PASSWORD_HASH)
    system.active = False
    db.session.flush()
    for district, (drafter, reviewer) in zip(DISTRICTS, made, strict=True):
        people.region_ids.append(regions[district.code].id)
        people.names.append(district.name)
        people.drafters.append(drafter.id)
        people.reviewers.append(reviewer.id)
    people.provincial, people.system = provincial.id, system.id
    db.session.commit()
    return people


def last_quarters(now: datetime, count: int) -> list[tuple[int, int, datetime]]:
    """The `count` latest quarters that have ended: (year, quarter, end as UTC), oldest first."""
    today = now.astimezone(WITA).date()
    year, quarter = today.year, (today.month - 1) // 3 + 1  # the current one, not ended
    found = []
    for _ in range(count):
        year, quarter = (year - 1, 4) if quarter == 1 else (year, quarter - 1)
        next_start = date(year + quarter // 4, quarter % 4 * 3 + 1, 1)
        end = datetime(next_start.year, next_start.month, 1, tzinfo=WITA).astimezone(UTC)
        found.append((year, quarter, end))
    return found[::-1]


# The districts' people, as rows: one CTE shared by the statements that need them.
PEOPLE_CTE = """
people AS (
    SELECT * FROM unnest(%(region_ids)s::int[], %(names)s::text[], %(drafters)s::int[],
        %(reviewers)s::int[]) WITH ORDINALITY AS d (region_id, name, drafter_id, reviewer_id, i)
)"""

ACTOR_SQL = """CASE {role}
    WHEN 'district_drafter' THEN u.drafter_id
    WHEN 'district_reviewer' THEN u.reviewer_id
    WHEN 'provincial_reviewer' THEN %(provincial)s
    ELSE %(system)s END"""

PLANS_SQL = (
    "WITH"
    + PEOPLE_CTE
    + """,
slots AS (SELECT * FROM unnest(%(slot_states)s::text[]) WITH ORDINALITY AS s (state, slot)),
path_length AS (
    SELECT * FROM unnest(%(path_states)s::text[], %(path_lengths)s::int[]) AS l (state, steps)
),
sla AS (SELECT * FROM unnest(%(sla_states)s::text[], %(sla_days)s::int[]) AS a (state, days))
INSERT INTO action_plan (id, region_id, period_start, period_end, title, state, workflow_name,
    workflow_version, version, created_by_id, created_at, updated_at, state_entered_at, due_at)
SELECT (u.i - 1) * %(per)s + n, u.region_id, 2025, 2029,
    'Rencana Aksi Sanitasi ' || u.name || ' ' || n, s.state, 'action_plan', 1, l.steps,
    u.drafter_id, %(now)s - interval '500 days', entered, entered,
    entered + a.days * interval '1 day'
FROM people AS u
CROSS JOIN generate_series(1, %(per)s) AS n
CROSS JOIN LATERAL (SELECT %(now)s - mod(n * 7, 40) * interval '1 day'
    - mod(n * 13, 86400) * interval '1 second' AS entered) AS e
JOIN slots AS s ON s.slot = 1 + mod(n, %(slot_count)s)
JOIN path_length AS l ON l.state = s.state
LEFT JOIN sla AS a ON a.state = s.state
"""
)

PLAN_HISTORY_SQL = (
    "WITH"
    + PEOPLE_CTE
    + """,
path AS (
    SELECT * FROM unnest(%(h_states)s::text[], %(h_steps)s::int[], %(h_last)s::bool[],
        %(h_from)s::text[], %(h_to)s::text[], %(h_trigger)s::text[], %(h_role)s::text[])
        AS h (state, step, last, from_state, to_state, trigger, role)
)
INSERT INTO plan_transition (subject_kind, subject_id, chain_kind, chain_id, workflow_version,
    from_state, to_state, trigger, actor_id, role, comment, created_at, hash_format, row_hash)
SELECT 'plan', p.id, 'plan', p.id, 1, h.from_state, h.to_state, h.trigger, """
    + ACTOR_SQL.format(role="h.role")
    + """, h.role,
    CASE WHEN h.trigger = 'return' THEN 'Lengkapi baseline BABS' END,
    CASE WHEN h.last THEN p.state_entered_at ELSE p.created_at + h.step * interval '20 days' END,
    2, repeat('0', 64)
FROM action_plan AS p
JOIN path AS h ON h.state = p.state
JOIN people AS u ON u.region_id = p.region_id
ORDER BY p.id, h.step
"""
)

CONTENTS_SQL = [
    """
INSERT INTO challenge (plan_id, position, description)
SELECT id, 0, 'Cakupan layanan lumpur tinja masih rendah' FROM action_plan
""",
    """
INSERT INTO indicator (plan_id, position, name, unit, baseline_year, baseline_value)
SELECT p.id, k.position, k.name, k.unit, 2024, k.base + mod(p.id, 10)
FROM action_plan AS p
CROSS JOIN (VALUES (0, '% rumah tangga dengan akses sanitasi aman', '%', 5),
                   (1, 'Rumah tangga terlayani LLTT', 'RT', 100)) AS k (position, name, unit, base)
""",
    """
INSERT INTO indicator_target (indicator_id, year, value)
SELECT i.id, y, i.baseline_value + (y - 2024) * CASE i.position WHEN 0 THEN 5 ELSE 200 END
FROM indicator AS i CROSS JOIN generate_series(2025, 2029) AS y
""",
    """
INSERT INTO activity (plan_id, position, sub_sector, activity_type, title, location, volume,
    unit, agency_id, start_year, end_year)
SELECT p.id, k, (ARRAY['wastewater', 'solid_waste', 'drainage', 'hygiene'])[1 + mod(p.id + k, 4)],
    (ARRAY['lltt', 'spald_s', 'iplt', 'stbm', 'study_ded'])[1 + mod(p.id * 3 + k, 5)],
    'Kegiatan ' || (k + 1) || ' rencana ' || p.id, 'Kecamatan ' || (1 + mod(p.id, 9)),
    50 + mod(p.id, 100), 'unit', ag.id, 2025, 2029
FROM action_plan AS p
CROSS JOIN generate_series(0, 2) AS k
CROSS JOIN LATERAL (SELECT id FROM agency WHERE region_id = p.region_id ORDER BY id
    OFFSET mod(k, 3) LIMIT 1) AS ag
WHERE k < 2 + mod(p.id, 2)
""",
    """
INSERT INTO funding (activity_id, year, source, amount)
SELECT a.id, y, 'apbd_district', (50 + mod(a.id * 7 + y, 100)) * 1000000::bigint
FROM activity AS a CROSS JOIN generate_series(a.start_year, a.end_year) AS y
UNION ALL
SELECT a.id, y, 'dak', (100 + mod(a.id + y, 200)) * 1000000::bigint
FROM activity AS a CROSS JOIN generate_series(a.start_year, a.end_year) AS y
WHERE mod(a.id, 3) = 0
""",
]

# Reports of monitored and closed plans for the quarters given (q_index 1 = oldest). The latest
# quarter's report is due, submitted, returned or verified (by plan id); one plan in ten still
# owes the one before it; everything older is verified.
REPORTS_SQL = """
WITH quarters AS (
    SELECT * FROM unnest(%(q_years)s::int[], %(q_numbers)s::int[], %(q_ends)s::timestamptz[])
        WITH ORDINALITY AS q (year, quarter, ended, q_index)
),
chosen AS (
    SELECT p.id AS plan_id, q.year, q.quarter, q.ended,
        CASE
            WHEN p.state = 'closed' THEN 'verified'
            WHEN q.q_index = %(q_count)s
                THEN (ARRAY['due', 'submitted', 'returned', 'verified'])[1 + mod(p.id, 4)]
            WHEN q.q_index = %(q_count)s - 1 AND mod(p.id, 10) = 0 THEN 'due'
            ELSE 'verified'
        END AS state
    FROM action_plan AS p CROSS JOIN quarters AS q
    WHERE p.state IN ('monitored', 'closed')
)
INSERT INTO progress_report (plan_id, year, quarter, state, workflow_name, workflow_version,
    version, created_at, updated_at, state_entered_at, due_at, submitted_at)
SELECT plan_id, year, quarter, state, 'progress_report', 1,
    CASE state WHEN 'due' THEN 1 WHEN 'submitted' THEN 2 ELSE 3 END,
    ended, entered, entered,
    CASE state
        WHEN 'due' THEN ended + interval '14 days'
        WHEN 'submitted' THEN entered + interval '14 days'
        WHEN 'returned' THEN entered + interval '7 days'
    END,
    CASE WHEN state <> 'due' THEN ended + interval '10 days' END
FROM chosen
CROSS JOIN LATERAL (SELECT ended + CASE state
    WHEN 'due' THEN interval '0 days'
    WHEN 'submitted' THEN interval '10 days'
    ELSE interval '20 days' END AS entered) AS e
"""

REPORT_CONTENTS_SQL = [
    # Cumulative within the year: progress grows with the quarter; nothing typed while due.
    """
INSERT INTO report_line (report_id, activity_id, position, physical_progress, spent, budget,
    output_achieved, obstacles, follow_up)
SELECT r.id, a.id, a.position, figures.progress,
    CASE WHEN figures.progress IS NOT NULL
        THEN (budget.amount * figures.progress * (80 + mod(a.id, 30)) / 10000)::bigint END,
    budget.amount, NULL, '', ''
FROM progress_report AS r
JOIN activity AS a ON a.plan_id = r.plan_id AND r.year BETWEEN a.start_year AND a.end_year
CROSS JOIN LATERAL (SELECT coalesce(sum(f.amount), 0) AS amount FROM funding AS f
    WHERE f.activity_id = a.id AND f.year = r.year) AS budget
CROSS JOIN LATERAL (SELECT CASE WHEN r.state <> 'due'
    THEN least(100, r.quarter * 20 + mod(a.id, 17))::numeric END AS progress) AS figures
""",
    """
INSERT INTO report_indicator_value (report_id, indicator_id, value)
SELECT r.id, i.id, i.baseline_value + (r.year - 2024) * 4 + r.quarter
FROM progress_report AS r JOIN indicator AS i ON i.plan_id = r.plan_id
WHERE r.state <> 'due'
""",
]

# Seeded history rows carry a placeholder hash (not a chain): the pages never read it.
REPORT_HISTORY_SQL = (
    "WITH"
    + PEOPLE_CTE
    + """,
path AS (
    SELECT * FROM unnest(%(h_states)s::text[], %(h_steps)s::int[], %(h_last)s::bool[],
        %(h_from)s::text[], %(h_to)s::text[], %(h_trigger)s::text[], %(h_role)s::text[])
        AS h (state, step, last, from_state, to_state, trigger, role)
)
INSERT INTO plan_transition (subject_kind, subject_id, chain_kind, chain_id, workflow_version,
    from_state, to_state, trigger, actor_id, role, comment, created_at, hash_format, row_hash)
SELECT 'report', r.id, 'plan', r.plan_id, 1, h.from_state, h.to_state, h.trigger, """
    + ACTOR_SQL.format(role="h.role")
    + """, h.role,
    CASE WHEN h.trigger = 'return' THEN 'Lampirkan bukti realisasi' END,
    CASE WHEN h.last THEN r.state_entered_at
        ELSE r.created_at + h.step * interval '10 days' END,
    2, repeat('0', 64)
FROM progress_report AS r
JOIN action_plan AS p ON p.id = r.plan_id
JOIN path AS h ON h.state = r.state
JOIN people AS u ON u.region_id = p.region_id
ORDER BY r.id, h.step
"""
)


def path_params(paths: dict[str, list[tuple[str | None, str, str, str]]]) -> dict[str, list]:
    rows = [
        (state, step, step == len(path) - 1, *entry)
        for state, path in paths.items()
        for step, entry in enumerate(path)
    ]
    names = ("h_states", "h_steps", "h_last", "h_from", "h_to", "h_trigger", "h_role")
    return {name: [row[index] for row in rows] for index, name in enumerate(names)}


def seed(
    dsn: str,
    plans_per_district: int,
    now: datetime,
    password_hash: str,
    *,
    create_tables: bool = True,
) -> float:
    """Fresh tables and the data; the seconds it took. `create_tables=False`: the schema is
    already there and empty (migrated, as bench/load.py's stack expects it)."""
    started = time.perf_counter()
    db.session.remove()
    if create_tables:
        db.drop_all()
        db.create_all()
    people = seed_people(password_hash)
    db.session.remove()
    quarters = last_quarters(now, QUARTERS)
    params = {
        "region_ids": people.region_ids,
        "names": people.names,
        "drafters": people.drafters,
        "reviewers": people.reviewers,
        "provincial": people.provincial,
        "system": people.system,
        "per": plans_per_district,
        "now": now,
        "slot_states": SLOTS,
        "slot_count": len(SLOTS),
        "path_states": list(PLAN_PATHS),
        "path_lengths": [len(path) for path in PLAN_PATHS.values()],
        "sla_states": list(SLA_DAYS),
        "sla_days": list(SLA_DAYS.values()),
        "q_years": [year for year, _, _ in quarters],
        "q_numbers": [quarter for _, quarter, _ in quarters],
        "q_ends": [ended for _, _, ended in quarters],
        "q_count": len(quarters),
    }
    with psycopg.connect(dsn) as conn:
        conn.execute("SET synchronous_commit = off")
        conn.execute(PLANS_SQL, params)
        conn.execute(
            "SELECT setval(pg_get_serial_sequence('action_plan', 'id'),"
            " (SELECT max(id) FROM action_plan))"
        )
        conn.execute(PLAN_HISTORY_SQL, {**params, **path_params(PLAN_PATHS)})
        for statement in CONTENTS_SQL:
            conn.execute(statement)
        conn.execute(REPORTS_SQL, params)
        for statement in REPORT_CONTENTS_SQL:
            conn.execute(statement)
        conn.execute(REPORT_HISTORY_SQL, {**params, **path_params(REPORT_PATHS)})
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE")
    return time.perf_counter() - started


SIZE_TABLES = (
    "action_plan",
    "plan_transition",
    "indicator",
    "indicator_target",
    "activity",
    "funding",
    "progress_report",
    "report_line",
    "report_indicator_value",
    "user_account",
)


def data_sizes(dsn: str, now: datetime) -> list[str]:
    with psycopg.connect(dsn) as conn:
        counts = {
            table: conn.execute(
                sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
            ).fetchone()[0]
            for table in SIZE_TABLES
        }
        states = conn.execute(
            "SELECT state, count(*) FROM action_plan GROUP BY state ORDER BY 2 DESC"
        ).fetchall()
        reports = conn.execute(
            "SELECT state, count(*) FROM progress_report GROUP BY state ORDER BY 2 DESC"
        ).fetchall()
        overdue_plans = conn.execute(
            "SELECT count(*) FROM action_plan WHERE due_at < %s", (now,)
        ).fetchone()[0]
        overdue_reports = conn.execute(
            "SELECT count(*) FROM progress_report WHERE due_at < %s", (now,)
        ).fetchone()[0]
    return [
        "rows: " + ", ".join(f"{table} {count}" for table, count in counts.items()),
        "plans by state: " + ", ".join(f"{state} {count}" for state, count in states),
        "reports by state: " + ", ".join(f"{state} {count}" for state, count in reports),
        f"overdue: {overdue_plans} plans, {overdue_reports} reports",
    ]


# --- the server -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_environment(url: str, instance: str, redis_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=url,
        SECRET_KEY=secrets.token_hex(32),
        WORKFLOW_APP_PROFILE="production",
        # Page views publish nothing; an in-memory broker needs no Redis in any case.
        CELERY_BROKER_URL="memory://",
        REDIS_URL=redis_url,
        WORKFLOW_APP_INSTANCE_PATH=instance,
        ATTACHMENTS_DIR=str(Path(instance) / "attachments"),
    )
    return env


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # gunicorn's graceful shutdown
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def workers(self) -> list[int]:
        return children(self.process.pid)

    def workers_cpu(self) -> float:
        return sum(cpu_seconds(pid) or 0.0 for pid in self.workers())

    def memory(self) -> dict[str, dict[str, float]]:
        """RSS, PSS and USS (MiB) of the master and of each worker."""
        found = {"master": memory_mib(self.process.pid)}
        for index, pid in enumerate(self.workers()):
            found[f"worker {index + 1}"] = memory_mib(pid)
        return {name: figures for name, figures in found.items() if figures}


def start_server(args: argparse.Namespace, env: dict[str, str], instance: str) -> Server:
    port = free_port()
    log = Path(instance) / "gunicorn.log"
    command = [
        str(Path(sys.executable).with_name("gunicorn")),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(args.workers),
        "--worker-class",
        args.worker_class,
        "--timeout",
        "120",
        "--error-logfile",
        str(log),
        # Not the shared ~/.gunicorn/gunicorn.ctl: another server on the machine may own it.
        "--no-control-socket",
    ]
    if args.worker_class == "gthread":
        command += ["--threads", str(args.gthreads)]
    if args.preload:
        command.append("--preload")  # as in production (workflow_app/stack/topology.py)
    command.append("bench.web_app:app")
    with log.open("ab") as sink:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=sink, stderr=sink)
    server = Server(process, port, log)
    # Without --preload each worker loads the app itself, which takes seconds: wait until
    # every worker has answered, or the first runs would measure start-up.
    seen: set[str] = set()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        threads = args.gthreads if args.worker_class == "gthread" else 1
        seen |= worker_pids(port, 2 * args.workers * threads)
        if len(seen) >= args.workers:
            return server
        time.sleep(0.2)
    server.stop()
    sys.exit(f"gunicorn did not start; its log:\n{log.read_text()[-3000:]}")


def worker_pids(port: int, calls: int) -> set[str]:
    """The workers that answered `calls` concurrent calls, each held a moment."""

    def call(_: int) -> str | None:
        try:
            status, _headers, body, _cookies = fetch(port, f"{WORKER_PATH}?hold=0.3", "")
        except OSError:
            return None
        return body if status == 200 else None

    with ThreadPoolExecutor(calls) as pool:
        return {pid for pid in pool.map(call, range(calls)) if pid}


# --- HTTP by hand: no redirects followed, cookies read from the headers ------------------------


def fetch(
    port: int, path: str, cookie: str, form: dict[str, str] | None = None
) -> tuple[int, dict[str, str], str, list[str]]:
    """(status, headers, body, Set-Cookie values) of one request."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        headers = {"Cookie": cookie} if cookie else {}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request("POST" if form is not None else "GET", path, body=body, headers=headers)
        response = conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        return (
            response.status,
            {k.lower(): v for k, v in response.getheaders()},
            text,
            response.msg.get_all("Set-Cookie") or [],
        )
    finally:
        conn.close()


# The production profile names the cookie `__Host-session` (config.check_profile).
SESSION_COOKIE_NAMES = ("session", "__Host-session")


def session_cookie(set_cookies: list[str]) -> str | None:
    for value in set_cookies:
        name, _, content = value.split(";", 1)[0].strip().partition("=")
        if name in SESSION_COOKIE_NAMES and content:
            return f"{name}={content}"
    return None


def log_in(port: int, username: str, password: str) -> str:
    """The session cookie after a real login through the form (CSRF token included)."""
    status, _, page, set_cookies = fetch(port, "/login", "")
    cookie = session_cookie(set_cookies)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page
    )
    if status != 200 or cookie is None or token is None:
        sys.exit(f"login page for {username}: status {status}, no session cookie or CSRF token")
    form = {"csrf_token": html.unescape(token.group(1)), "username": username, "password": password}
    status, headers, _, set_cookies = fetch(port, "/login", cookie, form)
    logged_in = session_cookie(set_cookies)
    if status != 302 or logged_in is None or "/login" in headers.get("location", ""):
        sys.exit(f"login as {username} failed: status {status}")
    return logged_in


# --- wrk ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    name: str
    path: str
    cookie: str


@dataclass(frozen=True)
class Run:
    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    bad: int  # non-2xx/3xx responses and socket errors
    cpu_ms: float = 0.0  # CPU time of the workers per request (user + system)
    # The app's own time per request (its request log's duration_ms): the service time,
    # without the wait for a free worker.
    service_p50_ms: float = 0.0
    service_p99_ms: float = 0.0
    gc_ms: float = 0.0  # the workers' garbage collections per request
    full_collections: int = 0  # of the oldest generation, in all workers during the run
    longest_gc_ms: float = 0.0  # the longest collection of a worker so far (any run)


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS_MS[unit]


def parse_wrk(output: str) -> Run:
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    total = re.search(r"(\d+) requests in", output)
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.MULTILINE)
    if not (rps and total and p50 and p99):
        raise RuntimeError(f"cannot read wrk's output:\n{output}")
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    socket_errors = sum(int(n) for n in errors.groups()) if errors else 0
    return Run(
        requests=int(total.group(1)),
        rps=float(rps.group(1)),
        p50_ms=_ms(p50.group(1)),
        p99_ms=_ms(p99.group(1)),
        bad=(int(bad.group(1)) if bad else 0) + socket_errors,
    )


def run_wrk(args: argparse.Namespace, server: Server, target: Target, seconds: int) -> Run:
    port = server.port
    calls = args.workers * (args.gthreads if args.worker_class == "gthread" else 1)
    gc_before = gc_stats(port, calls, args.workers)
    cpu_before = server.workers_cpu()
    log_from = server.log.stat().st_size
    command = [
        "wrk",
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{seconds}s",
        "--timeout",
        "30s",
        "--latency",
        "-H",
        f"Cookie: {target.cookie}",
        f"http://127.0.0.1:{port}{target.path}",
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed: {done.stderr or done.stdout}")
    run = parse_wrk(done.stdout)
    # wrk stops the clock and closes its connections, but sync workers still serve what was
    # queued: let them finish, or the backlog would weigh on the next run.
    wait_idle(port, args.workers * (args.gthreads if args.worker_class == "gthread" else 1))
    # The workers' CPU time per request served: what a page costs whatever the queueing (the
    # few calls of wait_idle weigh nothing next to a run's requests).
    spent = server.workers_cpu() - cpu_before
    served = sorted(service_times(server.log, log_from, target.path))
    gc_after = gc_stats(port, calls, args.workers)
    gc_seconds = sum(
        sum(after["seconds"]) - sum(gc_before.get(pid, after)["seconds"])
        for pid, after in gc_after.items()
    )
    full = sum(
        after["collections"][2] - gc_before.get(pid, after)["collections"][2]
        for pid, after in gc_after.items()
    )
    longest = max((max(after["longest"]) for after in gc_after.values()), default=0.0)
    return replace(
        run,
        gc_ms=gc_seconds / max(run.requests, 1) * 1000,
        full_collections=full,
        longest_gc_ms=longest * 1000,
        cpu_ms=spent / max(run.requests, 1) * 1000,
        service_p50_ms=served[len(served) // 2] if served else 0.0,
        service_p99_ms=served[max(math.ceil(0.99 * len(served)) - 1, 0)] if served else 0.0,
    )


def gc_stats(port: int, calls: int, workers: int) -> dict[int, dict[str, list[float]]]:
    """Each worker's garbage collections so far (bench/web_app.py times them), by pid:
    concurrent calls, each holding its worker a moment, until every worker has answered."""

    def call(_: int) -> dict | None:
        status, _headers, body, _cookies = fetch(port, f"{GC_PATH}?hold=0.2", "")
        return json.loads(body) if status == 200 else None

    found: dict[int, dict[str, list[float]]] = {}
    for _ in range(5):
        with ThreadPoolExecutor(2 * calls) as pool:
            for answer in pool.map(call, range(2 * calls)):
                if answer:
                    found[answer["pid"]] = answer
        if len(found) >= workers:
            break
    return found


def service_times(log: Path, offset: int, path: str) -> list[float]:
    """The duration_ms of the app's request log lines for `path` written after `offset`."""
    with log.open("rb") as handle:
        handle.seek(offset)
        text = handle.read().decode("utf-8", "replace")
    found = []
    for line in text.splitlines():
        if '"duration_ms"' not in line:
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("path") == path and entry.get("method") == "GET":
            found.append(float(entry["duration_ms"]))
    return found


def wait_idle(port: int, calls: int, quick: float = 0.25, limit: float = 300) -> None:
    """Until `calls` concurrent calls of the minimal route all answer within `quick` seconds."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        began = time.monotonic()
        with ThreadPoolExecutor(calls) as pool:
            statuses = list(pool.map(lambda _: fetch(port, PING_PATH, "")[0], range(calls)))
        if all(status == 200 for status in statuses) and time.monotonic() - began < quick:
            return
        time.sleep(0.1)
    raise RuntimeError(f"the server is still busy after {limit:.0f} s")


def check_targets(port: int, targets: list[Target]) -> list[str]:
    """Each target must answer 200 (a 302 to the login page would measure the wrong thing)."""
    problems = []
    for target in targets:
        status, headers, _, _ = fetch(port, target.path, target.cookie)
        if status != 200:
            where = headers.get("location", "")
            problems.append(f"{target.name}: status {status} {where}".rstrip())
    return problems


# --- profile (in this process) ----------------------------------------------------------------


def profile_pages(url: str, password: str, targets: list[Target], users: dict[str, str]) -> None:
    """Per page: its SQL queries and where a few requests spend their time."""
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "CELERY_BROKER_URL": "memory://"}
    )
    statements: list[str] = []
    with app.app_context():
        event.listen(
            db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]), named=False
        )
    for target in targets:
        if target.path == PING_PATH:
            continue
        client = app.test_client()
        page = client.get("/login")
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)
        assert token is not None
        client.post(
            "/login",
            data={
                "csrf_token": html.unescape(token.group(1)),
                "username": users[target.name],
                "password": password,
            },
        )
        client.get(target.path)  # warm caches
        statements.clear()
        began = time.perf_counter()
        response = client.get(target.path)
        elapsed = time.perf_counter() - began
        print(
            f"\n{target.name}: status {response.status_code}, {len(response.data) // 1024} KiB,"
            f" {len(statements)} SQL queries, {elapsed * 1000:.0f} ms in process"
        )
        profile = cProfile.Profile()
        for _ in range(5):
            profile.runcall(client.get, target.path)
        out = io.StringIO()
        stats = pstats.Stats(profile, stream=out)
        stats.sort_stats("tottime").print_stats(15)
        stats.sort_stats("cumulative").print_stats("workflow_app|templates", 20)
        print("\n".join(out.getvalue().splitlines()[4:]))
    with app.app_context():
        db.engine.dispose()


# --- report -----------------------------------------------------------------------------------


def machine_lines_with_server(dsn: str) -> list[str]:
    """Cores, CPU model, Python, the load and the PostgreSQL server's version."""
    with psycopg.connect(dsn) as conn:
        server = conn.execute("SHOW server_version").fetchone()[0]
    return [*machine_lines(), f"postgresql: {server}"]


def machine_description(dsn: str, args: argparse.Namespace) -> list[str]:
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True)
    threads = f" x {args.gthreads} threads" if args.worker_class == "gthread" else ""
    return [
        *machine_lines_with_server(dsn),
        f"redis: {args.redis_url}",
        f"gunicorn: {args.workers} {args.worker_class} workers{threads}"
        + (", preloaded" if args.preload else ", each loading the app"),
        f"load: {(wrk.stdout or wrk.stderr).splitlines()[0]}, {args.threads} threads,"
        f" {args.connections} connections, {args.duration}s per run, {args.rounds} rounds",
    ]


def summarise(results: dict[str, list[Run]], baseline: str) -> list[str]:
    base = statistics.fmean(run.rps for run in results[baseline])
    lines = []
    for name, runs in results.items():
        rps = statistics.fmean(run.rps for run in runs)
        p99 = max(run.p99_ms for run in runs)
        p50 = statistics.median(run.p50_ms for run in runs)
        cpu = statistics.median(run.cpu_ms for run in runs)
        ratio = "" if name == baseline or not base else f"  ratio {rps / base:.3f}"
        lines.append(
            f"{name:<22} {rps:9.1f} req/s  p50 {p50:8.1f} ms  p99 {p99:8.1f} ms"
            f"  CPU {cpu:6.1f} ms/request{ratio}"
        )
    return lines


def bench(
    args: argparse.Namespace, url: str, dsn: str, instance: str, redis_url: str
) -> tuple[bool, dict[str, list[Run]], dict[str, dict[str, float]]]:
    """Seed, serve, load, report; whether some response was not 200, the runs by target (in
    the order of TARGET_KEYS) and the memory of the server's processes after them."""
    now = datetime.now(UTC)
    password = secrets.token_urlsafe(16)
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "CELERY_BROKER_URL": "memory://"}
    )
    with app.app_context():
        print(f"seeding {len(DISTRICTS)} districts x {args.plans} plans ...", flush=True)
        seconds = seed(dsn, args.plans, now, password_hasher.hash(password))
        db.session.remove()
        db.engine.dispose()
    print(f"seeded in {seconds:.1f} s")
    if args.keep:
        print(f"password of every account: {password}")
    print("\n".join(data_sizes(dsn, now)), flush=True)

    failed = False
    server = start_server(args, server_environment(url, instance, redis_url), instance)
    try:
        provincial = log_in(server.port, PROVINCIAL, password)
        drafter = log_in(server.port, args.drafter, password)
        targets = [
            Target("minimal route", PING_PATH, provincial),
            Target("dashboard", "/dashboard", provincial),
            Target("tasks (provincial)", "/tasks", provincial),
            Target(f"tasks ({args.drafter})", "/tasks", drafter),
        ]
        users = {targets[1].name: PROVINCIAL, targets[2].name: PROVINCIAL}
        users[targets[3].name] = args.drafter
        problems = check_targets(server.port, targets)
        if problems:
            sys.exit("not every target answers 200:\n  " + "\n  ".join(problems))
        if args.warmup:
            for target in targets:
                run_wrk(args, server, target, args.warmup)
        results: dict[str, list[Run]] = {target.name: [] for target in targets}
        for index in range(args.rounds):
            print(f"round {index + 1}:", flush=True)
            for target in targets:
                run = run_wrk(args, server, target, args.duration)
                results[target.name].append(run)
                print(
                    f"  {target.name:<22} {run.rps:9.1f} req/s  p50 {run.p50_ms:8.1f} ms"
                    f"  p99 {run.p99_ms:8.1f} ms  CPU {run.cpu_ms:6.1f} ms/request"
                    f"  in app p50 {run.service_p50_ms:6.1f} p99 {run.service_p99_ms:6.1f} ms"
                    f"  GC {run.gc_ms:5.2f} ms/request, {run.full_collections} full"
                    f"  ({run.requests} requests"
                    + (f", {run.bad} NOT OK" if run.bad else "")
                    + ")",
                    flush=True,
                )
                failed = failed or run.bad > 0
        problems = check_targets(server.port, targets)  # still logged in at the end?
        failed = failed or bool(problems)
        print("summary (rate: mean of the rounds; p99: worst round; ratio: rate / minimal):")
        print("\n".join("  " + line for line in summarise(results, targets[0].name)))
        for problem in problems:
            print(f"  after the runs: {problem}")
        memory = server.memory()
        print("memory after the runs (MiB; PSS shares the pages shared, USS is a process's own):")
        for name, figures in memory.items():
            print(
                f"  {name:<10} RSS {figures['rss']:6.1f}  PSS {figures['pss']:6.1f}"
                f"  USS {figures['uss']:6.1f}"
            )
    finally:
        server.stop()
    if args.profile:
        profile_pages(url, password, targets, users)
    return failed, results, memory


# The names of the JSON line, for the targets in order: the minimal route, then the pages.
TARGET_KEYS = ("minimal", "dashboard", "tasks_provincial", "tasks_drafter")


def report(
    results: dict[str, list[Run]], memory: dict[str, dict[str, float]], connections: int
) -> None:
    """The ratios rate(page) / rate(minimal route) and the absolute figures, as JSON.
    `queue_ms` is the mean latency the rate alone implies with `connections` always waiting
    (Little's law: connections / rate): how much of p50 and p99 is waiting for a worker."""
    summary: dict[str, object] = {
        key: {
            "rps": round(statistics.fmean(run.rps for run in runs), 1),
            "p50_ms": round(statistics.median(run.p50_ms for run in runs), 1),
            "p99_ms": round(max(run.p99_ms for run in runs), 1),
            "cpu_ms": round(statistics.median(run.cpu_ms for run in runs), 1),
            "app_p50_ms": round(statistics.median(run.service_p50_ms for run in runs), 1),
            "app_p99_ms": round(max(run.service_p99_ms for run in runs), 1),
            "gc_ms": round(statistics.median(run.gc_ms for run in runs), 2),
            "full_collections": sum(run.full_collections for run in runs),
            "longest_gc_ms": round(max(run.longest_gc_ms for run in runs), 1),
            "queue_ms": round(connections / statistics.fmean(run.rps for run in runs) * 1000, 1),
        }
        for key, runs in zip(TARGET_KEYS, results.values(), strict=True)
    }
    base = summary["minimal"]["rps"]  # type: ignore[index]
    ratios = {key: summary[key]["rps"] / base for key in TARGET_KEYS[1:]}  # type: ignore[index]
    summary["memory_mib"] = memory
    emit("web", ratios, summary)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up per target")
    parser.add_argument("--rounds", type=int, default=2, help="alternations of the targets")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--worker-class", choices=("sync", "gthread"), default="sync")
    parser.add_argument("--gthreads", type=int, default=4, help="threads per gthread worker")
    parser.add_argument(
        "--preload",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="load the app in gunicorn's master and fork the workers from it, as production",
    )
    parser.add_argument("--plans", type=int, default=200, help="plans per district")
    parser.add_argument("--drafter", default=f"drafter.{DISTRICTS[0].code}")
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--redis-url",
        default=DEFAULT_REDIS_URL,
        help="Redis for the rate limits and cache: a numbered database of the bench's own",
    )
    parser.add_argument(
        "--profile", action="store_true", help="then profile each page in this process"
    )
    parser.add_argument(
        "--smoke", action="store_true", help="tiny sizes, to check that the bench runs at all"
    )
    args = parser.parse_args()
    if args.smoke:
        args.plans, args.duration, args.warmup, args.rounds, args.workers = 3, 1, 0, 1, 1
        args.connections, args.threads = 2, 1
    problem = redis_problem(args.redis_url)
    if problem:
        print(f"skipped: {problem}; the production profile keeps its limits in Redis")
        sys.exit(SKIPPED)
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (Debian: apt-get install wrk)")

    url = ensure_database(args.database_url)
    dsn = libpq_dsn(url)
    instance = tempfile.mkdtemp(prefix="wf-web-bench-")
    os.environ["WORKFLOW_APP_INSTANCE_PATH"] = instance
    print("\n".join(machine_description(dsn, args)), flush=True)

    try:
        with own_redis_db(args.redis_url, "web") as redis_url:
            failed, results, memory = bench(args, url, dsn, instance, redis_url)
    finally:
        if args.keep:
            print(f"kept the database: {url}")
        else:
            drop_database(url)
        shutil.rmtree(instance, ignore_errors=True)
    if failed:
        sys.exit("some responses were not 200")
    report(results, memory, args.connections)


if __name__ == "__main__":
    main()
