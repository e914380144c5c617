"""A load run against the running stack: many users at once reading pages and moving plans,
with the throughput, p50/p99 latency and errors per request type, the emails the transitions
cause, and the memory of a web and a worker process.

    .venv/bin/python bench/load.py [--run-time 60] [--users 50] [--spawn-rate 2] [--plans 200]
        [--database-url postgresql://postgres@127.0.0.1:5432/wf_load_bench] [--keep] [--smoke]

Needs the bench extra (`pip install -e '.[dev,bench]'`: locust), PostgreSQL and the
redis-server program. Runs on demand; never as a timed test.

1. Creates its database (the suite's `test` is refused) or empties it, migrates it with
   `workflow-app db upgrade`, seeds 13 districts × `--plans` plans with bench/web.py's
   set-based seed (35% of them in draft, district review, provincial sync or returned: the
   states the run moves back and forth). Starts a private redis-server and an SMTP sink of
   its own, both on free ports.
2. Starts `workflow-app stack --port <free port>` (migration, gunicorn, a Celery worker, beat)
   in the production profile with that database, Redis and mail server, and waits for
   /readyz. The login throttle per address is raised for the run: every locust user logs in
   from 127.0.0.1.
3. Checks that a drafter and the provincial reviewer can log in and read every page of their
   mix, then runs locust headless: the users start at `--spawn-rate` per second, each logging
   in once (a password check with the app's own hasher: argon2id at OWASP's parameters, ~24 ms
   of CPU, measured and printed with the cores the logins need at that rate), then
   `--run-time` seconds more with every user, with bench/locustfile.py: drafters submit,
   district reviewers forward or return, the provincial reviewer returns, each on plans of
   its own, amid page views (/tasks, plan pages, /plans, /dashboard, /reports).
4. Samples the resident memory (VmRSS) and CPU time of the gunicorn and Celery processes
   every second, and waits at the end until the outbox has sent what the run wrote.
5. Prints the machine, the data, per request type and overall the rate, p50, p99 and
   failures once every user had logged in (the logins apart), the transitions made, the
   emails delivered during the run, the outbox at the end, and the memory of web and worker.
   Also PSS and USS (shared pages divided among their sharers; a process's own pages) of each
   process at the end. Ends with one line of JSON (bench/report.py): ratios `success` and
   `emails_sent`, figures `steady`, `steady_p99_ms` per request, `logins`, `processes`.
   Exits non-zero when any request failed, a notification failed or was still pending, or a
   process of the stack restarted.
6. Stops the stack and empties the database, unless --keep (a failed run keeps its logs).
"""

# ruff: noqa: E402 -- the import path is fixed below before anything else is imported.
from __future__ import annotations

import sys
from pathlib import Path

# As in bench/web.py: bench/transitions.py must not shadow the `transitions` library; the
# project root goes first instead, so `bench.web` (the seed and helpers) is importable.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

import argparse
import csv
import json
import logging
import math
import os
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import psycopg
import redis
from aiosmtpd.controller import Controller

from bench import web
from bench.report import children, cpu_seconds, emit, memory_mib
from workflow_app import create_app
from workflow_app.accounts.models import password_hasher
from workflow_app.extensions import db
from workflow_app.regions.catalogue import DISTRICTS

ROOT = _HERE.parent
BIN = Path(sys.executable).parent
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/wf_load_bench"
LOCUSTFILE = _HERE / "locustfile.py"
MOVING_STATES = ("draft", "district_review", "provincial_sync", "returned")
# Raised for the run: every locust user logs in from 127.0.0.1 (only failed logins count,
# so a correct run never reaches the usual limits; a broken one must not be hidden by 429s).
LOGIN_LIMITS = {
    "WORKFLOW_APP_LOGIN_LIMIT_PER_IP": "100000 per minute",
    "WORKFLOW_APP_LOGIN_LIMIT_PER_USERNAME": "100000 per minute",
    "WORKFLOW_APP_LOGIN_LIMIT_PER_ACCOUNT": "100000 per minute",
}
# The list pages each kind of user reads (the dashboard is the province's: districts get 403).
DISTRICT_PAGES = ("/tasks", "/plans", "/reports")
PROVINCIAL_PAGES = (*DISTRICT_PAGES, "/dashboard")
READY_SECONDS = 180
DRAIN_SECONDS = 120
OUTBOX_ID_HEADER = "X-Workflow-Outbox-Id"
STACK_LINE = re.compile(r"^stack: (\S+) pid (\d+)", re.MULTILINE)
RESTART_LINE = re.compile(r"^stack: (\S+) \(pid \d+\) exited", re.MULTILINE)


