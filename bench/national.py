"""The national data set on PostgreSQL: does the cost of a request stay flat as the data grows
from one province to the nation (38 provinces, 514 kabupaten/kota)?

    .venv/bin/python bench/national.py generate --provinces N [--plans 100]
        [--database-url postgresql://postgres@127.0.0.1:5432/wf_national]
    .venv/bin/python bench/national.py measure [--requests 15] [--explain] [--verify]
        [--due 20] [--database-url …]
    .venv/bin/python bench/national.py --smoke     # tiny: generate 2 provinces, measure, drop

`generate` adds the provinces of PROVINCES (Kalimantan Selatan first) that are not there yet,
up to N, to a migrated database of its own (`workflow-app db upgrade` first, never `test`):
regions and agencies, the accounts of every district and province, and per district `--plans`
plans over ten years (two five-year periods), their contents, a report for every quarter that
has ended of every monitored or closed plan, history rows hash-chained exactly as the app
writes them (so `audit verify` passes), an outbox row and a change event per history row, and
the deadline steps of the cases that have a deadline. Set-based SQL (bench/national_sql.py);
only the chains' hashes are computed in Python and COPYed in. Run it with N = 1, measure,
then with N = 38 and measure again: the same province is measured at both scales.

`measure`, in this process (Flask's test client, the embedded profile with the dashboard's
cache off so every view aggregates): per page the median CPU (time.process_time), wall time
and SQL statements of --requests requests after a warm-up, for /tasks of provincial.63 and
drafter.6301, /plans and /dashboard of provincial.63; the escalation sweep with --due steps of
Kalimantan Selatan due (fired, then put back); with --verify, `audit verify` over the whole
database (its cost per history row); with --explain, EXPLAIN (ANALYZE, BUFFERS) of the slowest
statements of each page. Ends with one line of JSON. Run on demand; never as a timed test.
"""

# ruff: noqa: E402 -- the import path is fixed below before anything else is imported.
from __future__ import annotations

import sys
from pathlib import Path

_HERE = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))  # the project root: `bench.report`

import argparse
import html
import logging
import os
import re
import statistics
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import psycopg
import yaml
from argon2 import PasswordHasher
from sqlalchemy import delete, event, select, update

from bench import national_sql as q
from bench import web
from bench.report import emit, machine_lines
from workflow_app import create_app
from workflow_app.accounts.system import SYSTEM_USERNAME, UNUSABLE_PASSWORD_HASH
from workflow_app.audit.chain import row_hash
from workflow_app.audit.verify import verify_database
from workflow_app.deadlines.models import ScheduledStep
from workflow_app.deadlines.sweep import run_sweep
from workflow_app.extensions import db
from workflow_app.notifications.models import Notification
from workflow_app.regions.catalogue import DISTRICT_AGENCIES
from workflow_app.regions.operations import ensure_regions

ROOT = _HERE.parent
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/wf_national"
SMOKE_URL = "postgresql://postgres@127.0.0.1:5432/wf_national_smoke"  # dropped afterwards
CHAIN_CHUNK = 2000  # plans whose history is linked and COPYed at once
PASSWORD = "national-bench"  # every account of the bench database
PROVINCIAL, DRAFTER = "provincial.63", "drafter.6301"
PARTNER_DISTRICTS = ("6301", "6304", "6371")
BIG_TABLES = (
    "action_plan",
    "progress_report",
    "report_line",
    "report_indicator_value",
    "activity",
    "funding",
    "indicator",
    "indicator_target",
    "plan_transition",
    "notification",
    "change_event",
    "scheduled_step",
)


# --- generating -----------------------------------------------------------------------------


def district_codes(code: str, count: int) -> list[str]:
    """Kemendagri-like codes: regencies 01…, the last fifth cities 71…"""
    cities = count // 5
    return [f"{code}{n:02d}" for n in range(1, count - cities + 1)] + [
        f"{code}{70 + n}" for n in range(1, cities + 1)
    ]


