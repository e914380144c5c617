"""The Celery app bound to a Flask app (the pattern of Flask's "Background Tasks with Celery"):
every task runs inside an app context of the Flask app that created it.

The web side only sends tasks by name (notifications/dispatch.py); the worker side
(`celery -A workers worker`) imports the task modules and the beat schedule from workers/.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from celery import Celery, Task
from flask import Flask

# A retried delivery waits in the worker, unacknowledged, for its countdown: the broker must
# not hand it to another worker before then (Redis redelivers after the visibility timeout).
MIN_VISIBILITY_TIMEOUT = 2 * 60 * 60
DEFAULT_RETRY_MAX_SECONDS = 3600
# A web request publishes after its commit; with the broker down it must fail fast (the rows
# stay pending for the relay), not hang on a connection.
PUBLISH_TIMEOUT_SECONDS = 2.0


def broker_url(config: dict[str, Any], instance_path: Path) -> str:
    """CELERY_BROKER_URL if set; else tests use memory, production REDIS_URL, and the embedded
    profile kombu's SQLAlchemy transport on a SQLite file (no server)."""
    if config.get("CELERY_BROKER_URL"):
        return config["CELERY_BROKER_URL"]
    if config.get("TESTING"):
        return "memory://"
    if config["PROFILE"] == "production":
        return config["REDIS_URL"]
    return f"sqla+sqlite:///{instance_path / 'broker.db'}"


def visibility_timeout(config: dict[str, Any]) -> int:
    retry_max = int(config.get("NOTIFICATION_RETRY_MAX_SECONDS", DEFAULT_RETRY_MAX_SECONDS))
    return max(MIN_VISIBILITY_TIMEOUT, 2 * retry_max)


def celery_settings(app: Flask) -> dict[str, Any]:
    instance_path = Path(app.instance_path)
    url = broker_url(app.config, instance_path)
    # Only Redis takes these: kombu's SQLAlchemy transport hands its options to create_engine.
    # It has no visibility timeout either: a message taken by a worker that then dies is not
    # delivered again, and the relay queues its row once more.
    transport_options: dict[str, Any] = {}
    if url.startswith(("redis://", "rediss://")):
        transport_options = {
            "visibility_timeout": visibility_timeout(app.config),
            "socket_connect_timeout": PUBLISH_TIMEOUT_SECONDS,
            "socket_timeout": PUBLISH_TIMEOUT_SECONDS * 5,
        }
    return {
        "broker_url": url,
        "broker_transport_options": transport_options,
        "broker_connection_retry_on_startup": True,
        "broker_connection_timeout": PUBLISH_TIMEOUT_SECONDS,
        # Tasks take ids: JSON is enough, and nothing else is accepted.
        "task_serializer": "json",
        "accept_content": ["json"],
        "result_serializer": "json",
        "task_ignore_result": True,
        # Tasks are idempotent, so a task cut short (worker killed) is run again rather than lost.
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        # Retrying is the relay's job: a publish that fails is logged and left to it.
        "task_publish_retry": False,
        "timezone": "UTC",
        "enable_utc": True,
        "beat_schedule_filename": str(instance_path / "celerybeat-schedule"),
    }


def celery_init_app(app: Flask) -> Celery:
    class FlaskTask(Task):
        def __call__(self, *args: object, **kwargs: object) -> object:
            with app.app_context():
                return self.run(*args, **kwargs)

    celery_app = Celery(app.name, task_cls=FlaskTask)
    celery_app.config_from_object(celery_settings(app))
    celery_app.set_default()
    # Code that runs in the worker outside any task (Celery's logging signals) finds its Flask
    # app here (flask_app_of) rather than by importing the worker entry point, which would
    # close a circle: workers -> create_app -> ... -> workers.
    celery_app.flask_app = app  # type: ignore[attr-defined]
    app.extensions["celery"] = celery_app
    return celery_app


def flask_app_of(celery_app: Celery) -> Flask:
    """The Flask app `celery_app` was bound to by celery_init_app (e.g. `celery.current_app`,
    the app of the running worker)."""
    return celery_app.flask_app  # type: ignore[attr-defined,no-any-return]