# --- services of the benchmark's own: Redis and an SMTP sink ----------------------------


@dataclass
class RedisServer:
    process: subprocess.Popen[bytes]
    port: int

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        stop_process(self.process, 10)


def start_redis(workdir: Path) -> RedisServer:
    """A redis-server of the run's own, without persistence, on a free port."""
    program = shutil.which("redis-server")
    if program is None:
        sys.exit("redis-server is not installed (Debian: apt-get install redis-server)")
    port = web.free_port()
    command = [program, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    command += [
        "--appendonly",
        "no",
        "--dir",
        str(workdir),
        "--logfile",
        str(workdir / "redis.log"),
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, start_new_session=True)
    server = RedisServer(process, port)
    client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=2)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if client.ping():
                return server
        except redis.RedisError:
            time.sleep(0.05)
    server.stop()
    sys.exit("redis-server did not start")


class MailSink:
    """An SMTP server that counts what it is given (and by which outbox row), then drops it."""

    def __init__(self) -> None:
        self.port = web.free_port()
        self._lock = threading.Lock()
        self.outbox_ids: list[int] = []
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        found = re.search(
            rf"^{OUTBOX_ID_HEADER}:\s*(\d+)", envelope.content.decode("latin-1"), re.M | re.I
        )
        with self._lock:
            self.outbox_ids.append(int(found.group(1)) if found else 0)
        return "250 Message accepted for delivery"

    @property
    def received(self) -> int:
        with self._lock:
            return len(self.outbox_ids)

    def duplicates(self) -> int:
        with self._lock:
            counts = Counter(self.outbox_ids)
        return sum(count - 1 for count in counts.values())

    def start(self) -> None:
        # aiosmtpd logs every connection at INFO; the app's logging setup would print them.
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()


def stop_process(process: subprocess.Popen[bytes], grace: float) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --- data ---------------------------------------------------------------------------------


def migrate(url: str, workdir: Path) -> None:
    """The schema through the migrations, as the stack expects it (its own upgrade is then a
    no-op)."""
    env = dict(os.environ, DATABASE_URL=url, WORKFLOW_APP_INSTANCE_PATH=str(workdir))
    done = subprocess.run(
        [str(BIN / "workflow-app"), "db", "upgrade"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        sys.exit(f"the migration failed:\n{done.stdout}{done.stderr}")


def seed(url: str, dsn: str, plans: int, password: str) -> float:
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "CELERY_BROKER_URL": "memory://"}
    )
    with app.app_context():
        seconds = web.seed(
            dsn, plans, datetime.now(UTC), password_hasher.hash(password), create_tables=False
        )
        db.session.remove()
        db.engine.dispose()
    return seconds


def write_plan_file(dsn: str, path: Path, password: str, users: int) -> None:
    """What locust's users need: the password, and per district its plans and moving plans."""
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT r.code, p.id, p.state FROM action_plan AS p JOIN region AS r"
            " ON r.id = p.region_id ORDER BY p.id"
        ).fetchall()
    districts = {d.code: {"code": d.code, "plans": [], "moving": []} for d in DISTRICTS}
    for code, plan_id, state in rows:
        districts[code]["plans"].append(plan_id)
        if state in MOVING_STATES:
            districts[code]["moving"].append(plan_id)
    content = {"password": password, "users": users, "districts": list(districts.values())}
    path.write_text(json.dumps(content))
    path.chmod(0o600)


# --- the stack ----------------------------------------------------------------------------


