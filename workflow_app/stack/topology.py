"""The processes of the stack, with the very commands docker-compose.yml gives its services
(tests/test_compose.py holds the two to each other); only the bind address differs."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

# glibc's malloc raises its mmap threshold to the size of any mmap'd block freed (up to 32 MiB)
# and its trim threshold to twice that: after a web process's first login freed argon2's 19 MiB
# buffer, every later one came from the heap, and the ~20 MiB freed at its top stayed resident
# in each web worker for good (malloc_trim gave back 24 MiB of a worker's 188 after the 200-user
# load run). Set, the threshold stays at glibc's default of 128 KiB: such buffers are mmap'd and
# handed back when freed. The image sets the same (Dockerfile; tests/db/test_memory_malloc.py).
MALLOC_ENVIRONMENT = {"MALLOC_MMAP_THRESHOLD_": "131072"}


@dataclass(frozen=True)
class Service:
    name: str
    command: tuple[str, ...]
    # Seconds between SIGTERM and SIGKILL when the stack stops (compose's stop_grace_period).
    grace: float = 10.0


def executable(name: str) -> str:
    """The program of this environment (the virtualenv's), else the one on PATH."""
    beside_python = Path(sys.executable).parent / name
    if beside_python.exists():
        return str(beside_python)
    return shutil.which(name) or name


def migrate_command() -> tuple[str, ...]:
    return ("workflow-app", "db", "upgrade")


def seed_command() -> tuple[str, ...]:
    return ("workflow-app", "seed-demo")


def web_command(bind: str, environ: Mapping[str, str]) -> tuple[str, ...]:
    return (
        "gunicorn",
        f"--bind={bind}",
        f"--workers={environ.get('WEB_CONCURRENCY') or 2}",
        "--graceful-timeout=30",
        # Gunicorn 23+ opens a control socket in the home folder by default: two servers on
        # one machine would share it, and the image's user has no home to write it in.
        "--no-control-socket",
        # The app is loaded (and frozen) once in the master, and the workers forked from it
        # share it copy-on-write (workflow_app/wsgi.py); a worker replaced forks in an instant.
        # A code change needs a restart of the master (HUP keeps the loaded code).
        "--preload",
        "workflow_app.wsgi:create_app()",
    )


def worker_command(environ: Mapping[str, str]) -> tuple[str, ...]:
    return (
        "celery",
        "--app=workers",
        "worker",
        "--loglevel=INFO",
        f"--concurrency={environ.get('WORKER_CONCURRENCY') or 2}",
    )


def beat_command() -> tuple[str, ...]:
    # Its schedule file is the instance folder's (celery_app.beat_schedule_filename).
    return ("celery", "--app=workers", "beat", "--loglevel=INFO")


def smtp_command(port: int, mailbox: Path) -> tuple[str, ...]:
    return (
        "python",
        "-m",
        "workflow_app.stack.smtp",
        f"--port={port}",
        f"--mailbox={mailbox}",
    )


def resolved(command: tuple[str, ...]) -> list[str]:
    program = sys.executable if command[0] == "python" else executable(command[0])
    return [program, *command[1:]]


def services(
    port: int, instance: Path, environ: Mapping[str, str] = os.environ, smtp_port: int | None = None
) -> list[Service]:
    """The long-running processes, in starting order."""
    found = [
        Service("web", web_command(f"127.0.0.1:{port}", environ), grace=35),
        Service("worker", worker_command(environ), grace=60),
        Service("beat", beat_command()),
    ]
    if smtp_port is not None:
        found.insert(0, Service("smtp", smtp_command(smtp_port, instance / "mailbox"), grace=5))
    return found