def add_regions(conn: psycopg.Connection, wanted: list[tuple[str, str, int]]) -> list[str]:
    """Provinces, districts and agencies not there yet; returns the new provinces' codes.
    Kalimantan Selatan comes from the app's own catalogue (its real districts)."""
    have = {row[0] for row in conn.execute("SELECT code FROM region WHERE parent_id IS NULL")}
    added = []
    for code, name, count in wanted:
        if code in have:
            continue
        added.append(code)
        if code == "63":
            continue  # ensure_regions(), in the app's context (the caller)
        province = conn.execute(
            "INSERT INTO region (code, name, kind, seat) VALUES (%s, %s, 'province', %s)"
            " RETURNING id",
            (code, name, name),
        ).fetchone()[0]
        codes = district_codes(code, count)
        conn.execute(
            "INSERT INTO region (code, name, kind, seat, parent_id)"
            " SELECT c, CASE WHEN substr(c, 3, 1) = '7' THEN 'Kota ' ELSE 'Kabupaten ' END"
            " || %s || ' ' || substr(c, 3), CASE WHEN substr(c, 3, 1) = '7' THEN 'city'"
            " ELSE 'regency' END, 'Ibu kota ' || c, %s FROM unnest(%s::text[]) AS c",
            (name, province, codes),
        )
        conn.execute(
            "INSERT INTO agency (region_id, short_name, name)"
            " SELECT r.id, a.short, a.long || ' ' || r.name FROM region AS r"
            " CROSS JOIN unnest(%s::text[], %s::text[]) AS a (short, long)"
            " WHERE r.parent_id = %s ORDER BY r.id",
            ([s for s, _ in DISTRICT_AGENCIES], [n for _, n in DISTRICT_AGENCIES], province),
        )
    return added


def add_people(conn: psycopg.Connection, provinces: list[str], password_hash: str) -> None:
    """Drafter, reviewer and head of every new district; provincial reviewer and head of every
    new province; once: admin, the system account and mitra.demo."""
    users: list[tuple[str, str, str]] = []
    for code in provinces:
        districts = conn.execute(
            "SELECT d.code FROM region AS d JOIN region AS p ON p.id = d.parent_id"
            " WHERE p.code = %s ORDER BY d.code",
            (code,),
        )
        for (district,) in districts.fetchall():
            for prefix, role in (
                ("drafter", "district_drafter"),
                ("reviewer", "district_reviewer"),
                ("head", "district_head"),
            ):
                users.append((f"{prefix}.{district}", role, district))
        users.append((f"provincial.{code}", "provincial_reviewer", code))
        users.append((f"head.{code}", "provincial_head", code))
    if "63" in provinces:
        users += [("admin", "admin", "63"), (SYSTEM_USERNAME, "system", "63")]
        users += [("mitra.demo", "partner", code) for code in PARTNER_DISTRICTS]
    people = list(dict.fromkeys(username for username, _, _ in users))
    conn.execute(
        q.PEOPLE_SQL,
        {
            "hash": password_hash,
            "usernames": people,
            "roles": [role for _, role, _ in users],
            "codes": [code for _, _, code in users],
        },
    )
    # PEOPLE_SQL joins one grant per username; the partner's other districts:
    conn.execute(
        "INSERT INTO role_assignment (user_id, role, region_id)"
        " SELECT u.id, 'partner', r.id FROM user_account AS u, region AS r"
        " WHERE u.username = 'mitra.demo' AND r.code = ANY(%s)"
        " ON CONFLICT DO NOTHING",
        (list(PARTNER_DISTRICTS),),
    )
    conn.execute(
        "UPDATE user_account SET active = false, password_hash = %s WHERE username = %s",
        (UNUSABLE_PASSWORD_HASH, SYSTEM_USERNAME),
    )


def path_params(paths: dict[str, list[tuple[str | None, str, str, str]]]) -> dict[str, list]:
    return web.path_params(paths)


def step_params() -> dict[str, list]:
    """The deadline steps of version 1 of the plan and report workflows (the seeded version):
    (kind, state, step, days from the deadline; working days taken as days)."""
    rows = []
    for kind, name in (("plan", "action_plan"), ("report", "progress_report")):
        loaded = yaml.safe_load((ROOT / "workflows" / f"{name}.v1.yaml").read_text())
        for state, spec in (loaded.get("deadlines") or {}).items():
            rows += [(kind, state, step["name"], int(step["at"])) for step in spec["steps"]]
    return {
        "s_kinds": [r[0] for r in rows],
        "s_states": [r[1] for r in rows],
        "s_steps": [r[2] for r in rows],
        "s_days": [r[3] for r in rows],
    }


def scalar(conn: psycopg.Connection, statement: str, params: Any = None) -> Any:
    return conn.execute(statement, params).fetchone()[0]