@dataclass
class Stack:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def pids(self) -> dict[str, int]:
        """The latest pid of each process the stack said it started."""
        return {name: int(pid) for name, pid in STACK_LINE.findall(self.output())}

    def restarts(self) -> list[str]:
        return RESTART_LINE.findall(self.output())

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.output().splitlines()[-lines:])

    def stop(self) -> None:
        started = self.pids()
        # The stack gives the worker a minute to finish its task.
        stop_process(self.process, 90)
        # Its processes run in sessions of their own: none may outlive it.
        for pid in started.values():
            if alive(pid):
                os.kill(pid, signal.SIGTERM)


def stack_environment(url: str, redis_url: str, mail_port: int, instance: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=url,
        REDIS_URL=redis_url,
        SECRET_KEY=secrets.token_hex(32),
        WORKFLOW_APP_PROFILE="production",
        WORKFLOW_APP_INSTANCE_PATH=str(instance),
        ATTACHMENTS_DIR=str(instance / "attachments"),
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=str(mail_port),
        **LOGIN_LIMITS,
    )
    return env


def start_stack(env: dict[str, str], workdir: Path) -> Stack:
    port = web.free_port()
    log = workdir / "stack.log"
    with log.open("ab") as sink:
        process = subprocess.Popen(
            [str(BIN / "workflow-app"), "stack", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            # A Ctrl-C reaches this script only, which then stops the stack in order.
            start_new_session=True,
        )
    stack = Stack(process, port, log)
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline and process.poll() is None:
        if ready(port):
            return stack
        time.sleep(0.5)
    stack.stop()
    sys.exit(f"the stack did not become ready; its output:\n{stack.tail()}")


def ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as answer:
            return answer.status == 200
    except (urllib.error.URLError, OSError):
        return False


def preflight(port: int, password: str, plan_id: int) -> None:
    """A drafter and the provincial reviewer log in through the form and read every page of
    their mix: a broken login or page is one clear message here, not thousands of failures."""
    problems = []
    for username, pages in (
        (f"drafter.{DISTRICTS[0].code}", DISTRICT_PAGES),
        ("provincial.63", PROVINCIAL_PAGES),
    ):
        cookie = web.log_in(port, username, password)
        for path in (*pages, f"/plans/{plan_id}"):
            status, headers, _, _ = web.fetch(port, path, cookie)
            if status != 200:
                where = headers.get("location", "")
                problems.append(f"{username} {path}: status {status} {where}".rstrip())
    if problems:
        sys.exit("not every page of the mix answers 200:\n  " + "\n  ".join(problems))


# --- processes: memory and CPU from /proc ---------------------------------------------------


def alive(pid: int) -> bool:
    return Path(f"/proc/{pid}").exists()


def rss_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def machine_ticks() -> tuple[int, int]:
    """(busy, total) clock ticks of all cores since boot, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle and iowait
    return sum(values) - idle, sum(values)


@dataclass
class Tracked:
    label: str
    rss_max: int = 0
    rss_end: int = 0
    cpu_start: float | None = None
    cpu_end: float = 0.0
    memory_end: dict[str, float] | None = None  # RSS, PSS, USS (MiB) when the run ended


@dataclass
class Sampler:
    """RSS and CPU time of the stack's web and worker processes (masters and children) and of
    locust, sampled every second from a thread while the run lasts; the CPU time of the
    PostgreSQL backends serving the run's database."""

    # label -> (pid of the master, how to call the master, how to call its children)
    groups: dict[str, tuple[int, str, str]]
    extra: dict[str, int]  # label -> pid, no children
    dsn: str
    tracked: dict[int, Tracked] = field(default_factory=dict)
    backends: dict[int, Tracked] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _machine: tuple[int, int] = (0, 0)
    _conn: psycopg.Connection[Any] | None = None
    machine_busy: float = 0.0  # share of all cores busy over the run (anything on the machine)

    def sample(self) -> None:
        found: dict[int, str] = {}
        for label, (master, master_name, child_name) in self.groups.items():
            found[master] = f"{label} {master_name}"
            for index, child in enumerate(children(master)):
                found[child] = f"{label} {child_name} {index + 1}"
        for label, pid in self.extra.items():
            found[pid] = label
        for pid, label in found.items():
            rss, cpu = rss_kib(pid), cpu_seconds(pid)
            if rss is None or cpu is None:
                continue
            entry = self.tracked.setdefault(pid, Tracked(label))
            entry.rss_max = max(entry.rss_max, rss)
            entry.rss_end = rss
            entry.cpu_start = cpu if entry.cpu_start is None else entry.cpu_start
            entry.cpu_end = cpu
        for pid in self.backend_pids():
            cpu = cpu_seconds(pid)
            if cpu is not None:
                entry = self.backends.setdefault(pid, Tracked("postgresql", cpu_start=cpu))
                entry.cpu_end = cpu

    def backend_pids(self) -> list[int]:
        # One connection for the whole run (a new one per sample would fork a backend each
        # second); with PostgreSQL on this machine, /proc shows the backends' CPU time.
        if self._conn is None:
            self._conn = psycopg.connect(self.dsn, autocommit=True)
        rows = self._conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid()"
        ).fetchall()
        return [pid for (pid,) in rows]

    def run(self) -> None:
        while not self._stop.wait(1.0):
            self.sample()

    def start(self) -> threading.Thread:
        self._machine = machine_ticks()
        self.sample()
        thread = threading.Thread(target=self.run, daemon=True)
        thread.start()
        return thread

    def stop(self, thread: threading.Thread) -> None:
        self._stop.set()
        thread.join()
        self.sample()
        if self._conn is not None:
            self._conn.close()
        busy, total = machine_ticks()
        self.machine_busy = (busy - self._machine[0]) / max(total - self._machine[1], 1)

    def settle(self, limit: float = 120) -> float:
        """Once the stack's processes have used no CPU for two seconds (the requests locust left
        queued served, the outbox drained), their memory: what stays after the run, not a
        login's argon2 memory still in use. The seconds waited."""
        began = time.monotonic()
        # The web's processes: Celery's poll their broker all the time.
        pids = [pid for pid, entry in self.tracked.items() if entry.label.startswith("web")]
        last = [cpu_seconds(pid) for pid in pids]
        quiet = 0
        while quiet < 4 and time.monotonic() - began < limit:
            time.sleep(0.5)
            now = [cpu_seconds(pid) for pid in pids]
            quiet = quiet + 1 if now == last else 0
            last = now
        for pid, entry in self.tracked.items():
            entry.memory_end = memory_mib(pid) or entry.memory_end
            entry.rss_end = round((entry.memory_end or {}).get("rss", 0) * 1024) or entry.rss_end
        return time.monotonic() - began

    def figures(self, seconds: float) -> dict[str, dict[str, float]]:
        """Per process (by label): RSS max and at the end, PSS and USS at the end (MiB), CPU
        (share of a core over the run)."""
        found: dict[str, dict[str, float]] = {}
        for entry in self.tracked.values():
            memory = entry.memory_end or {}
            found[entry.label] = {
                "rss_max_mib": round(entry.rss_max / 1024, 1),
                "rss_end_mib": round(entry.rss_end / 1024, 1),
                "pss_end_mib": memory.get("pss", 0.0),
                "uss_end_mib": memory.get("uss", 0.0),
                "cpu_share": round((entry.cpu_end - (entry.cpu_start or 0.0)) / seconds, 3),
            }
        return found

    def lines(self, seconds: float) -> list[str]:
        result = []
        for pid, entry in sorted(self.tracked.items(), key=lambda item: item[1].label):
            busy = (entry.cpu_end - (entry.cpu_start or 0.0)) / seconds * 100
            shared = ""
            if entry.memory_end:
                shared = f"  PSS {entry.memory_end['pss']:6.1f}  USS {entry.memory_end['uss']:6.1f}"
            result.append(
                f"  {entry.label:<27} pid {pid:<8} RSS max {entry.rss_max / 1024:7.1f} MiB"
                f"  end {entry.rss_end / 1024:7.1f} MiB{shared}  CPU {busy:5.1f}% of a core"
            )
        database = sum(e.cpu_end - (e.cpu_start or 0.0) for e in self.backends.values())
        result.append(
            f"  {'postgresql backends':<27} {len(self.backends)} connections of the run's"
            f" database, CPU {database / seconds * 100:5.1f}% of a core"
        )
        return result


