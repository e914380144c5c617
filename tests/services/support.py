"""Real services for the service tests: a private redis-server, an aiosmtpd SMTP server that
collects what it receives, and Celery worker / beat processes. Each can be stopped and started
again by a test (that is what the fault tests do)."""

from __future__ import annotations

import asyncio
import contextlib
import email
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any, Protocol, TypeVar

import redis
from aiosmtpd.controller import Controller

from tests.external import unavailable

REPO = Path(__file__).resolve().parents[2]
OUTBOX_ID_HEADER = "X-Workflow-Outbox-Id"

T = TypeVar("T")


class ServiceUnavailable(RuntimeError):
    """A service could not be started on this machine (the fixture skips, or fails in CI)."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(
    predicate: Callable[[], T],
    *,
    timeout: float = 20.0,
    interval: float = 0.05,
    what: str = "the condition",
    details: Callable[[], str] | None = None,
) -> T:
    """Poll `predicate` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            extra = f"\n{details()}" if details else ""
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}{extra}")
        time.sleep(interval)


def _stop_process(process: subprocess.Popen[bytes], grace: float = 10.0) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


def _tail(path: Path, lines: int = 40) -> str:
    if not path.exists():
        return "(no log)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


class Startable(Protocol):
    def start(self) -> None: ...


S = TypeVar("S", bound=Startable)


def started(service: S) -> S:
    """`service`, started; if it cannot start here the test skips (fails under CI=true)."""
    try:
        service.start()
    except ServiceUnavailable as exc:
        unavailable(str(exc))
    return service


# --- Redis ---------------------------------------------------------------------------------


