"""The worker's entry point, as `make_celery.py` in Flask's "Background Tasks with Celery":
build the Flask app from the environment (the same settings as the web side: DATABASE_URL,
CELERY_BROKER_URL or REDIS_URL, MAIL_*); `create_app` binds Celery to it (celery_init_app). The
tasks are `shared_task`s, so importing them registers them with that Celery app; then the beat
schedule is set.

Only this module builds an app: the app package never imports `workers`, and importing
`workers.tasks` or `workers.schedule` builds nothing.
"""

from __future__ import annotations

from celery.signals import worker_process_init, worker_process_shutdown, worker_shutdown

from workflow_app import create_app
from workflow_app.notifications.mailer import close_connection
from workflow_app.wsgi import freeze_loaded

from . import tasks
from .schedule import beat_schedule

flask_app = create_app()
celery = app = flask_app.extensions["celery"]
celery.conf.beat_schedule = beat_schedule(flask_app.config)
# The app's start-up objects out of the collector's reach, as on the web side (workflow_app/
# wsgi.py); a pool process freezes again what the worker loaded after this, before its tasks.
freeze_loaded()


@worker_process_init.connect
def _freeze_pool_process(**_: object) -> None:
    freeze_loaded()


@worker_process_shutdown.connect
@worker_shutdown.connect
def _close_smtp(**_: object) -> None:
    """The process's kept SMTP connection (notifications/mailer.py) ends with it."""
    close_connection()


__all__ = ["app", "celery", "flask_app", "tasks"]