# --- locust ---------------------------------------------------------------------------------


def total_seconds(args: argparse.Namespace) -> int:
    """locust's run time: the spawning, then --run-time seconds with every user."""
    return math.ceil(args.users / args.spawn_rate) + args.run_time


def login_cost(spawn_rate: float) -> dict[str, Any]:
    """The CPU time of one password check with the app's hasher (argon2id at OWASP's
    parameters), and the cores the logins need while the users start: each user logs in once,
    so `spawn_rate` checks per second."""
    hasher = password_hasher
    hashed = hasher.hash("bench-password")
    checks = 3
    began = time.process_time()
    for _ in range(checks):
        hasher.verify(hashed, "bench-password")
    cpu_ms = (time.process_time() - began) / checks * 1000
    cores = spawn_rate * cpu_ms / 1000
    line = (
        f"a password check: argon2id t={hasher.time_cost}, m={hasher.memory_cost // 1024} MiB,"
        f" p={hasher.parallelism}: {cpu_ms:.0f} ms CPU; {spawn_rate:g} logins/s while the"
        f" users start need {cores:.2f} of the {os.cpu_count()} cores for it alone"
    )
    return {"cpu_ms": round(cpu_ms, 1), "cores": round(cores, 2), "line": line}


def run_locust(
    args: argparse.Namespace, port: int, plan_file: Path, workdir: Path
) -> tuple[subprocess.Popen[bytes], Path]:
    prefix = workdir / "locust"
    command = [
        str(BIN / "locust"),
        "--locustfile",
        str(LOCUSTFILE),
        "--headless",
        "--host",
        f"http://127.0.0.1:{port}",
        "--users",
        str(args.users),
        "--spawn-rate",
        str(args.spawn_rate),
        "--run-time",
        f"{total_seconds(args)}s",
        # Requests under way when the time is up may finish (and count).
        "--stop-timeout",
        "30",
        "--csv",
        str(prefix),
        "--only-summary",
        "--skip-log-setup",
    ]
    env = dict(
        os.environ,
        LOAD_PLAN_FILE=str(plan_file),
        LOAD_SAMPLES_FILE=str(workdir / "samples.json"),
    )
    log = workdir / "locust.log"
    with log.open("ab") as sink:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT
        )
    return process, prefix


