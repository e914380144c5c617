"""The benchmarks run end to end: each bench script at a tiny scale (`--smoke`), on PostgreSQL
and a private Redis, ends with its line of JSON naming the ratios the README follows. Without
this they broke silently (escalation's second email round stopped with `not_due`).

The three run at once, each in a database of its own, so the module takes about as long as
the slowest (escalation: a Celery worker delivering); once per CI run, in the SQLite pass.
They are timed by nothing here: only that they finish and report.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import redis
from psycopg import sql
from sqlalchemy.engine import make_url

from bench.report import OWNER_KEY, own_redis_db
from tests.external import once_per_ci_run, private_database, require_postgres, unavailable
from tests.services.support import RedisServer, started
from workflow_app.config import normalise_database_url

ROOT = Path(__file__).resolve().parents[2]
RATIOS = {
    "escalation": ("email", "email_in_process_batches", "email_one_by_one", "sweep_1m_vs_10k"),
    "transitions": ("same_work",),
    "web": ("tasks_provincial", "tasks_drafter", "dashboard"),
}


def bench_database(server_url: str, name: str) -> str:
    url = make_url(normalise_database_url(server_url))
    return url.set(database=private_database(f"wf_bench_smoke_{name}")).render_as_string(
        hide_password=False
    )


def drop_database(url: str) -> None:
    parsed = make_url(url)
    admin = parsed.set(drivername="postgresql", database="postgres").render_as_string(False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(parsed.database)
            )
        )


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    once_per_ci_run("the benches' smoke run")
    server = started(RedisServer(tmp_path_factory.mktemp("bench-redis")))
    yield server
    server.stop()


class Runs:
    """The benches started at once; each one's (stdout, stderr) once it has finished."""

    def __init__(self, processes: dict[str, subprocess.Popen[str]]) -> None:
        self.processes = processes
        self.outputs: dict[str, tuple[str, str]] = {}

    def output(self, name: str) -> tuple[str, str]:
        if name not in self.processes:
            unavailable("wrk is not installed (apt-get install wrk): bench/web.py needs it")
        if name not in self.outputs:
            process = self.processes[name]
            try:
                self.outputs[name] = process.communicate(timeout=240)
            except subprocess.TimeoutExpired:
                process.kill()
                out, err = process.communicate()
                pytest.fail(
                    f"bench/{name}.py --smoke did not finish:\n{out[-3000:]}\n{err[-3000:]}"
                )
        out, err = self.outputs[name]
        assert self.processes[name].returncode == 0, f"{out[-3000:]}\n{err[-3000:]}"
        return out, err

    def json_line(self, name: str) -> dict:
        out, _ = self.output(name)
        return json.loads(out.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def runs(redis_server: RedisServer) -> Iterator[Runs]:
    """The three benches, started at once."""
    server_url = require_postgres()
    base = f"redis://127.0.0.1:{redis_server.port}"
    extra = {
        "escalation": ["--redis-url", f"{base}/13"],  # the email ratio through a Celery worker
        "transitions": ["--redis-url", f"{base}/14"],
        "web": ["--redis-url", f"{base}/15"],
    }
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    started_runs: dict[str, subprocess.Popen[str]] = {}
    urls = {name: bench_database(server_url, name) for name in RATIOS}
    for name, url in urls.items():
        if name == "web" and shutil.which("wrk") is None:
            continue  # its test says so
        command = [sys.executable, str(ROOT / "bench" / f"{name}.py"), "--smoke"]
        started_runs[name] = subprocess.Popen(
            [*command, "--database-url", url, *extra[name]],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    yield Runs(started_runs)
    for process in started_runs.values():
        if process.poll() is None:
            process.kill()
            process.communicate()
    for url in urls.values():
        drop_database(url)


@pytest.mark.parametrize("name", sorted(RATIOS))
def test_bench_runs_and_ends_with_its_ratios(name: str, runs: Runs) -> None:
    line = runs.json_line(name)
    assert line["bench"] == name
    assert len(line["load"]) == 3
    assert line["machine"]["cores"] >= 1
    for ratio in RATIOS[name]:
        assert line["ratios"][ratio] > 0, ratio
    assert line["figures"]


def test_same_work_is_the_operations_statements(runs: Runs) -> None:
    """The raw client of the transitions bench runs what the operation runs: as many
    statements, on the same tables, with the same locks."""
    figures = runs.json_line("transitions")["figures"]
    assert figures["same_statements"] is True, runs.output("transitions")[0]
    assert figures["statements_per_transition"] == figures["raw_statements_per_transition"]


def test_a_bench_never_flushes_another_programs_redis_database(
    redis_server: RedisServer,
) -> None:
    base = f"redis://127.0.0.1:{redis_server.port}"
    theirs = redis.Redis.from_url(f"{base}/9")
    theirs.set("someone:else", "kept")
    with pytest.raises(SystemExit, match="another program"), own_redis_db(f"{base}/9", "web"):
        pass
    assert theirs.get("someone:else") == b"kept"
    with pytest.raises(SystemExit, match="database 0"), own_redis_db(f"{base}/0", "web"):
        pass
    # Its own leftovers (a crashed run) are flushed, before and after.
    ours = redis.Redis.from_url(f"{base}/8")
    ours.set(OWNER_KEY, "web")
    ours.set("limits:leftover", "1")
    with own_redis_db(f"{base}/8", "web"):
        assert ours.get("limits:leftover") is None
        ours.set("limits:new", "1")
    assert ours.dbsize() == 0


def test_the_email_ratio_times_the_celery_worker(runs: Runs) -> None:
    """`email` is the path production takes: rows queued to Redis, a Celery worker delivering
    them in batches (not the same work called in process)."""
    figures = runs.json_line("escalation")["figures"]
    assert figures["email_path"] == "worker", runs.output("escalation")[0]
    assert figures["worker_per_s"] > 0
