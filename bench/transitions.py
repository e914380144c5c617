"""Transitions per second through `operations.transition`, against the same writes as raw SQL.

    .venv/bin/python bench/transitions.py [--clients 4] [--plans 200] [--database-url URL]
        [--rounds 4] [--mode threads|processes] [--profile FILE]

Runs on PostgreSQL, in a database of its own (`wf_bench` by default, created if missing; its
tables are dropped at the end). Each of C concurrent clients moves its own plans
district_review -> provincial_sync -> approved: first through the operation, one unit of work
per transition as a request would do it (load the actor and the plan, check, change, history
row, commit), then as raw SQL through psycopg (read the plan, version-checked UPDATE, lock
the chain root's row, read the chain's tail by chain_kind/chain_id, INSERT of the history row
with its subject and chain columns and a format-2 hash, COMMIT). The two workloads alternate
over a few rounds, so that other load on the machine weighs on both alike. Both rates and
their ratio are printed with the machine. Run on demand; never as a timed test.
"""

# ruff: noqa: E402 -- the import path is fixed below before anything else is imported.
from __future__ import annotations

import sys
from pathlib import Path

# This file is named like the `transitions` library the engine runs on, and Python puts the
# script's folder first on the import path: take it off, or `import transitions` finds us.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != _HERE]

import argparse
import cProfile
import multiprocessing
import os
import platform
import pstats
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import psycopg
from flask import Flask
from psycopg import sql
from sqlalchemy import select
from sqlalchemy.engine import make_url

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
STEPS = (("reviewer", "forward"), ("provincial", "approve"))  # each plan takes both, in order
# The canonical form the raw client hashes its rows in (audit/chain.HASHED_COLUMNS[2]: the
# subject and chain columns), as the operation hashes new rows.
HASH_FORMAT = 2


@dataclass
class Client:
    """One concurrent client: its district's reviewer and the plans it moves."""

    reviewer_id: int
    provincial_id: int
    op_plans: list[int]
    raw_plans: list[int]


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
                targets={y: Decimal(y - 2020) for y in plan.years},
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


def seed(clients: int, plans: int) -> list[Client]:
    db.drop_all()
    db.create_all()
    regions = ensure_regions()
    provincial = _user("provincial.63", "provincial_reviewer", regions["63"])
    db.session.commit()
    seeded: list[Client] = []
    for index in range(clients):
        info = DISTRICTS[index % len(DISTRICTS)]
        region = regions[info.code]
        drafter = _user(f"drafter.{info.code}.{index}", "district_drafter", region)
        reviewer = _user(f"reviewer.{info.code}.{index}", "district_reviewer", region)
        db.session.flush()
        agency_id = db.session.scalars(
            select(Agency.id).where(Agency.region_id == region.id).limit(1)
        ).one()
        ids = []
        # Clients sharing a district (more clients than districts) number their plans on.
        first = index // len(DISTRICTS) * 2 * plans
        for n in range(first, first + 2 * plans):
            with unit_of_work():
                ids.append(_plan_in_district_review(drafter, region, agency_id, n))
        seeded.append(Client(reviewer.id, provincial.id, ids[:plans], ids[plans:]))
    return seeded


# --- the two workloads ----------------------------------------------------------------


def operation_client(app: Flask, client: Client, plans: slice) -> Callable[[], None]:
    def run() -> None:
        with app.app_context():
            for role, trigger in STEPS:
                actor_id = client.reviewer_id if role == "reviewer" else client.provincial_id
                for plan_id in client.op_plans[plans]:
                    # What a request does: the login manager loads the user, the view the plan.
                    with unit_of_work():
                        actor = load_user(str(actor_id))
                        assert actor is not None
                        plan = ops.load_visible_plan(actor, plan_id)
                        ops.transition(actor, plan, trigger, expected_version=plan.version)
                    # A request ends with the session removed (Flask-SQLAlchemy's teardown).
                    db.session.remove()

    return run


RAW_DESTINATIONS = {"forward": "provincial_sync", "approve": "approved"}
RAW_ROLES = {"reviewer": "district_reviewer", "provincial": "provincial_reviewer"}


def raw_client(dsn: str, client: Client, plans: slice) -> Callable[[], None]:
    def run() -> None:
        with psycopg.connect(dsn) as conn:
            for role, trigger in STEPS:
                actor_id = client.reviewer_id if role == "reviewer" else client.provincial_id
                for plan_id in client.raw_plans[plans]:
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

    return run


def bench_app(url: str, pool_size: int) -> Flask:
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": pool_size, "max_overflow": 2},
        }
    )


@dataclass
class Setup:
    mode: str  # "threads": clients share one process (and its GIL); "processes": one each
    app: Flask
    url: str
    dsn: str
    profiles: list[cProfile.Profile] | None = None  # one per operation client, when profiling


def worker(setup: Setup, kind: str, client: Client, plans: slice) -> Callable[[], None]:
    if kind == "raw":
        return raw_client(setup.dsn, client, plans)
    app = setup.app if setup.mode == "threads" else bench_app(setup.url, 1)
    work = operation_client(app, client, plans)
    if setup.profiles is None:
        return work
    profile = cProfile.Profile()
    setup.profiles.append(profile)
    return lambda: profile.runcall(work)