def link_history(conn: psycopg.Connection, first_id: int) -> int:
    """The staged rows, in chain order, with their ids and hashes (chain.row_hash, as the app
    links them), COPYed into plan_transition; returns how many."""
    columns = ", ".join(q.HISTORY_COLUMNS)
    conn.execute("CREATE INDEX ON staged_history (chain_id)")
    conn.execute("ANALYZE staged_history")
    low, high = conn.execute("SELECT min(chain_id), max(chain_id) FROM staged_history").fetchone()
    count, next_id = 0, first_id
    current: int | None = None
    tail: str | None = None
    # A chunk of chains read whole, then COPYed: one connection cannot fetch while it COPYs.
    for start in range(low or 0, (high or -1) + 1, CHAIN_CHUNK):
        rows = conn.execute(q.STAGED_IN_ORDER, (start, start + CHAIN_CHUNK - 1)).fetchall()
        with (
            conn.cursor() as writer,
            writer.copy(f"COPY plan_transition ({columns}) FROM STDIN") as copy,
        ):
            for row in rows:
                (
                    kind,
                    subject,
                    chain_kind,
                    chain,
                    version,
                    from_state,
                    to_state,
                    trigger,
                    actor,
                    role,
                    comment,
                    created,
                ) = row
                values = {
                    "id": next_id,
                    "subject_kind": kind,
                    "subject_id": subject,
                    "chain_kind": chain_kind,
                    "chain_id": chain,
                    "workflow_version": version,
                    "from_state": from_state,
                    "to_state": to_state,
                    "trigger": trigger,
                    "actor_id": actor,
                    "acting_for_id": None,
                    "role": role,
                    "comment": comment,
                    "created_at": created,
                    "hash_format": 2,
                }
                prev = tail if chain == current else None  # rows come chain by chain
                digest = row_hash(prev, values)
                current, tail = chain, digest
                copy.write_row([values[c] for c in q.HISTORY_COLUMNS[:-2]] + [prev, digest])
                next_id += 1
                count += 1
    return count


def generate(url: str, provinces: int, per: int, now: datetime) -> dict[str, Any]:
    """Add the missing provinces up to `provinces`; the seconds and rows it took."""
    started = time.perf_counter()
    dsn = web.libpq_dsn(url)
    wanted = list(q.PROVINCES[:provinces])
    app = make_app(url)
    with psycopg.connect(dsn) as conn:
        added = add_regions(conn, wanted)
        conn.commit()
    if not added:
        return {"added": [], "seconds": 0.0}
    if "63" in added:
        with app.app_context():
            ensure_regions()
            db.session.commit()
            db.session.remove()
            db.engine.dispose()
    password_hash = PasswordHasher().hash(PASSWORD)
    timings: dict[str, float] = {}

    @contextmanager
    def timed(name: str) -> Iterator[None]:
        began = time.perf_counter()
        yield
        timings[name] = round(time.perf_counter() - began, 1)
        print(f"  {name}: {timings[name]} s", flush=True)

    with psycopg.connect(dsn) as conn:
        conn.execute("SET synchronous_commit = off")
        conn.execute("SET session_replication_role = replica")  # the FKs hold by construction
        conn.execute("SET work_mem = '64MB'")
        with timed("people"):
            add_people(conn, added, password_hash)
        marks = {
            "p0": scalar(conn, "SELECT coalesce(max(id), 0) FROM action_plan"),
            "i0": scalar(conn, "SELECT coalesce(max(id), 0) FROM indicator"),
            "a0": scalar(conn, "SELECT coalesce(max(id), 0) FROM activity"),
            "r0": scalar(conn, "SELECT coalesce(max(id), 0) FROM progress_report"),
            "h0": scalar(conn, "SELECT coalesce(max(id), 0) FROM plan_transition"),
        }
        system = scalar(conn, "SELECT id FROM user_account WHERE username = %s", (SYSTEM_USERNAME,))
        conn.execute(q.NEW_DISTRICTS_SQL)
        params = {
            **marks,
            "system": system,
            "per": per,
            "half": per // 2,
            "now": now,
            "slot_states": q.CURRENT_SLOTS,
            "slot_count": len(q.CURRENT_SLOTS),
            "path_states": list(web.PLAN_PATHS),
            "path_lengths": [len(path) for path in web.PLAN_PATHS.values()],
            "sla_states": list(q.SLA_DAYS),
            "sla_days": list(q.SLA_DAYS.values()),
        }
        with timed("plans"):
            conn.execute(q.PLANS_SQL, params)
        with timed("contents"):
            for statement in q.CONTENTS_SQL:
                conn.execute(statement, params)
        with timed("reports"):
            conn.execute(q.REPORTS_SQL, params)
            for statement in q.REPORT_CONTENTS_SQL:
                conn.execute(statement, params)
        with timed("history staged"):
            conn.execute(q.STAGE_SQL)
            conn.execute(q.PLAN_HISTORY_SQL, {**params, **path_params(web.PLAN_PATHS)})
            conn.execute(q.REPORT_HISTORY_SQL, {**params, **path_params(web.REPORT_PATHS)})
        with timed("history chained"):
            rows = link_history(conn, marks["h0"] + 1)
            conn.execute(
                "SELECT setval(pg_get_serial_sequence('plan_transition', 'id'), %s)",
                (marks["h0"] + rows,),
            )
        with timed("outbox and change events"):
            conn.execute(q.OUTBOX_SQL, params)
            conn.execute(q.CHANGE_EVENTS_SQL, params)
        with timed("deadline steps"):
            conn.execute(q.STEPS_SQL, {**params, **step_params()})
        conn.commit()
    with timed("vacuum analyze"), psycopg.connect(dsn, autocommit=True) as conn:
        # What autovacuum would do by the time the tables are this big; the small ones too
        # (regions, accounts): stale counts there mislead every plan that scopes by region.
        for table in BIG_TABLES:
            conn.execute(f"VACUUM ANALYZE {table}")
        conn.execute("ANALYZE")
    return {"added": added, "seconds": round(time.perf_counter() - started, 1), "steps": timings}