@dataclass(frozen=True)
class Sample:
    start: float  # epoch seconds
    method: str
    name: str
    ms: float
    failed: bool

    @property
    def end(self) -> float:
        return self.start + self.ms / 1000


def read_samples(path: Path) -> list[Sample]:
    """Every request locust made (bench/locustfile.py writes them when it quits)."""
    if not path.exists():
        return []
    return [Sample(*row) for row in json.loads(path.read_text())]


def percentile(ordered: list[float], share: float) -> float:
    """Nearest rank: the smallest value at least `share` of the values do not exceed."""
    return ordered[max(math.ceil(share * len(ordered)) - 1, 0)]


def figures_line(name: str, samples: list[Sample], seconds: float) -> str:
    ordered = sorted(sample.ms for sample in samples)
    failed = sum(sample.failed for sample in samples)
    return (
        f"  {name:<42} {len(samples):6d} {len(samples) / seconds:7.2f}"
        f" {percentile(ordered, 0.5):7.0f} {percentile(ordered, 0.99):7.0f}"
        f" {ordered[-1]:7.0f}  {failed}"
    )


def request_figures(samples: list[Sample], seconds: float) -> dict[str, float]:
    """count, rate, p50, p99, max (ms) and failures, for the JSON line."""
    ordered = sorted(sample.ms for sample in samples)
    return {
        "count": len(samples),
        "rps": round(len(samples) / seconds, 2),
        "p50_ms": round(percentile(ordered, 0.5), 1),
        "p99_ms": round(percentile(ordered, 0.99), 1),
        "max_ms": round(ordered[-1], 1),
        "failures": sum(sample.failed for sample in samples),
    }