def _child(setup: Setup, kind: str, client: Client, plans: slice, start: Any) -> None:
    work = worker(setup, kind, client, plans)  # built before the clock starts
    start.wait()
    work()


def timed(setup: Setup, kind: str, clients: list[Client], plans: slice) -> float:
    """Run one workload with every client at once; the wall time until the last is done."""
    if setup.mode == "processes":
        context = multiprocessing.get_context("fork")
        start = context.Barrier(len(clients) + 1)
        db.engine.dispose()  # no pooled connection may be shared with the children
        procs = [
            context.Process(target=_child, args=(setup, kind, c, plans, start)) for c in clients
        ]
        for proc in procs:
            proc.start()
        start.wait()
        began = time.perf_counter()
        for proc in procs:
            proc.join()
        elapsed = time.perf_counter() - began
        if any(proc.exitcode != 0 for proc in procs):
            raise RuntimeError(f"a {kind} client failed")
        return elapsed

    workers = [worker(setup, kind, c, plans) for c in clients]
    barrier = threading.Barrier(len(workers) + 1)
    errors: list[BaseException] = []

    def wrap(work: Callable[[], None]) -> None:
        barrier.wait()
        try:
            work()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=wrap, args=(work,)) for work in workers]
    for thread in threads:
        thread.start()
    barrier.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    if errors:
        raise errors[0]
    return elapsed


# --- report -------------------------------------------------------------------------


def machine_description(dsn: str) -> list[str]:
    model = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with psycopg.connect(dsn) as conn:
        server = conn.execute("SHOW server_version").fetchone()[0]
    return [
        f"cores: {os.cpu_count()}",
        f"cpu: {model}",
        f"python: {platform.python_version()} ({platform.python_implementation()})",
        f"postgresql: {server}",
    ]


def check_results(clients: list[Client]) -> None:
    ids = [i for c in clients for i in (*c.op_plans, *c.raw_plans)]
    states = set(db.session.scalars(select(ActionPlan.state).where(ActionPlan.id.in_(ids))))
    if states != {"approved"}:
        raise RuntimeError(f"some plans did not end approved: {states}")


def run_rounds(setup: Setup, clients: list[Client], rounds: int) -> tuple[float, float]:
    """Alternate the two workloads `rounds` times; the seconds each took in total."""
    per_round = len(clients[0].op_plans) // rounds
    op_seconds = raw_seconds = 0.0
    for index in range(rounds):
        plans = slice(index * per_round, (index + 1) * per_round)
        op = timed(setup, "operation", clients, plans)
        raw = timed(setup, "raw", clients, plans)
        count = len(clients) * per_round * len(STEPS)
        print(
            f"  round {index + 1}: operation {count / op:7.1f}/s, raw {count / raw:7.1f}/s,"
            f" ratio {raw / op:.2f}",
            flush=True,
        )
        op_seconds, raw_seconds = op_seconds + op, raw_seconds + raw
    return op_seconds, raw_seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients")
    parser.add_argument("--plans", type=int, default=200, help="plans per client and workload")
    parser.add_argument("--rounds", type=int, default=4, help="alternations of the workloads")
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument(
        "--mode",
        choices=("threads", "processes"),
        default="threads",
        help="clients as threads of one process, or one process each (like gunicorn workers)",
    )
    parser.add_argument(
        "--profile", metavar="FILE", help="threads only: write a cProfile of the operation runs"
    )
    args = parser.parse_args()
    plans = args.plans - args.plans % args.rounds
    if plans <= 0:
        sys.exit("--plans must be at least --rounds")

    url = ensure_database(args.database_url)
    os.environ["WORKFLOW_APP_INSTANCE_PATH"] = tempfile.mkdtemp(prefix="wf-bench-")
    app = bench_app(url, args.clients)
    setup = Setup(args.mode, app, url, libpq_dsn(url), [] if args.profile else None)
    if args.profile and args.mode != "threads":
        sys.exit("--profile works with --mode threads only")
    print("\n".join(machine_description(setup.dsn)))
    with app.app_context():
        print(f"seeding {args.clients} clients x {2 * plans} plans ...", flush=True)
        clients = seed(args.clients, plans)
        db.session.remove()
        try:
            op_seconds, raw_seconds = run_rounds(setup, clients, args.rounds)
            check_results(clients)
        finally:
            db.session.remove()
            db.drop_all()
            db.engine.dispose()

    transitions = args.clients * plans * len(STEPS)
    op_rate, raw_rate = transitions / op_seconds, transitions / raw_seconds
    print(f"clients: {args.clients} {args.mode}, transitions per workload: {transitions}")
    print(f"operation: {op_rate:8.1f} transitions/s ({op_seconds:.2f} s)")
    print(f"raw SQL:   {raw_rate:8.1f} transitions/s ({raw_seconds:.2f} s)")
    print(f"ratio operation/raw: {op_rate / raw_rate:.2f}")
    if setup.profiles:
        pstats.Stats(*setup.profiles).dump_stats(args.profile)
        print(f"profile of the operation runs: {args.profile} (python -m pstats {args.profile})")


if __name__ == "__main__":
    main()