def row_counts(url: str) -> dict[str, int]:
    with psycopg.connect(web.libpq_dsn(url)) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT relname FROM pg_stat_user_tables ORDER BY relname"
            ).fetchall()
        ]
        return {t: scalar(conn, f'SELECT count(*) FROM "{t}"') for t in tables}


def database_size(url: str) -> str:
    with psycopg.connect(web.libpq_dsn(url)) as conn:
        return scalar(conn, "SELECT pg_size_pretty(pg_database_size(current_database()))")


# --- measuring ------------------------------------------------------------------------------


def make_app(url: str):  # -> Flask
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "CELERY_BROKER_URL": "memory://",
            "CACHE_TYPE": "NullCache",  # every dashboard view aggregates
        }
    )


class Statements:
    """The statements a block runs, with their parameters and durations."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, Any, float]] = []
        self._began = 0.0

    def before(self, conn, cursor, statement, parameters, context, executemany) -> None:
        self._began = time.perf_counter()

    def after(self, conn, cursor, statement, parameters, context, executemany) -> None:
        self.seen.append((statement, parameters, time.perf_counter() - self._began))

    @contextmanager
    def listening(self, engine: Any) -> Iterator[Statements]:
        self.seen = []
        event.listen(engine, "before_cursor_execute", self.before)
        event.listen(engine, "after_cursor_execute", self.after)
        try:
            yield self
        finally:
            event.remove(engine, "before_cursor_execute", self.before)
            event.remove(engine, "after_cursor_execute", self.after)


def sign_in(app, username: str):  # -> FlaskClient
    client = app.test_client()
    page = client.get("/login")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)
    assert token is not None
    form = {"csrf_token": html.unescape(token.group(1)), "username": username}
    answer = client.post("/login", data={**form, "password": PASSWORD})
    assert answer.status_code == 302, (username, answer.status_code)
    return client


def measure_page(client, engine: Any, path: str, requests: int) -> dict[str, Any]:
    for _ in range(3):  # warm-up: templates compiled
        assert client.get(path).status_code == 200, path
    cpu, wall, counts, sql = [], [], [], []
    probe = Statements()
    for _ in range(requests):
        with probe.listening(engine):
            began_cpu, began = time.process_time(), time.perf_counter()
            response = client.get(path)
            wall.append(time.perf_counter() - began)
            cpu.append(time.process_time() - began_cpu)
        assert response.status_code == 200, (path, response.status_code)
        counts.append(len(probe.seen))
        sql.append(sum(seconds for _, _, seconds in probe.seen))
    return {
        "cpu_ms": round(statistics.median(cpu) * 1000, 1),
        "wall_ms": round(statistics.median(wall) * 1000, 1),
        "statements": max(counts),
        "sql_ms": round(statistics.median(sql) * 1000, 1),  # the driver's time, median
        "bytes": len(response.data),
        "slowest": sorted(probe.seen, key=lambda seen: -seen[2])[:3],
    }


def explain(statement: str, parameters: Any) -> list[str]:
    """EXPLAIN (ANALYZE, BUFFERS) of a statement as the app ran it."""
    connection = db.session.connection()
    lines = connection.exec_driver_sql(
        "EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters
    ).scalars()
    db.session.rollback()
    return list(lines)


def plan_excerpt(lines: list[str]) -> list[str]:
    """How the rows were found (scans, rows filtered away) and what it cost in all."""
    keep = ("Scan", "Rows Removed", "Execution Time")
    total = [line.strip() for line in lines if "Buffers" in line][:1]
    return [line for line in lines if any(word in line for word in keep)][:12] + total


def due_steps(count: int) -> list[int]:
    """`count` fired steps of Kalimantan Selatan's open plans, due again (as if not fired)."""
    ids = list(
        db.session.scalars(
            select(ScheduledStep.id)
            .where(ScheduledStep.subject_kind == "plan", ScheduledStep.status == "done")
            .where(
                ScheduledStep.subject_id.in_(
                    db.select(db.text("p.id"))
                    .select_from(db.text("action_plan AS p JOIN region AS r ON r.id = p.region_id"))
                    .where(db.text("r.code LIKE '63%' AND p.state = scheduled_step.state"))
                )
            )
            .order_by(ScheduledStep.id)
            .limit(count)
        )
    )
    db.session.execute(
        update(ScheduledStep)
        .where(ScheduledStep.id.in_(ids))
        .values(status="pending", done_at=None)
    )
    db.session.commit()
    return ids


