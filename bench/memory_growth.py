"""Where a web worker's memory grows, traced in one process: the app built as gunicorn's master
builds it (workflow_app.wsgi.create_app: templates compiled, start-up frozen), then tracemalloc
from that moment (as from the fork) while a test client logs in every bench user and reads the
locust mix's pages; then the live growth by file and the top tracebacks, and the caches.

    .venv/bin/python bench/memory_growth.py [--database-url postgresql://.../wf_mem] [--rounds 2]

A diagnosis tool (tracing slows every request several times: in a gunicorn worker under
bench/load.py the requests time out, hence this); never a timed test. Uses bench/web.py's seed.
"""

# ruff: noqa: E402 -- the import path is fixed below before anything else is imported.
from __future__ import annotations

import sys
from pathlib import Path

_HERE = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

import argparse
import gc
import html
import os
import random
import re
import tempfile
import tracemalloc
from datetime import UTC, datetime
from typing import Any

from bench import web
from bench.memory_trace_gunicorn import cache_sizes, mallinfo, smaps_rollup
from workflow_app.accounts.models import password_hasher
from workflow_app.extensions import db
from workflow_app.regions.catalogue import DISTRICTS

PASSWORD = "bench-memory-growth"
PAGES = ("/tasks", "/plans", "/reports", "/dashboard")
CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def seed(url: str, plans: int) -> None:
    from workflow_app import create_app

    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "CELERY_BROKER_URL": "memory://"}
    )
    with app.app_context():
        web.seed(web.libpq_dsn(url), plans, datetime.now(UTC), password_hasher.hash(PASSWORD))
        db.session.remove()
        db.engine.dispose()


def usernames(districts: int) -> list[tuple[str, str | None]]:
    """(username, district code) of a drafter and a reviewer per district, and the province."""
    kinds = ("drafter", "reviewer")
    found = [(f"{kind}.{d.code}", d.code) for d in DISTRICTS[:districts] for kind in kinds]
    return [*found, ("provincial.63", None)]


def serve(app: Any, rounds: int, districts: int, plans: dict[str, list[int]]) -> int:
    """Each user logs in and reads the mix's pages (plans of its district), `rounds` times;
    the requests made."""
    every_plan = [plan for ids in plans.values() for plan in ids]
    made = 0
    for _ in range(rounds):
        for username, code in usernames(districts):
            client = app.test_client()
            token = CSRF_FIELD.search(client.get("/login").get_data(as_text=True))
            assert token is not None, "no CSRF token on the login page"
            form = {"csrf_token": html.unescape(token.group(1)), "username": username}
            answer = client.post("/login", data={**form, "password": PASSWORD})
            assert answer.status_code == 302, (username, answer.status_code)
            readable = plans[code] if code else every_plan
            for path in [*PAGES, *(f"/plans/{i}" for i in random.sample(readable, 4))]:
                client.get(path)
                made += 1
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/wf_mem")
    parser.add_argument("--plans", type=int, default=60, help="plans per district")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--districts", type=int, default=4, help="districts whose users log in")
    parser.add_argument("--frames", type=int, default=4)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    url = web.ensure_database(args.database_url)
    os.environ["WORKFLOW_APP_INSTANCE_PATH"] = tempfile.mkdtemp(prefix="wf-memory-growth-")
    seed(url, args.plans)

    from workflow_app import wsgi

    os.environ.update(DATABASE_URL=url, SECRET_KEY="bench", CELERY_BROKER_URL="memory://")
    for scope in ("IP", "USERNAME", "ACCOUNT"):  # every login comes from one address
        os.environ[f"WORKFLOW_APP_LOGIN_LIMIT_PER_{scope}"] = "100000 per minute"
    app = wsgi.create_app()
    with app.app_context():
        rows = db.session.execute(
            db.text("SELECT r.code, p.id FROM action_plan p JOIN region r ON r.id = p.region_id")
        )
        plans: dict[str, list[int]] = {}
        for code, plan_id in rows:
            plans.setdefault(code, []).append(plan_id)
        db.session.remove()
    random.seed(17)
    start = smaps_rollup()
    tracemalloc.start(args.frames)
    made = serve(app, args.rounds, args.districts, plans)
    gc.collect()
    snapshot = tracemalloc.take_snapshot().filter_traces(
        [tracemalloc.Filter(False, tracemalloc.__file__)]
    )
    end = smaps_rollup()
    total = sum(stat.size for stat in snapshot.statistics("filename"))
    print(f"{made} requests; traced live growth {total / 2**20:.1f} MiB")
    print(f"anonymous {start['Anonymous'] / 1024:.1f} -> {end['Anonymous'] / 1024:.1f} MiB")
    print("mallinfo", mallinfo())
    print("caches", cache_sizes(app))
    for stat in snapshot.statistics("filename")[: args.top]:
        print(f"  {stat.size / 2**20:7.2f} MiB {stat.count:8}  {stat.traceback[0].filename}")
    for stat in snapshot.statistics("traceback")[: args.top]:
        print(f"--- {stat.size / 2**20:.2f} MiB in {stat.count} blocks")
        for line in stat.traceback.format(most_recent_first=True)[: args.frames * 2]:
            print("    " + line)


if __name__ == "__main__":
    main()
