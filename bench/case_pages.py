"""The pages of the kinds declared as data, in process, against the plan page and a minimal
route of the same app, in the same run: requests per second (each a share of the minimal
route's) and SQL statements per request.

    .venv/bin/python bench/case_pages.py [--requests 200] [--rounds 3] [--smoke]
        [--database-url postgresql://postgres@127.0.0.1:5432/wf_case_bench]

Runs on PostgreSQL in a database of its own (created if missing; never the suite's `test`;
its tables are dropped at the end) seeded with the demo data plus `--cases` more DAK
proposals and Pokja decrees spread over the districts. Pages, as their usual reader:
/cases/dak_sanitation/<id> (the proposal waiting for its agencies' sign-off, as a Pokja member
asked), /cases/sk_pokja (the list, as the provincial reviewer), /tasks (as the provincial
reviewer: plans, reports and every declared kind), /plans/<id> (Tanah Laut's monitored plan,
its nearest built-in peer). The pages take turns over `--rounds`, so other load on the machine
weighs on all alike; the best round of each counts. Ends with one line of JSON (bench/report.py):
ratios `dak_case`, `sk_list`, `tasks_province`, `plan_page` (rate / the minimal route's), and
per page its rate and statements. Run on demand; never as a timed test.
"""

# ruff: noqa: E402 -- the import path is fixed below before anything else is imported.
from __future__ import annotations

import sys
from pathlib import Path

_HERE = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

import argparse
import time
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from bench.report import emit
from bench.transitions import bench_app, ensure_database, libpq_dsn
from bench.web import machine_lines_with_server
from workflow_app import demo
from workflow_app.cases.operations import open_case
from workflow_app.extensions import db
from workflow_app.regions.models import Region
from workflow_app.unit_of_work import unit_of_work

PASSWORD = "bench-sandi-2026"
PING = "/bench-ping"


def seed(app: Flask, extra: int) -> dict[str, str]:
    """The demo data and `extra` more cases of each kind; the pages' paths."""
    with app.app_context():
        db.drop_all()
        db.create_all()
        with unit_of_work():
            data = demo.build_demo(PASSWORD)
        with unit_of_work():
            regions = db.session.scalars(db.select(Region).where(Region.kind != "province"))
            districts = list(regions)
            for n in range(extra):
                region = districts[n % len(districts)]
                drafter = data.users[f"drafter.{region.code}"]
                typed = {"decree_kind": "formation", "decree_number": f"SK/{n}"}
                open_case(drafter, "sk_pokja", region, typed)
                if n % 2:
                    open_case(drafter, "dak_sanitation", region, {"year": 2027})
        proposal = data.cases["dak_sanitation"]
        plan = data.plans["6301"]
        paths = {
            "dak case (pokja member)": f"/cases/dak_sanitation/{proposal.id}",
            "sk list (province)": "/cases/sk_pokja",
            "tasks (province)": "/tasks",
            "plan page (drafter)": f"/plans/{plan.id}",
        }
    return paths


READERS = {
    "dak case (pokja member)": "pokja.dlh.6301",
    "sk list (province)": "provincial.63",
    "tasks (province)": "provincial.63",
    "plan page (drafter)": "drafter.6301",
}


# The names of the JSON line's ratios and figures.
KEYS = {
    "minimal route": "minimal",
    "dak case (pokja member)": "dak_case",
    "sk list (province)": "sk_list",
    "tasks (province)": "tasks_province",
    "plan page (drafter)": "plan_page",
}


def signed_in(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="', 1)[1].split('"', 1)[0]
    answer = client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": token}
    )
    assert answer.status_code == 302, f"login of {username}: {answer.status_code}"
    return client


def rate(get: Callable[[], int], requests: int) -> float:
    start = time.perf_counter()
    for _ in range(requests):
        assert get() == 200
    return requests / (time.perf_counter() - start)


def statements(app: Flask, get: Callable[[], object]) -> int:
    count = 0

    def counted(*args: object) -> None:
        nonlocal count
        count += 1

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", counted)
    try:
        get()
    finally:
        event.remove(engine, "before_cursor_execute", counted)
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument(
        "--database-url", default="postgresql://postgres@127.0.0.1:5432/wf_case_bench"
    )
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: does it run at all")
    args = parser.parse_args()
    if args.smoke:
        args.requests, args.rounds, args.cases = 5, 1, 4
    url = ensure_database(args.database_url)
    # Page views publish nothing: an in-memory broker.
    app = bench_app(url, pool_size=2, broker_url="memory://")
    app.config["WTF_CSRF_ENABLED"] = True

    @app.get(PING)
    def ping() -> str:
        return "ok"

    paths = seed(app, args.cases)
    try:
        clients = {name: signed_in(app, READERS[name]) for name in paths}
        gets: dict[str, Callable[[], int]] = {
            name: (lambda c=clients[name], p=path: c.get(p).status_code)
            for name, path in paths.items()
        }
        gets = {
            "minimal route": lambda: clients["plan page (drafter)"].get(PING).status_code
        } | gets
        for get in gets.values():  # warm the caches and the template compilation
            get()
        best = dict.fromkeys(gets, 0.0)
        for round_number in range(1, args.rounds + 1):
            for name, get in gets.items():
                best[name] = max(best[name], rate(get, args.requests))
            print(f"round {round_number}: " + ", ".join(f"{n} {best[n]:.0f}/s" for n in gets))
        print("\n".join(machine_lines_with_server(libpq_dsn(url))))
        print(f"data: the demo plus {args.cases} decrees and {args.cases // 2} DAK proposals")
        figures: dict[str, dict[str, float]] = {}
        for name, get in gets.items():
            share = best[name] / best["minimal route"]
            counted = statements(app, get)
            print(
                f"{name:26} {best[name]:8.0f} req/s  {share:5.3f} of the minimal route  "
                f"{counted:3d} SQL statements"
            )
            figures[KEYS[name]] = {"rps": round(best[name], 1), "statements": counted}
        ratios = {
            KEYS[name]: best[name] / best["minimal route"] for name in gets if name in READERS
        }
    finally:
        with app.app_context():
            db.session.remove()
            db.drop_all()
    emit("case_pages", ratios, figures)


if __name__ == "__main__":
    main()
