"""The request id across Celery: the publishing side puts the current id into the task's
message headers, the worker makes it current while the task runs (so its log lines and the
tasks it queues in turn carry it), and the worker's own log handlers get the app's format."""

from __future__ import annotations

import logging
from typing import Any

from celery import Task
from celery import current_app as current_celery_app
from celery.signals import (
    after_setup_logger,
    after_setup_task_logger,
    before_task_publish,
    task_postrun,
    task_prerun,
)
from flask import current_app, has_app_context

from .celery_app import flask_app_of
from .logs import TASK_HEADER, current_request_id, reset_request_id, set_request_id, style_handlers

_tokens: dict[str, object] = {}


@before_task_publish.connect(weak=False, dispatch_uid="workflow_app.request_id.publish")
def _carry_request_id(headers: dict[str, Any] | None = None, **_: Any) -> None:
    request_id = current_request_id()
    if headers is not None and request_id and TASK_HEADER not in headers:
        headers[TASK_HEADER] = request_id


def _request_id_of(task: Task) -> str | None:
    request = task.request
    value = getattr(request, TASK_HEADER, None)
    if value is None:
        value = (getattr(request, "headers", None) or {}).get(TASK_HEADER)
    return value


@task_prerun.connect(weak=False, dispatch_uid="workflow_app.request_id.prerun")
def _enter_task(task_id: str, task: Task, **_: Any) -> None:
    # A task nobody's request caused (beat's) is its own origin: its id names what follows.
    _tokens[task_id] = set_request_id(_request_id_of(task) or task_id)


@task_postrun.connect(weak=False, dispatch_uid="workflow_app.request_id.postrun")
def _leave_task(task_id: str, **_: Any) -> None:
    token = _tokens.pop(task_id, None)
    if token is not None:
        reset_request_id(token)


def _log_format() -> str:
    if has_app_context():
        return current_app.config["LOG_FORMAT"]
    return flask_app_of(current_celery_app).config["LOG_FORMAT"]


@after_setup_logger.connect(weak=False, dispatch_uid="workflow_app.logs.worker")
@after_setup_task_logger.connect(weak=False, dispatch_uid="workflow_app.logs.task")
def _style_worker_logs(logger: logging.Logger, **_: Any) -> None:
    style_handlers(logger, _log_format())
