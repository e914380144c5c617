"""A worker stopped the way docker-compose stops it (SIGTERM to the main process of a prefork
worker, `--concurrency=2`): the delivery it is in the middle of is finished, not cut short;
the deliveries it holds for later (retries waiting for their countdown) go back to Redis at
once, for the next worker, instead of waiting out the two-hour visibility timeout.

The session's worker steps aside for these tests, so only the worker under test consumes;
the `services` fixture starts it again afterwards. No beat runs: the relay would queue the
pending rows again by itself and hide a message the broker lost."""

from __future__ import annotations

import signal
import socket
import time
from collections.abc import Callable

from flask import Flask

from .flows import outbox
from .support import COMPOSE_POOL, CeleryProcess, RedisServer, SmtpSink, wait_until
from .test_faults import all_sent, assert_each_delivered, submitted_plans

WARM_SHUTDOWN = "worker: Warm shutdown (MainProcess)"


def broker_backlog(redis_server: RedisServer) -> tuple[int, int]:
    """(messages waiting in the queue, messages taken by a worker and not acknowledged)."""
    client = redis_server.client()
    return int(client.llen("celery")), int(client.hlen("unacked"))


def scheduled_in(app: Flask, worker: CeleryProcess) -> int:
    """How many tasks `worker` holds for later (a retry waiting for its countdown)."""
    destination = [f"{worker.name}@{socket.gethostname()}"]
    inspect = app.extensions["celery"].control.inspect(destination=destination, timeout=1)
    answer = inspect.scheduled() or {}
    return sum(len(tasks) for tasks in answer.values())


def test_sigterm_mid_delivery_finishes_it_then_the_worker_exits(
    app_ctx: Flask, services: dict, users: dict, extra_celery: Callable[..., CeleryProcess]
) -> None:
    smtp: SmtpSink = services["smtp"]
    services["worker"].stop()
    worker = extra_celery("worker", "shutdown-mid-delivery", **COMPOSE_POOL)
    worker.start()

    smtp.hold_next()  # the server takes the message and keeps the worker waiting for "250"
    submitted_plans(app_ctx, users, 1)
    (row,) = outbox()
    assert smtp.holding.wait(20), worker.tail()

    worker.send_signal(signal.SIGTERM)  # `docker compose stop worker`
    wait_until(lambda: WARM_SHUTDOWN in worker.log_since_start(), what="the warm shutdown")
    # The worker waits for its delivery: a moment later it still runs, the row still pending.
    time.sleep(1)
    assert worker.running, worker.tail()
    assert [r.status for r in outbox()] == ["pending"]

    smtp.release.set()  # the server answers
    assert worker.wait(30) == 0, worker.tail()
    assert all_sent([row.id])
    assert_each_delivered(smtp, [row])
    assert len(smtp.received) == 1
    # Acknowledged before the exit: nothing is left in Redis to be delivered a second time.
    assert broker_backlog(services["redis"]) == (0, 0)


def test_sigterm_hands_the_waiting_retries_back_to_the_broker(
    app_ctx: Flask, services: dict, users: dict, extra_celery: Callable[..., CeleryProcess]
) -> None:
    smtp: SmtpSink = services["smtp"]
    redis_server: RedisServer = services["redis"]
    services["worker"].stop()
    # With late acknowledgement and a prefetch multiplier of 1, a prefork worker reserves no
    # more tasks than its pool runs, except those waiting for a countdown (an ETA): a retried
    # delivery. Retries a few seconds apart keep them waiting in the worker most of the time.
    retries = {
        "WORKFLOW_APP_NOTIFICATION_RETRY_BASE_SECONDS": "2",
        "WORKFLOW_APP_NOTIFICATION_RETRY_MAX_SECONDS": "2",
    }
    worker = extra_celery("worker", "shutdown-retries", settings=retries, **COMPOSE_POOL)
    worker.start()
    smtp.stop()

    plans = 3
    submitted_plans(app_ctx, users, plans)
    rows = outbox()
    assert len(rows) == plans
    wait_until(
        lambda: all(r.attempts >= 1 for r in outbox()) and scheduled_in(app_ctx, worker) == plans,
        what="every delivery waiting in the worker for its retry",
        details=worker.tail,
    )

    assert worker.terminate(30) == 0, worker.tail()
    log = worker.log_since_start()
    assert WARM_SHUTDOWN in log
    assert "Restoring" in log and "unacknowledged message(s)" in log, worker.tail()
    # Back in the queue, one message per row: none left to the visibility timeout, none lost.
    assert broker_backlog(redis_server) == (plans, 0)
    assert {r.status for r in outbox()} == {"pending"}

    smtp.start()
    worker.start()  # the next container
    # Their countdowns (two seconds at most) ran out while it started: they go out at once,
    # not two hours later.
    wait_until(
        lambda: all_sent([r.id for r in rows]),
        timeout=5,
        what="the handed-back deliveries sent",
        details=worker.tail,
    )
    assert_each_delivered(smtp, rows)
    assert len(smtp.received) == plans
