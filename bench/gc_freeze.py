"""Latency of the provincial /tasks page in process, with and without gc.freeze() after the app
is loaded (what workflow_app/wsgi.py does for gunicorn).

    .venv/bin/python bench/gc_freeze.py [--plans 200] [--requests 600] [--rounds 2]
        [--database-url postgresql://postgres@127.0.0.1:5432/wf_gc_bench] [--keep] [--smoke]

Seeds bench/web.py's data (13 districts x --plans plans) in a database of its own, then runs,
in fresh interpreters that take turns over --rounds (one app each, Flask's test client, signed
in through the form as provincial.63): --requests requests of /tasks after a warm-up, timed
one by one. Prints per way p50, p99 and max, the full (generation 2) collections during the
run and their pauses, and ends with one line of JSON. Run on demand; never as a timed test.
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
import gc
import html
import json
import os
import re
import secrets
import statistics
import subprocess
import tempfile
import time
from datetime import UTC, datetime
from typing import Any

from argon2 import PasswordHasher

from bench import web
from bench.report import emit, machine_lines
from workflow_app import create_app
from workflow_app.extensions import db
from workflow_app.wsgi import freeze_loaded

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/wf_gc_bench"
WAYS = ("not frozen", "frozen")


def measure(url: str, password: str, requests: int, freeze: bool) -> dict[str, Any]:
    """In this (fresh) process: the app, maybe frozen, then `requests` timed page views."""
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "CELERY_BROKER_URL": "memory://"}
    )
    if freeze:
        freeze_loaded()
    frozen = gc.get_freeze_count()
    client = app.test_client()
    page = client.get("/login")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)
    assert token is not None
    form = {"csrf_token": html.unescape(token.group(1)), "password": password}
    signed_in = client.post("/login", data={**form, "username": web.PROVINCIAL})
    assert signed_in.status_code == 302, signed_in.status_code
    for _ in range(20):  # warm-up: templates compiled, caches filled
        assert client.get("/tasks").status_code == 200
    pauses: list[float] = []
    started: list[float] = []

    def watch(phase: str, info: dict[str, int]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            started.append(time.perf_counter())
        elif started:
            pauses.append(time.perf_counter() - started.pop())

    gc.callbacks.append(watch)
    times = []
    for _ in range(requests):
        began = time.perf_counter()
        response = client.get("/tasks")
        times.append(time.perf_counter() - began)
        assert response.status_code == 200
    gc.callbacks.remove(watch)
    times.sort()
    return {
        "frozen_objects": frozen,
        "tracked_objects": len(gc.get_objects()),
        "times_ms": [round(t * 1000, 2) for t in times],
        "full_collections": len(pauses),
        "full_collection_ms": [round(p * 1000, 1) for p in pauses],
    }


def percentile(sorted_ms: list[float], share: float) -> float:
    """Nearest rank."""
    return sorted_ms[min(len(sorted_ms) - 1, max(0, round(share * len(sorted_ms)) - 1))]


def child(args: argparse.Namespace) -> None:
    found = measure(args.database_url, args.password, args.requests, args.freeze)
    print(json.dumps(found))


def run_child(args: argparse.Namespace, url: str, password: str, freeze: bool) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", "--database-url", url]
    command += ["--password", password, "--requests", str(args.requests)]
    if freeze:
        command.append("--freeze")
    done = subprocess.run(command, capture_output=True, text=True, timeout=3600)
    if done.returncode != 0:
        sys.exit(f"the measuring process failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--plans", type=int, default=200, help="plans per district")
    parser.add_argument("--requests", type=int, default=600, help="timed requests per way")
    parser.add_argument("--rounds", type=int, default=2, help="alternations of the two ways")
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--freeze", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--password", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    if args.smoke:
        args.plans, args.requests, args.rounds = 3, 20, 1

    url = web.ensure_database(args.database_url)
    dsn = web.libpq_dsn(url)
    os.environ["WORKFLOW_APP_INSTANCE_PATH"] = tempfile.mkdtemp(prefix="wf-gc-bench-")
    print("\n".join(machine_lines()), flush=True)
    password = secrets.token_urlsafe(16)
    now = datetime.now(UTC)
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "CELERY_BROKER_URL": "memory://"}
    )
    runs: dict[str, list[dict[str, Any]]] = {way: [] for way in WAYS}
    try:
        with app.app_context():
            print(f"seeding {len(web.DISTRICTS)} districts x {args.plans} plans ...", flush=True)
            web.seed(dsn, args.plans, now, PasswordHasher().hash(password))
            db.session.remove()
            db.engine.dispose()
        print("\n".join(web.data_sizes(dsn, now)), flush=True)
        for index in range(args.rounds):
            for way in WAYS:
                found = run_child(args, url, password, freeze=way == "frozen")
                runs[way].append(found)
                times = found["times_ms"]
                print(
                    f"  round {index + 1} {way:<10}: p50 {percentile(times, 0.5):6.1f} ms,"
                    f" p99 {percentile(times, 0.99):6.1f} ms, max {times[-1]:6.1f} ms;"
                    f" {found['full_collections']} full collections"
                    f" {found['full_collection_ms']} ms; frozen {found['frozen_objects']:,}",
                    flush=True,
                )
    finally:
        if not args.keep:
            web.drop_database(url)

    figures: dict[str, Any] = {"requests": args.requests, "rounds": args.rounds}
    for way, found in runs.items():
        times = sorted(t for run in found for t in run["times_ms"])
        pauses = [p for run in found for p in run["full_collection_ms"]]
        figures[way.replace(" ", "_")] = {
            "p50_ms": percentile(times, 0.5),
            "p99_ms": percentile(times, 0.99),
            "max_ms": times[-1],
            "full_collections": len(pauses),
            "full_collection_ms_median": statistics.median(pauses) if pauses else 0,
            "frozen_objects": found[0]["frozen_objects"],
        }
        print(
            f"{way:<10}: p50 {figures[way.replace(' ', '_')]['p50_ms']:6.1f} ms,"
            f" p99 {figures[way.replace(' ', '_')]['p99_ms']:6.1f} ms,"
            f" {len(pauses)} full collections (median"
            f" {figures[way.replace(' ', '_')]['full_collection_ms_median']} ms)"
        )
    ratio = figures["not_frozen"]["p99_ms"] / figures["frozen"]["p99_ms"]
    emit("gc_freeze", {"p99_not_frozen_vs_frozen": ratio}, figures)


if __name__ == "__main__":
    main()