def put_back(ids: list[int], fired_at: datetime) -> None:
    db.session.execute(delete(Notification).where(Notification.step_id.in_(ids)))
    db.session.execute(
        update(ScheduledStep)
        .where(ScheduledStep.id.in_(ids))
        .values(status="done", done_at=fired_at)
    )
    db.session.commit()


def measure_sweep(now: datetime, due: int, rounds: int = 3) -> dict[str, Any]:
    cpu, wall, counts, plan = [], [], [], []
    probe = Statements()
    for _ in range(rounds):
        ids = due_steps(due)
        db.session.remove()
        with probe.listening(db.engine):
            began_cpu, began = time.process_time(), time.perf_counter()
            fired = run_sweep(now)
            wall.append(time.perf_counter() - began)
            cpu.append(time.process_time() - began_cpu)
        counts.append(len(probe.seen))
        if len(fired) != len(ids):
            raise RuntimeError(f"the sweep fired {len(fired)} of {len(ids)} due steps")
        if not plan:
            first = next(s for s in probe.seen if "FROM scheduled_step" in s[0])
            plan = plan_excerpt(explain(first[0], first[1]))
        put_back(ids, now)
    return {
        "due": due,
        "cpu_ms": round(statistics.median(cpu) * 1000, 1),
        "wall_ms": round(statistics.median(wall) * 1000, 1),
        "statements": max(counts),
        "per_step_cpu_ms": round(statistics.median(cpu) * 1000 / max(due, 1), 2),
        "due_query_plan": plan,
    }


def measure_verify() -> dict[str, Any]:
    began_cpu, began = time.process_time(), time.perf_counter()
    verdict = verify_database(db.engine)
    wall, cpu = time.perf_counter() - began, time.process_time() - began_cpu
    return {
        "ok": verdict.ok,
        "breaks": len(verdict.breaks),
        "chains": verdict.chains,
        "rows": verdict.rows,
        "wall_s": round(wall, 1),
        "cpu_s": round(cpu, 1),
        "us_per_row": round(wall * 1e6 / max(verdict.rows, 1), 1),
    }


PAGES = (
    ("tasks_provincial", PROVINCIAL, "/tasks"),
    ("tasks_drafter", DRAFTER, "/tasks"),
    ("plans_provincial", PROVINCIAL, "/plans"),
    ("dashboard_provincial", PROVINCIAL, "/dashboard"),
)