def request_table(samples: list[Sample], seconds: float) -> list[str]:
    """Per request type and overall: count, rate, p50, p99, max (ms) and failures."""
    kinds: dict[str, list[Sample]] = {}
    for sample in sorted(samples, key=lambda s: (s.name, s.method)):
        kinds.setdefault(f"{sample.method} {sample.name}", []).append(sample)
    header = f"  {'request':<42} {'count':>6} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7}"
    lines = [header + f" {'max ms':>7}  failures"]
    lines += [figures_line(name, group, seconds) for name, group in kinds.items()]
    lines.append(figures_line("all requests", samples, seconds))
    return lines


def report_requests(samples: list[Sample], users: int) -> tuple[int, dict[str, Any]]:
    """Print the figures once every user had logged in, and the logins apart (they all come
    at the start, with the spawning); the number of failed requests over the whole run, and
    the figures for the JSON line."""
    logins = [sample for sample in samples if sample.name == "/login"]
    began = min(sample.start for sample in samples)
    steady_from = max((sample.end for sample in logins), default=began)
    finished = max(sample.end for sample in samples)
    steady = [sample for sample in samples if sample.start >= steady_from]
    print(
        f"\nrequests once all {users} users had logged in ({finished - steady_from:.1f} s of"
        f" {finished - began:.1f} s):"
    )
    if steady:
        print("\n".join(request_table(steady, finished - steady_from)))
    print(f"logins, while the users were starting ({steady_from - began:.1f} s):")
    print("\n".join(request_table(logins, max(steady_from - began, 0.001))[1:-1]))
    failed = sum(sample.failed for sample in samples)
    print(f"failed requests over the whole run: {failed} of {len(samples)}")
    figures: dict[str, Any] = {
        "requests": len(samples),
        "failed": failed,
        "steady_seconds": round(finished - steady_from, 1),
        "login_phase_seconds": round(steady_from - began, 1),
    }
    if steady:
        figures["steady"] = request_figures(steady, finished - steady_from)
        kinds: dict[str, list[Sample]] = {}
        for sample in steady:
            kinds.setdefault(f"{sample.method} {sample.name}", []).append(sample)
        figures["steady_p99_ms"] = {
            name: round(percentile(sorted(s.ms for s in group), 0.99), 1)
            for name, group in sorted(kinds.items())
        }
    if logins:
        figures["logins"] = request_figures(logins, max(steady_from - began, 0.001))
    return failed, figures


def read_failures(prefix: Path) -> list[str]:
    path = Path(f"{prefix}_failures.csv")
    if not path.exists():
        return []
    with path.open(newline="") as handle:
        return [
            f"{record['Occurrences']} x {record['Method']} {record['Name']}: {record['Error']}"
            for record in csv.DictReader(handle)
        ]


# --- what the run did ------------------------------------------------------------------------


def transitions_since(dsn: str, since: datetime) -> list[tuple[str, str, str, int]]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(
            "SELECT from_state, to_state, trigger, count(*) FROM plan_transition"
            " WHERE created_at >= %s AND subject_kind = 'plan' GROUP BY 1, 2, 3 ORDER BY 4 DESC",
            (since,),
        ).fetchall()


def outbox(dsn: str) -> dict[str, int]:
    with psycopg.connect(dsn) as conn:
        counts = dict(
            conn.execute("SELECT status, count(*) FROM notification GROUP BY status").fetchall()
        )
        counts["retried"] = conn.execute(
            "SELECT count(*) FROM notification WHERE attempts > 0"
        ).fetchone()[0]
    return counts


def drain(dsn: str, limit: float) -> tuple[dict[str, int], float]:
    """Until the outbox has nothing pending (or `limit` seconds): its counts, the wait."""
    began = time.monotonic()
    while True:
        counts = outbox(dsn)
        waited = time.monotonic() - began
        if not counts.get("pending") or waited > limit:
            return counts, waited
        time.sleep(0.5)


# --- the run --------------------------------------------------------------------------------


