"""Runs the stack's processes and keeps them running: a process that exits is started again
(after 1 s, doubling to 30 s while it keeps failing), as compose's `restart: unless-stopped`
does; SIGTERM or SIGINT stops them all, each given its grace period to finish its work (a Celery
worker completes its task, gunicorn its requests) before it is killed."""

from __future__ import annotations

import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from .topology import Service, resolved

POLL_SECONDS = 0.2
FIRST_BACKOFF = 1.0
MAX_BACKOFF = 30.0
# A process that ran this long before exiting was healthy: its next restart is quick again.
HEALTHY_RUN_SECONDS = 30.0


class StackError(RuntimeError):
    """The stack cannot start (a one-off step failed)."""


@dataclass
class Running:
    service: Service
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    backoff: float = FIRST_BACKOFF
    restart_at: float | None = None
    restarts: int = field(default=0)


class Supervisor:
    def __init__(
        self,
        env: dict[str, str],
        cwd: Path,
        out: TextIO,
        log_dir: Path | None = None,
    ) -> None:
        self.env = env
        self.cwd = cwd
        self.out = out
        self.log_dir = log_dir
        self.running: dict[str, Running] = {}
        self._stopping = False

    def say(self, text: str) -> None:
        print(f"stack: {text}", file=self.out, flush=True)

    def _output(self, name: str) -> tuple[int | TextIO | None, int | None]:
        if self.log_dir is None:
            return None, None
        self.log_dir.mkdir(parents=True, exist_ok=True)
        return (self.log_dir / f"{name}.log").open("ab"), subprocess.STDOUT  # type: ignore[return-value]

    def _spawn(self, name: str, command: tuple[str, ...]) -> subprocess.Popen[bytes]:
        stdout, stderr = self._output(name)
        try:
            # A session of its own: a Ctrl-C in the terminal reaches the supervisor only, which
            # then stops each process once, in order, instead of all of them at once.
            return subprocess.Popen(
                resolved(command),
                cwd=self.cwd,
                env=self.env,
                stdout=stdout,
                stderr=stderr,
                start_new_session=True,
            )
        finally:
            if hasattr(stdout, "close"):
                stdout.close()  # type: ignore[union-attr]

    def run_once(self, name: str, command: tuple[str, ...]) -> None:
        """A one-off step (the migration) that must succeed before anything else starts."""
        self.say(f"{name}: {' '.join(command)}")
        code = self._spawn(name, command).wait()
        if code != 0:
            raise StackError(f"{name} failed with exit code {code}")

    def start(self, service: Service) -> None:
        entry = self.running.setdefault(service.name, Running(service))
        entry.process = self._spawn(service.name, service.command)
        entry.started_at = time.monotonic()
        entry.restart_at = None
        self.say(f"{service.name} pid {entry.process.pid} ({' '.join(service.command)})")

    def pid(self, name: str) -> int | None:
        entry = self.running.get(name)
        return entry.process.pid if entry and entry.process else None

    def _check(self, entry: Running, now: float) -> None:
        process = entry.process
        if entry.restart_at is not None:
            if now >= entry.restart_at:
                entry.restarts += 1
                self.start(entry.service)
            return
        if process is None or process.poll() is None:
            return
        if now - entry.started_at >= HEALTHY_RUN_SECONDS:
            entry.backoff = FIRST_BACKOFF
        self.say(
            f"{entry.service.name} (pid {process.pid}) exited with code {process.returncode}; "
            f"restarting in {entry.backoff:.0f} s"
        )
        entry.restart_at = now + entry.backoff
        entry.backoff = min(entry.backoff * 2, MAX_BACKOFF)

    def request_stop(self, *_: object) -> None:
        self._stopping = True

    def supervise(self, ready: Callable[[], bool] | None = None) -> None:
        """Until asked to stop: restart what exits; say once when the stack is ready."""
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self.request_stop)
        announced = ready is None
        while not self._stopping:
            now = time.monotonic()
            for entry in list(self.running.values()):
                self._check(entry, now)
            if not announced and ready is not None and ready():
                announced = True
                self.say("ready")
            time.sleep(POLL_SECONDS)
        self.stop_all()

    def stop_all(self) -> None:
        """SIGTERM to each (the web first: no new work), then wait for each within its grace."""
        self.say("stopping")
        order = sorted(self.running.values(), key=lambda e: e.service.name != "web")
        for entry in order:
            if entry.process is not None and entry.process.poll() is None:
                entry.process.terminate()
        for entry in order:
            process = entry.process
            if process is None:
                continue
            try:
                process.wait(entry.service.grace)
            except subprocess.TimeoutExpired:
                self.say(f"{entry.service.name} did not stop within {entry.service.grace:.0f} s")
                process.kill()
                process.wait(5)
        self.say("stopped")


def http_ready(url: str) -> Callable[[], bool]:
    def check() -> bool:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False

    return check
