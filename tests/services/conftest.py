"""Fixtures for the service tests: the web side (this process, Flask test client) and a real
Celery worker process share one database, a private Redis is the broker, and an aiosmtpd server
receives the mail. Every fixture skips with the reason when its service cannot start here, and
fails instead under CI=true.

The session's app replaces the one of tests/conftest.py, so `app_ctx`, `users` and `client`
work as everywhere else, on this shared database.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask, request_started
from sqlalchemy import func, select

from tests.conftest import _database_url, _fresh_request_globals, make_app
from tests.external import unavailable
from workflow_app.extensions import db
from workflow_app.notifications.models import PENDING, Notification

from .support import (
    CeleryProcess,
    RedisServer,
    ServiceUnavailable,
    SmtpSink,
    started,
    wait_until,
    worker_environment,
)

# Fast retries and a short relay grace, so faults heal within a test; the relay itself runs
# only when a test sends it or starts beat (which then runs it every second).
WORKER_SETTINGS = {
    # A worker killed mid-delivery leaves its row leased this long before the relay takes it.
    "WORKFLOW_APP_NOTIFICATION_DELIVERY_LEASE_SECONDS": "5",
    "WORKFLOW_APP_NOTIFICATION_RETRY_BASE_SECONDS": "0.2",
    "WORKFLOW_APP_NOTIFICATION_RETRY_MAX_SECONDS": "1",
    # With retries a second apart, six attempts (the default) can run out on a loaded machine
    # before a test brings its SMTP server back; these tests are about healing, not giving up.
    "WORKFLOW_APP_NOTIFICATION_MAX_ATTEMPTS": "1000",
    "WORKFLOW_APP_NOTIFICATION_RELAY_GRACE_SECONDS": "1",
    "WORKFLOW_APP_NOTIFICATION_SMTP_TIMEOUT_SECONDS": "30",
    "NOTIFICATION_RELAY_SECONDS": "1",
    "ESCALATION_SWEEP_SECONDS": "3600",
    "MONITORING_ROUND_SECONDS": "3600",
    # Webhook tests receive on a loopback server over plain http (refused in production).
    "WORKFLOW_APP_WEBHOOK_ALLOW_HTTP_LOOPBACK": "true",
}


@pytest.fixture(scope="session")
def services_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("services")


@pytest.fixture(scope="session")
def redis_server(services_dir: Path) -> Iterator[RedisServer]:
    server = started(RedisServer(services_dir / "redis"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SmtpSink]:
    sink = started(SmtpSink())
    yield sink
    sink.stop()


@pytest.fixture(scope="session")
def database_url(services_dir: Path) -> str:
    return _database_url(services_dir)


@pytest.fixture(scope="session")
def app(
    services_dir: Path, database_url: str, redis_server: RedisServer, smtp_server: SmtpSink
) -> Iterator[Flask]:
    """The web side: publishes to the private Redis, on the database the worker uses."""
    application = make_app(
        database_url,
        services_dir / "instance",
        CELERY_BROKER_URL=redis_server.url,
        MAIL_BACKEND="smtp",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=smtp_server.port,
        BASE_URL="http://plans.example.org",
    )
    request_started.connect(_fresh_request_globals, application)
    with application.app_context():
        db.drop_all()
        db.create_all()
    yield application
    with application.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


def _environment(
    services_dir: Path, database_url: str, redis_server: RedisServer, smtp_server: SmtpSink
) -> dict[str, str]:
    return worker_environment(
        database_url=database_url,
        broker_url=redis_server.url,
        smtp_port=smtp_server.port,
        instance_path=services_dir / "instance",
        extra=WORKER_SETTINGS,
    )


@pytest.fixture(scope="session")
def worker(
    app: Flask,
    services_dir: Path,
    database_url: str,
    redis_server: RedisServer,
    smtp_server: SmtpSink,
) -> Iterator[CeleryProcess]:
    env = _environment(services_dir, database_url, redis_server, smtp_server)
    process = CeleryProcess("worker", "services", env, services_dir / "worker.log")
    try:
        process.start()
    except ServiceUnavailable as exc:
        unavailable(str(exc))
    yield process
    process.stop()


@pytest.fixture
def beat(
    app: Flask,
    services_dir: Path,
    database_url: str,
    redis_server: RedisServer,
    smtp_server: SmtpSink,
) -> Iterator[CeleryProcess]:
    """`celery -A workers beat`: the relay every second (the sweep hourly, out of the way)."""
    env = _environment(services_dir, database_url, redis_server, smtp_server)
    process = CeleryProcess("beat", "beat", env, services_dir / "beat.log")
    try:
        process.start()
    except ServiceUnavailable as exc:
        unavailable(str(exc))
    yield process
    process.stop()


def pending_count() -> int:
    db.session.rollback()  # a fresh snapshot
    query = select(func.count()).select_from(Notification).where(Notification.status == PENDING)
    return db.session.scalar(query)


def _worker_idle(app: Flask, worker: CeleryProcess) -> bool:
    """No task running, reserved or waiting for its countdown in the worker."""
    destination = [f"{worker.name}@{socket.gethostname()}"]
    inspect = app.extensions["celery"].control.inspect(destination=destination, timeout=2)
    for answer in (inspect.active(), inspect.reserved(), inspect.scheduled()):
        if answer is None or any(answer.values()):
            return False
    return True


def _settle(app: Flask, worker: CeleryProcess, redis_server: RedisServer) -> None:
    """Leave nothing behind for the next test: ids restart once the tables are emptied, so a
    task still waiting in the worker would deliver another test's row."""
    try:
        wait_until(lambda: pending_count() == 0, timeout=10, what="no pending notification")
        clean = worker.running and _worker_idle(app, worker)
    except AssertionError:
        clean = False
    if not clean:
        worker.kill()
    # Messages of a killed worker wait in Redis for the visibility timeout: drop them.
    redis_server.client().delete("celery", "unacked", "unacked_index")
    if not clean:
        worker.start()


@pytest.fixture
def services(
    app_ctx: Flask,
    redis_server: RedisServer,
    smtp_server: SmtpSink,
    worker: CeleryProcess,
) -> Iterator[dict[str, object]]:
    """Every service up and the mailbox empty before the test; quiet again after it."""
    if not redis_server.running:
        redis_server.start()
    smtp_server.start()
    if not worker.running:
        worker.start()
    smtp_server.reset()
    yield {"redis": redis_server, "smtp": smtp_server, "worker": worker}
    if not redis_server.running:
        redis_server.start()
    smtp_server.start()
    smtp_server.release.set()
    _settle(app_ctx, worker, redis_server)


@pytest.fixture
def extra_celery(
    services: dict[str, object],
    services_dir: Path,
    database_url: str,
    redis_server: RedisServer,
    smtp_server: SmtpSink,
) -> Iterator[Callable[..., CeleryProcess]]:
    """Make more workers and beats for one test, as an operator who scales the services would:
    each has its own node name, log and schedule file (`<name>.log`, `<name>.schedule`).
    Every one made is stopped after the test, before `services` settles the shared worker."""
    made: list[CeleryProcess] = []

    def make(
        kind: str,
        name: str,
        *,
        pool: str = "solo",
        concurrency: int = 1,
        settings: dict[str, str] | None = None,
    ) -> CeleryProcess:
        env = _environment(services_dir, database_url, redis_server, smtp_server)
        env.update(settings or {})
        process = CeleryProcess(
            kind, name, env, services_dir / f"{name}.log", pool=pool, concurrency=concurrency
        )
        made.append(process)
        return process

    yield make
    for process in made:
        process.stop()