class RedisServer:
    """`redis-server` on a free port of its own, without persistence: stopping it loses every
    queued message, as a crash of a real broker would."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=2)

    def ping(self) -> bool:
        try:
            return bool(self.client().ping())
        except redis.RedisError:
            return False

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        executable = shutil.which("redis-server")
        if executable is None:
            raise ServiceUnavailable("redis-server is not installed (apt-get install redis-server)")
        self.workdir.mkdir(parents=True, exist_ok=True)
        log = self.workdir / "redis.log"
        options = {"port": self.port, "bind": "127.0.0.1", "save": "", "appendonly": "no"}
        options |= {"dir": self.workdir, "logfile": log}
        command = [executable]
        for name, value in options.items():
            command += [f"--{name}", str(value)]
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 10
        while not self.ping():
            if self.process.poll() is not None or time.monotonic() > deadline:
                _stop_process(self.process)
                raise ServiceUnavailable(f"redis-server did not start: {_tail(log, 5)}")
            time.sleep(0.02)

    def stop(self) -> None:
        if self.process is not None:
            _stop_process(self.process)


# --- SMTP ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceivedEmail:
    outbox_id: int | None
    to: tuple[str, ...]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        return part.get_content() if part is not None else ""

    @property
    def language(self) -> str | None:
        value = self.message["Content-Language"]
        return str(value) if value is not None else None


class SmtpSink:
    """An aiosmtpd server collecting every message. `stop()` closes the port (clients get
    "connection refused"), `start()` opens it again; `hold_next()` takes the next message,
    then keeps the client waiting for the answer, so a test can kill the client mid-delivery."""

    def __init__(self) -> None:
        self.port = free_port()
        self._received: list[ReceivedEmail] = []
        self._lock = threading.Lock()
        self._controller: Controller | None = None
        self._hold = False
        self.held: ReceivedEmail | None = None
        self.holding = threading.Event()
        self.release = threading.Event()

    # aiosmtpd handler hook
    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=default_policy)
        header = message[OUTBOX_ID_HEADER]
        received = ReceivedEmail(
            outbox_id=int(header) if header is not None else None,
            to=tuple(envelope.rcpt_tos),
            message=message,  # type: ignore[arg-type]
        )
        with self._lock:
            self._received.append(received)
        if self._hold:
            # The message is taken (a real server has queued it), the answer is late.
            self._hold = False
            self.held = received
            self.holding.set()
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait, 60)
        return "250 Message accepted for delivery"

    @property
    def running(self) -> bool:
        return self._controller is not None

    def start(self) -> None:
        if self._controller is not None:
            return
        controller = Controller(self, hostname="127.0.0.1", port=self.port, ready_timeout=5)
        try:
            controller.start()
        except Exception as exc:
            raise ServiceUnavailable(f"aiosmtpd could not listen on {self.port}: {exc}") from exc
        self._controller = controller

    def stop(self) -> None:
        if self._controller is not None:
            self.release.set()
            self._controller.stop()
            self._controller = None

    def hold_next(self) -> None:
        self.holding.clear()
        self.release.clear()
        self._hold = True

    def reset(self) -> None:
        with self._lock:
            self._received.clear()
        self._hold = False
        self.release.set()

    @property
    def received(self) -> list[ReceivedEmail]:
        with self._lock:
            return list(self._received)

    def wait_for(self, count: int, timeout: float = 20.0) -> list[ReceivedEmail]:
        """Everything received, once there are at least `count` messages."""

        def enough() -> list[ReceivedEmail] | None:
            received = self.received
            return received if len(received) >= count else None

        return wait_until(
            enough,
            timeout=timeout,
            what=f"{count} email(s)",
            details=lambda: f"received: {[(m.outbox_id, m.to) for m in self.received]}",
        )

    def by_outbox_id(self) -> dict[int | None, list[ReceivedEmail]]:
        grouped: dict[int | None, list[ReceivedEmail]] = {}
        for item in self.received:
            grouped.setdefault(item.outbox_id, []).append(item)
        return grouped


# --- Celery processes ----------------------------------------------------------------------


# The worker as docker-compose.yml runs it: `celery --app=workers worker --concurrency=2` (the
# prefork pool is Celery's default). Keyword arguments of CeleryProcess.
COMPOSE_POOL: dict[str, Any] = {"pool": "prefork", "concurrency": 2}


class CeleryProcess:
    """`celery -A workers worker --pool=solo` (or `beat`) as a child process with its own
    environment, logging into a file the failure messages quote. `pool="prefork"` with a
    `concurrency` runs the worker as docker-compose.yml does (a main process and its pool)."""

    def __init__(
        self,
        kind: str,
        name: str,
        env: dict[str, str],
        log: Path,
        *,
        pool: str = "solo",
        concurrency: int = 1,
    ) -> None:
        self.kind = kind
        self.name = name
        self.env = env
        self.log = log
        self.pool = pool
        self.concurrency = concurrency
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self._offset = 0

    def command(self) -> list[str]:
        base = [sys.executable, "-m", "celery", "-A", "workers", self.kind, "--loglevel=info"]
        if self.kind == "worker":
            return [
                *base,
                f"--pool={self.pool}",
                *([f"--concurrency={self.concurrency}"] if self.pool != "solo" else []),
                "-n", f"{self.name}@%h",
                "--without-gossip", "--without-mingle", "--without-heartbeat",
            ]  # fmt: skip
        return [*base, "--schedule", str(self.log.with_suffix(".schedule")), "--max-interval=1"]

    @property
    def ready_marker(self) -> str:
        return " ready." if self.kind == "worker" else "beat: Starting..."

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def tail(self) -> str:
        return f"--- {self.log.name} ---\n{_tail(self.log)}"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self, timeout: float = 30.0) -> None:
        self.launch()
        self.wait_ready(timeout)

    def launch(self) -> None:
        """Start the process without waiting for it (`wait_ready` does): several processes
        then import the app side by side instead of one after the other."""
        self.starts += 1
        self._offset = len(self.log_text())
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                self.command(),
                cwd=REPO,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_ready(self, timeout: float = 30.0) -> None:
        assert self.process is not None, "launch() first"
        deadline = time.monotonic() + timeout
        while self.ready_marker not in self.log_text()[self._offset :]:
            if self.process.poll() is not None or time.monotonic() > deadline:
                _stop_process(self.process)
                self._kill_group()
                raise ServiceUnavailable(f"celery {self.kind} did not start:\n{self.tail()}")
            time.sleep(0.05)

    def log_since_start(self) -> str:
        """The log of the current run only (a process restarted on the same log appends)."""
        return self.log_text()[self._offset :]

    def task_result(self, task_id: str, timeout: float = 20.0) -> str:
        """What task `task_id` returned, as the worker logged it, once it has run."""
        pattern = re.compile(rf"\[{re.escape(task_id)}\] succeeded in [0-9.e-]+s: (.*)")

        def logged() -> str | None:
            match = pattern.search(self.log_text())
            return match.group(1).strip() if match else None

        return wait_until(logged, timeout=timeout, what=f"task {task_id}", details=self.tail)

    def wait_idle(self, timeout: float = 20.0) -> None:
        """Until every task this run received has finished (succeeded, failed or retried)."""
        received = re.compile(r"\[([0-9a-f-]{36})\] received")
        finished = re.compile(r"\[([0-9a-f-]{36})\] (?:succeeded|raised|failed|retry)")

        def idle() -> bool:
            log = self.log_since_start()
            return set(received.findall(log)) <= set(finished.findall(log))

        wait_until(idle, timeout=timeout, what=f"celery {self.name} idle", details=self.tail)

    def kill(self) -> None:
        """SIGKILL: no warm shutdown, nothing acknowledged or handed back."""
        if self.running:
            assert self.process is not None
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        self._kill_group()

    def stop(self) -> None:
        if self.process is not None:
            _stop_process(self.process, grace=15)
            self._kill_group()

    def send_signal(self, signum: int) -> None:
        """Signal the main process only, as `docker stop` does (SIGTERM) to a container."""
        assert self.process is not None and self.running
        self.process.send_signal(signum)

    def wait(self, timeout: float) -> int:
        """The exit code, once the process has ended by itself; fails after `timeout`."""
        assert self.process is not None
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(
                f"celery {self.kind} still running {timeout:.0f}s later\n{self.tail()}"
            ) from None

    def terminate(self, timeout: float = 30.0) -> int:
        """SIGTERM, then wait for the warm shutdown to end; the exit code."""
        self.send_signal(signal.SIGTERM)
        return self.wait(timeout)

    def _kill_group(self) -> None:
        """SIGKILL whatever is left of the process group (the pool's children of a prefork
        worker killed before it could end them), so no orphan keeps consuming."""
        if self.pool == "solo" or self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):  # the group is gone already
            os.killpg(self.process.pid, signal.SIGKILL)


def start_together(processes: list[CeleryProcess], timeout: float = 60.0) -> None:
    """Launch every process, then wait for each: they import the app side by side."""
    for process in processes:
        process.launch()
    for process in processes:
        process.wait_ready(timeout)


def terminate_together(processes: list[CeleryProcess], timeout: float = 30.0) -> list[int]:
    """SIGTERM to every process at once (as `docker compose stop` does), then wait for each
    to end by itself; their exit codes."""
    for process in processes:
        process.send_signal(signal.SIGTERM)
    return [process.wait(timeout) for process in processes]


def worker_environment(
    *,
    database_url: str,
    broker_url: str,
    smtp_port: int,
    instance_path: Path,
    extra: dict[str, str] | None = None,
) -> dict[str, str]:
    """The environment of a worker process: the settings production would set, pointing at the
    test's database, private Redis and SMTP server."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "PYTHONPATH", "VIRTUAL_ENV")
    env = {name: os.environ[name] for name in keep if name in os.environ}
    env.update(
        {
            "DATABASE_URL": database_url,
            "CELERY_BROKER_URL": broker_url,
            "WORKFLOW_APP_INSTANCE_PATH": str(instance_path),
            "SECRET_KEY": "test-secret-key",
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": str(smtp_port),
            "WORKFLOW_APP_MAIL_BACKEND": "smtp",
            "WORKFLOW_APP_BASE_URL": "http://plans.example.org",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra or {})
    return env
