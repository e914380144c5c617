"""CPU per request, in process, of the pages the locust mix opens: the plan page
(GET /plans/<id>) for a drafter, a district reviewer and the provincial reviewer, My tasks,
the plan and report lists (and the dashboard) for the provincial reviewer and a drafter, the
login page (GET and POST /login) and a transition's round trip (POST /plans/<id>/transition,
then the plan page it redirects to); SQL statements per request.

    .venv/bin/python bench/pages.py [--plans 200] [--requests 40] [--rounds 3] [--seed]
        [--capture DIR] [--profile FILE] [--only NAME,...] [--smoke]
        [--database-url postgresql://postgres@127.0.0.1:5432/wf_h_page_bench]
        [--redis-url redis://127.0.0.1:6379/8]

Runs the production profile (its cache and rate limits in the given Redis database, flushed
first) on PostgreSQL, in a database of its own seeded by bench/web.py's `seed` (13 districts ×
`--plans` plans) when `--seed` is given or the tables are empty; the tables are kept, so that a
"before" (a git worktree of an earlier commit, running its own copy of this script) and an
"after" read the same data. CPU is `time.process_time()` of this process (the Flask test
client's share included, the database server's excluded); each case's best round counts.

`--capture DIR`: instead of timing, write the plan pages of a dozen plans in every state, as
each of the three readers, in Indonesian and English, to DIR (CSRF tokens blanked), for a
`diff -r` between two runs. Ends with one line of JSON (bench/report.py).
"""

# ruff: noqa: E402 -- the import path is fixed below before anything else is imported.
from __future__ import annotations

import sys
from pathlib import Path

_HERE = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

import argparse
import cProfile
import os
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime

import psycopg
import redis
from flask import Flask
from flask.testing import FlaskClient

from bench import web
from bench.case_pages import statements as counted_statements
from bench.report import emit
from workflow_app import create_app
from workflow_app.accounts.models import password_hasher
from workflow_app.extensions import db

PASSWORD = "bench-sandi-2026"
READERS = {"drafter": "drafter.6301", "reviewer": "reviewer.6301", "province": "provincial.63"}
# What differs between two captures of the same data: time-signed CSRF tokens, and the seconds
# until the session-timeout warning.
TOKEN = re.compile(r'((?:name="csrf_token"[^>]*?value=|data-csrf-token=|data-check-in=)")[^"]*(")')
BASE = "https://localhost"


# The pages of the locust mix besides the plan page (bench/locustfile.py).
LIST_PAGES = ("/tasks", "/plans", "/plans?page=2", "/reports")


def plan_id(district: int, n: int, per: int) -> int:
    """bench/web.py's ids: district `district` (1-based), its n-th plan (state slot 1 + n % 20)."""
    return (district - 1) * per + n


def sample_plans(per: int) -> list[int]:
    """Plans of Tanah Laut (the first district) in every state, twice over the slots."""
    return [plan_id(1, n, per) for n in range(1, min(per, 40) + 1, 3)]


def make_app(url: str, redis_url: str) -> Flask:
    os.environ["WORKFLOW_APP_PROFILE"] = "production"
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "REDIS_URL": redis_url,
            "CELERY_BROKER_URL": "memory://",
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 2, "max_overflow": 2},
        }
    )
    app.config["WTF_CSRF_ENABLED"] = True
    return app


def seeded(dsn: str) -> bool:
    with psycopg.connect(dsn) as conn:
        found = conn.execute("SELECT to_regclass('action_plan') IS NOT NULL").fetchone()
        if not found or not found[0]:
            return False
        return bool(conn.execute("SELECT count(*) FROM action_plan").fetchone()[0])


def token_of(page: str) -> str:
    return page.split('name="csrf_token" type="hidden" value="', 1)[1].split('"', 1)[0]


def log_in(app: Flask, username: str, language: str = "id") -> FlaskClient:
    client = app.test_client()
    headers = {"Accept-Language": language, "Referer": f"{BASE}/login"}
    page = client.get("/login", base_url=BASE, headers=headers).get_data(as_text=True)
    answer = client.post(
        "/login",
        base_url=BASE,
        headers=headers,
        data={"username": username, "password": PASSWORD, "csrf_token": token_of(page)},
    )
    assert answer.status_code == 302, f"login of {username}: {answer.status_code}"
    return client


def cpu_ms(call: Callable[[], object], requests: int) -> float:
    started = time.process_time()
    for _ in range(requests):
        call()
    return (time.process_time() - started) * 1000 / requests


def get_page(client: FlaskClient, path: str, language: str = "id") -> Callable[[], str]:
    def call() -> str:
        answer = client.get(path, base_url=BASE, headers={"Accept-Language": language})
        assert answer.status_code == 200, f"{path}: {answer.status_code}"
        return answer.get_data(as_text=True)

    return call


def login_round(app: Flask) -> Callable[[], None]:
    """A fresh browser's GET /login and POST /login (the argon2 check included)."""

    def call() -> None:
        log_in(app, READERS["drafter"])

    return call


def login_get(app: Flask) -> Callable[[], None]:
    client = app.test_client()

    def call() -> None:
        answer = client.get("/login", base_url=BASE)
        assert answer.status_code == 200

    return call