def measure(url: str, requests: int, due: int, *, explain_plans: bool, verify: bool) -> dict:
    os.environ.setdefault("WORKFLOW_APP_INSTANCE_PATH", tempfile.mkdtemp(prefix="wf-national-"))
    app = make_app(url)
    logging.getLogger("workflow_app").setLevel(logging.WARNING)  # no line per request
    with app.app_context():
        engine = db.engine
    figures: dict[str, Any] = {}
    clients = {}
    # No application context around the requests: Flask-Login keeps the signed-in user in
    # `g`, which would then outlive a request and sign every client in as the first one.
    for name, username, path in PAGES:
        client = clients.get(username) or sign_in(app, username)
        clients[username] = client
        found = measure_page(client, engine, path, requests)
        slowest = found.pop("slowest")
        print(
            f"  {name:<22} {path:<11} cpu {found['cpu_ms']:7.1f} ms  wall"
            f" {found['wall_ms']:7.1f} ms  {found['statements']:3d} statements"
            f"  sql {found['sql_ms']:6.1f} ms  {found['bytes']:,} bytes",
            flush=True,
        )
        if explain_plans:
            found["explain"] = []
            for statement, parameters, seconds in slowest:
                with app.app_context():
                    excerpt = plan_excerpt(explain(statement, parameters))
                short = " ".join(statement.split())
                found["explain"].append(
                    {"ms": round(seconds * 1000, 2), "sql": short[:300], "plan": excerpt}
                )
                print(f"    {seconds * 1000:7.2f} ms: {short[:160]}")
                for line in excerpt:
                    print(f"        {line}")
        figures[name] = found
    with app.app_context():
        db.session.remove()
        figures["sweep"] = measure_sweep(datetime.now(UTC), due)
        sweep = figures["sweep"]
        print(
            f"  sweep ({due} due)           cpu {sweep['cpu_ms']:7.1f} ms  wall"
            f" {sweep['wall_ms']:7.1f} ms  {sweep['statements']} statements",
            flush=True,
        )
        for line in sweep["due_query_plan"]:
            print(f"        {line}")
        if verify:
            figures["audit_verify"] = found = measure_verify()
            print(
                f"  audit verify: {found['rows']:,} rows in {found['chains']:,} chains,"
                f" {found['wall_s']} s ({found['us_per_row']} µs per row), ok {found['ok']}",
                flush=True,
            )
        db.session.remove()
        db.engine.dispose()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", nargs="?", choices=("generate", "measure"))
    parser.add_argument("--provinces", type=int, default=1)
    parser.add_argument("--plans", type=int, default=100, help="plans per district (10 years)")
    parser.add_argument("--requests", type=int, default=15)
    parser.add_argument("--due", type=int, default=20, help="steps due for the sweep")
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--verify", action="store_true", help="time `audit verify` too")
    parser.add_argument("--database-url")
    parser.add_argument("--smoke", action="store_true", help="tiny: a fresh database, dropped")
    args = parser.parse_args()
    now = datetime.now(UTC)
    print("\n".join(machine_lines()), flush=True)
    if args.smoke:
        smoke(args.database_url or SMOKE_URL, now)
        return
    url = web.ensure_database(args.database_url or DEFAULT_URL)
    if args.action == "generate":
        done = generate(url, args.provinces, args.plans, now)
        counts = row_counts(url)
        print(f"added provinces {done['added']} in {done['seconds']} s")
        print("rows: " + ", ".join(f"{t} {n:,}" for t, n in counts.items() if n))
        emit(
            "national-generate",
            {},
            {
                **done,
                "rows": counts,
                "total_rows": sum(counts.values()),
                "size": database_size(url),
            },
        )
    elif args.action == "measure":
        counts = row_counts(url)
        provinces = scalar_url(url, "SELECT count(*) FROM region WHERE parent_id IS NULL")
        print(f"{provinces} provinces, {sum(counts.values()):,} rows, {database_size(url)}")
        figures = measure(
            url, args.requests, args.due, explain_plans=args.explain, verify=args.verify
        )
        emit(
            "national",
            {},
            {"provinces": provinces, "total_rows": sum(counts.values()), **figures},
        )
    else:
        parser.error("generate or measure (or --smoke)")


def scalar_url(url: str, statement: str) -> Any:
    with psycopg.connect(web.libpq_dsn(url)) as conn:
        return scalar(conn, statement)


def smoke(url: str, now: datetime) -> None:
    """Generate two provinces of a few plans per district in a fresh database, migrated;
    measure with EXPLAIN and verify; drop it."""
    url = web.ensure_database(url)
    env = {**os.environ, "DATABASE_URL": url}
    try:
        subprocess.run(
            [str(ROOT / ".venv" / "bin" / "workflow-app"), "db", "upgrade"],
            check=True,
            env=env,
            capture_output=True,
        )
        done = generate(url, 2, 4, now)
        figures = measure(url, 2, 2, explain_plans=True, verify=True)
        if not figures["audit_verify"]["ok"]:
            raise SystemExit("audit verify found breaks in the generated chains")
        emit("national-smoke", {}, {"generate": done, **figures})
    finally:
        web.drop_database(url)


if __name__ == "__main__":
    main()
