"""The Celery entry point: `celery -A workers worker` and `celery -A workers beat`.

Importing this package builds the Flask app from the environment (the same settings as the web
side: DATABASE_URL, CELERY_BROKER_URL or REDIS_URL, MAIL_*), binds Celery to it, registers the
tasks and sets the beat schedule.
"""

from __future__ import annotations

from workflow_app import create_app

from . import tasks  # the tasks are shared_task: they bind to the Celery app made below
from .schedule import beat_schedule

flask_app = create_app()
celery = app = flask_app.extensions["celery"]
celery.conf.beat_schedule = beat_schedule(flask_app.config)

__all__ = ["app", "celery", "flask_app", "tasks"]