def bench(
    args: argparse.Namespace, url: str, dsn: str, workdir: Path
) -> tuple[bool, dict[str, Any]]:
    """Seed, start the stack, load it, report; whether something failed, and the figures."""
    password = secrets.token_urlsafe(16)
    migrate(url, workdir)
    print(f"seeding {len(DISTRICTS)} districts x {args.plans} plans ...", flush=True)
    print(f"seeded in {seed(url, dsn, args.plans, password):.1f} s")
    if args.keep:
        print(f"password of every account: {password}")
    print("\n".join(web.data_sizes(dsn, datetime.now(UTC))), flush=True)
    plan_file = workdir / "plans.json"
    write_plan_file(dsn, plan_file, password, args.users)

    instance = workdir / "instance"
    instance.mkdir()
    redis_server = start_redis(workdir)
    sink = MailSink()
    sink.start()
    stack: Stack | None = None
    try:
        env = stack_environment(url, redis_server.url, sink.port, instance)
        print(
            f"web: {env.get('WEB_CONCURRENCY') or 2} gunicorn workers (WEB_CONCURRENCY);"
            f" worker: Celery concurrency {env.get('WORKER_CONCURRENCY') or 2}"
            " (WORKER_CONCURRENCY)\nlogin throttle raised for the run, because every locust"
            " user logs in from 127.0.0.1: "
            + ", ".join(f"{k}={v!r}" for k, v in LOGIN_LIMITS.items()),
            flush=True,
        )
        began = time.monotonic()
        stack = start_stack(env, workdir)
        print(f"stack ready on port {stack.port} in {time.monotonic() - began:.1f} s", flush=True)
        first_plan = json.loads(plan_file.read_text())["districts"][0]["plans"][0]
        preflight(stack.port, password, first_plan)
        return load(args, dsn, stack, sink, plan_file, workdir)
    finally:
        if stack is not None:
            stack.stop()
        sink.stop()
        redis_server.stop()


def load(
    args: argparse.Namespace,
    dsn: str,
    stack: Stack,
    sink: MailSink,
    plan_file: Path,
    workdir: Path,
) -> tuple[bool, dict[str, Any]]:
    pids = stack.pids()
    if "web" not in pids or "worker" not in pids:
        sys.exit(f"the stack did not name its web and worker processes:\n{stack.tail()}")
    received_before = sink.received
    started_at = datetime.now(UTC)
    print(
        f"locust: {args.users} users (spawn rate {args.spawn_rate}/s), then {args.run_time} s"
        f" with all of them ({total_seconds(args)} s in all); it runs on the same cores as the"
        " stack and PostgreSQL",
        flush=True,
    )
    hashing = login_cost(args.spawn_rate)
    print(hashing["line"], flush=True)
    locust, prefix = run_locust(args, stack.port, plan_file, workdir)
    groups = {
        "web": (pids["web"], "gunicorn master", "gunicorn worker"),
        "worker": (pids["worker"], "celery main", "celery pool"),
    }
    sampler = Sampler(groups, {"locust": locust.pid}, dsn)
    sampling = sampler.start()
    began = time.monotonic()
    try:
        code = locust.wait(total_seconds(args) + 120)
    except subprocess.TimeoutExpired:
        code = -1
    finally:
        if locust.poll() is None:  # stuck, or this script was interrupted
            locust.kill()
            locust.wait()
    seconds = time.monotonic() - began
    sampler.stop(sampling)
    during = sink.received - received_before
    counts, waited = drain(dsn, DRAIN_SECONDS)
    settled = sampler.settle()

    samples = read_samples(workdir / "samples.json")
    if not samples:
        print((workdir / "locust.log").read_text(errors="replace")[-3000:])
        print(f"locust (exit code {code}) recorded no request")
        return True, {}
    requests_failed, figures = report_requests(samples, args.users)
    failures = read_failures(prefix)
    for failure in failures:
        print(f"  FAILED {failure}")
    moves = transitions_since(dsn, started_at)
    print(f"transitions: {sum(row[3] for row in moves)}")
    for from_state, to_state, trigger, count in moves:
        print(f"  {trigger:<8} {from_state} -> {to_state}: {count}")
    print(
        f"emails: {during} delivered during the run ({during / seconds:.2f}/s),"
        f" {sink.received - received_before} by the end; duplicates {sink.duplicates()}"
    )
    print(
        f"outbox at the end: sent {counts.get('sent', 0)}, pending {counts.get('pending', 0)},"
        f" failed {counts.get('failed', 0)}, with a failed attempt {counts['retried']}"
        f" (drained {waited:.1f} s after the run)"
    )
    print(
        f"processes (RSS sampled every second, its end and PSS/USS once idle, {settled:.1f} s"
        " after the run; CPU over the run); the machine's"
        f" {os.cpu_count()} cores were {sampler.machine_busy:.0%} busy (PostgreSQL, Redis,"
        " beat and anything else running included):"
    )
    print("\n".join(sampler.lines(seconds)))
    restarts = stack.restarts()
    for name in restarts:
        print(f"  RESTARTED during the run: {name}")
    figures.update(
        users=args.users,
        spawn_rate=args.spawn_rate,
        password_check_cpu_ms=hashing["cpu_ms"],
        login_cores_needed=hashing["cores"],
        transitions=sum(row[3] for row in moves),
        emails={
            "during_run": during,
            "sent": counts.get("sent", 0),
            "pending": counts.get("pending", 0),
            "failed": counts.get("failed", 0),
        },
        machine_busy=round(sampler.machine_busy, 3),
        processes=sampler.figures(seconds),
        restarts=restarts,
    )
    return bool(
        code != 0
        or requests_failed
        or failures
        or counts.get("failed")
        or counts.get("pending")
        or restarts
    ), figures