def transition_round(app: Flask, per: int) -> Callable[[], None]:
    """A district reviewer returns a plan in district review, its drafter submits it again:
    each POST then the plan page it redirects to (as locust does). The data stays as it was,
    but for the history rows."""
    reviewer, drafter = log_in(app, READERS["reviewer"]), log_in(app, READERS["drafter"])
    # Slot 3 (n % 20 == 2) and 4 are district review: n = 2, 3, 22, 23 ...
    plans = [plan_id(1, n, per) for n in range(2, per + 1) if n % 20 in (2, 3)][-4:]
    turn = [0]

    def post(client: FlaskClient, plan: int, trigger: str) -> None:
        page = client.get(f"/plans/{plan}", base_url=BASE).get_data(as_text=True)
        start = page.index(f'id="action-{trigger}"')
        block = page[start : page.index("</form>", start)]
        version = re.search(r'name="version"[^>]*value="(\d+)"', block)
        version = version or re.search(r'value="(\d+)"[^>]*name="version"', block)
        form = {"csrf_token": token_of(block), "trigger": trigger, "version": version.group(1)}
        if trigger == "return":
            form["comment"] = "Lengkapi data dukung dan target tahunan (uji beban)."
        answer = client.post(
            f"/plans/{plan}/transition",
            base_url=BASE,
            data=form,
            headers={"Referer": f"{BASE}/plans/{plan}"},
        )
        assert answer.status_code == 303, f"{trigger} {plan}: {answer.status_code}"
        assert client.get(f"/plans/{plan}", base_url=BASE).status_code == 200

    def call() -> None:
        plan = plans[turn[0] % len(plans)]
        turn[0] += 1
        post(reviewer, plan, "return")
        post(drafter, plan, "submit")

    return call


def capture(app: Flask, per: int, folder: Path) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    written = 0
    plans = sample_plans(per)
    for language in ("id", "en"):
        for who, username in READERS.items():
            client = log_in(app, username, language)
            for plan in plans:
                page = get_page(client, f"/plans/{plan}", language)()
                page = TOKEN.sub(r"\1-\2", page)
                (folder / f"{who}-{language}-{plan}.html").write_text(page)
                written += 1
    return written


def cases(app: Flask, per: int) -> dict[str, Callable[[], object]]:
    clients = {who: log_in(app, username) for who, username in READERS.items()}
    plans = sample_plans(per)
    # The monitored plan of slot 10 (n = 9): realisation, reports and the longest history.
    monitored = plan_id(1, 9, per)
    found: dict[str, Callable[[], object]] = {}
    for who in READERS:
        pages = [get_page(clients[who], f"/plans/{plan}") for plan in plans]
        turn = [0]

        def mixed(pages: list[Callable[[], str]] = pages, turn: list[int] = turn) -> None:
            pages[turn[0] % len(pages)]()
            turn[0] += 1

        found[f"plan mix ({who})"] = mixed
        found[f"plan monitored ({who})"] = get_page(clients[who], f"/plans/{monitored}")
    # The locust mix's other pages, as the two readers whose lists are longest and shortest.
    for who in ("province", "drafter"):
        for path in LIST_PAGES + (("/dashboard",) if who == "province" else ()):
            found[f"{path} ({who})"] = get_page(clients[who], path)
    found["login GET"] = login_get(app)
    found["login GET+POST"] = login_round(app)
    found["transition round (2 POST + 4 GET)"] = transition_round(app, per)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--plans", type=int, default=200)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", action="store_true", help="seed again even when seeded")
    parser.add_argument("--capture", type=Path)
    parser.add_argument("--profile", type=Path)
    parser.add_argument("--only", default="", help="comma-separated case names (substrings)")
    parser.add_argument(
        "--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/wf_h_page_bench"
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/8")
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args()
    if args.smoke:
        args.requests, args.rounds = 3, 1
    url = web.ensure_database(args.database_url)
    dsn = web.libpq_dsn(url)
    redis.Redis.from_url(args.redis_url).flushdb()
    app = make_app(url, args.redis_url)
    if args.seed or not seeded(dsn):
        with app.app_context():
            hashed = password_hasher.hash(PASSWORD)
            seconds = web.seed(dsn, args.plans, datetime.now(UTC), hashed)
            db.session.remove()
        print(f"seeded 13 districts x {args.plans} plans in {seconds:.1f} s", flush=True)
    if args.capture:
        print(f"captured {capture(app, args.plans, args.capture)} pages in {args.capture}")
        return
    calls = cases(app, args.plans)
    if args.only:
        wanted = args.only.split(",")
        calls = {name: call for name, call in calls.items() if any(w in name for w in wanted)}
    for call in calls.values():  # warm caches and compiled templates
        call()
    print(f"load at start: {os.getloadavg()}")
    if args.profile:
        profile = cProfile.Profile(time.process_time)  # CPU, not waits on the database
        for call in calls.values():
            profile.runcall(cpu_ms, call, args.requests)
        profile.dump_stats(str(args.profile))
    best = dict.fromkeys(calls, float("inf"))
    for number in range(1, args.rounds + 1):
        for name, call in calls.items():
            best[name] = min(best[name], cpu_ms(call, args.requests))
        print(f"round {number}: " + ", ".join(f"{n} {best[n]:.1f}" for n in calls), flush=True)
    figures = {}
    for name, call in calls.items():
        statements = counted_statements(app, call)
        print(f"{name:36} {best[name]:7.2f} ms CPU  {statements:3d} SQL statements")
        figures[name] = {"cpu_ms": round(best[name], 2), "statements": statements}
    print(f"load at end: {os.getloadavg()}")
    emit("pages", {name: f["cpu_ms"] for name, f in figures.items()}, figures)


if __name__ == "__main__":
    main()
