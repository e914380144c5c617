"""`workflow-app stack` as the system test runs it: a child process serving on a free port, on a
PostgreSQL database of its own, a private Redis the test can stop, the test's SMTP server and a
test clock file; every process's output in a log folder the failure messages quote."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import psycopg
import requests

from tests.services.support import REPO, free_port, wait_until
from workflow_app.stack.topology import executable

STACK_PID = re.compile(r"^stack: (\w[\w-]*) pid (\d+) ", re.MULTILINE)

# Quick rounds, so a test waits seconds, not minutes: sweep and relay every second, a pending
# row handed again to the broker two seconds after it was due, retries within a second.
FAST_ROUNDS = {
    "ESCALATION_SWEEP_SECONDS": "1",
    "NOTIFICATION_RELAY_SECONDS": "1",
    "MONITORING_ROUND_SECONDS": "3600",
    "WORKFLOW_APP_NOTIFICATION_RELAY_GRACE_SECONDS": "2",
    "WORKFLOW_APP_NOTIFICATION_RETRY_BASE_SECONDS": "0.2",
    "WORKFLOW_APP_NOTIFICATION_RETRY_MAX_SECONDS": "1",
    "WORKFLOW_APP_NOTIFICATION_MAX_ATTEMPTS": "1000",
    "WEB_CONCURRENCY": "2",
    "WORKER_CONCURRENCY": "2",
}


class Stack:
    def __init__(self, workdir: Path, database_url: str, redis_url: str, smtp_port: int) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.logs = workdir / "logs"
        self.clock_file = workdir / "clock"
        self.output = workdir / "stack.out"
        self.database_url = database_url
        keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "VIRTUAL_ENV")
        self.env = {name: os.environ[name] for name in keep if name in os.environ}
        self.env.update(
            {
                "DATABASE_URL": database_url,
                "REDIS_URL": redis_url,
                "MAIL_SERVER": "127.0.0.1",
                "MAIL_PORT": str(smtp_port),
                "WORKFLOW_APP_INSTANCE_PATH": str(workdir / "instance"),
                "WORKFLOW_APP_TEST_CLOCK_FILE": str(self.clock_file),
                **FAST_ROUNDS,
            }
        )
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 90) -> None:
        command = [executable("workflow-app"), "stack"]
        command += [f"--port={self.port}", f"--log-dir={self.logs}"]
        with self.output.open("ab") as out:
            self.process = subprocess.Popen(
                command, cwd=REPO, env=self.env, stdout=out, stderr=subprocess.STDOUT
            )
        wait_until(
            lambda: "stack: ready" in self.text() or self.process.poll() is not None,  # type: ignore[union-attr]
            timeout=timeout,
            what="the stack to be ready",
            details=self.tail,
        )
        assert self.process.poll() is None, f"the stack did not start:\n{self.tail()}"

    def text(self) -> str:
        return self.output.read_text(errors="replace") if self.output.exists() else ""

    def log(self, name: str) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def json_lines(self, name: str) -> list[dict[str, Any]]:
        found = []
        for line in self.log(name).splitlines():
            if line.startswith("{"):
                try:
                    found.append(json.loads(line))
                except ValueError:
                    continue
        return found

    def tail(self) -> str:
        parts = [f"--- stack ---\n{self.text()[-3000:]}"]
        for name in ("web", "worker", "beat"):
            parts.append(f"--- {name}.log ---\n{self.log(name)[-3000:]}")
        return "\n".join(parts)

    def pid(self, name: str) -> int:
        """The latest pid the stack reported for process `name`."""
        pids = [int(pid) for found, pid in STACK_PID.findall(self.text()) if found == name]
        assert pids, f"the stack started no {name}:\n{self.tail()}"
        return pids[-1]

    def restarted(self, name: str, old_pid: int, timeout: float = 30) -> int:
        return wait_until(
            lambda: (pid := self.pid(name)) != old_pid and pid,
            timeout=timeout,
            what=f"the stack to restart {name}",
            details=self.tail,
        )

    def advance_clock(self, days: float) -> None:
        self.clock_file.write_text(str(days * 86400))

    def ready(self) -> bool:
        try:
            return requests.get(self.base_url + "/readyz", timeout=3).status_code == 200
        except requests.RequestException:
            return False

    def stop(self, timeout: float = 90) -> int:
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else 0
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait(10)

    def command(self, *args: str) -> subprocess.CompletedProcess[str]:
        """`workflow-app ARGS` with the stack's settings (as `docker compose exec web` runs)."""
        env = {**self.env, "CELERY_BROKER_URL": self.env["REDIS_URL"]}
        return subprocess.run(
            [executable("workflow-app"), *args],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    def query(self, sql: str, *params: object) -> list[tuple[Any, ...]]:
        dsn = self.database_url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(dsn, autocommit=True) as conn:
            cursor = conn.execute(sql, params)
            return cursor.fetchall() if cursor.description else []


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def wait_gone(pid: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