def empty_schema(url: str) -> None:
    """The database's public schema emptied: dropping the database instead would wait for
    every backend of the server to answer a barrier (one stuck in a COPY holds it for ever)."""
    with psycopg.connect(web.libpq_dsn(url), autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
        conn.execute("CREATE SCHEMA public")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--run-time", type=int, default=60, help="seconds of load once every user has started"
    )
    parser.add_argument("--users", type=int, default=50, help="concurrent locust users")
    parser.add_argument(
        "--spawn-rate",
        type=float,
        default=2,
        help="users started (so logins) per second: each login is a password check",
    )
    parser.add_argument("--plans", type=int, default=200, help="plans per district")
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--keep", action="store_true", help="keep the database and the logs")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: does it run at all")
    args = parser.parse_args()
    if args.smoke:
        args.users, args.spawn_rate, args.run_time, args.plans = 4, 4, 5, 3
    if not (BIN / "locust").exists():
        sys.exit("locust is not installed: .venv/bin/pip install -e '.[dev,bench]'")

    url = web.ensure_database(args.database_url)
    empty_schema(url)  # afresh: the migration and the seed start from nothing
    dsn = web.libpq_dsn(url)
    workdir = Path(tempfile.mkdtemp(prefix="wf-load-bench-"))
    os.environ["WORKFLOW_APP_INSTANCE_PATH"] = str(workdir)
    print("\n".join(web.machine_lines_with_server(dsn)), flush=True)
    failed, figures = True, {}
    try:
        failed, figures = bench(args, url, dsn, workdir)
    finally:
        if args.keep:
            print(f"kept the database {url}")
        else:
            empty_schema(url)
        if args.keep or failed:
            print(f"the logs of the stack and locust: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    if figures:
        report(figures, failed)
    if failed:
        sys.exit("the load run saw failures (see above)")


def report(figures: dict[str, Any], failed: bool) -> None:
    """The one JSON line: `success` (the share of requests that succeeded) and `emails_sent`
    (the share of the run's emails sent by the end) as ratios, the rest as figures."""
    emails = figures.get("emails", {})
    written = sum(emails.get(key, 0) for key in ("sent", "pending", "failed"))
    ratios = {
        "success": 1 - figures["failed"] / max(figures["requests"], 1),
        "emails_sent": emails.get("sent", 0) / written if written else 1.0,
    }
    emit("load", ratios, {**figures, "run_failed": failed})


if __name__ == "__main__":
    main()
