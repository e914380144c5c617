"""Logs an operator can search: one JSON object per line in production (readable text in the
embedded profile), each carrying the id of the request that caused it. The id comes from the
client's X-Request-ID (a proxy's, when sane) or is made here, is echoed in the response, and
travels in the headers of every Celery task the request queues, so the worker's lines about a
transition's emails carry the id of the click that made them. Tasks started by beat use their
own task id instead, and pass it on the same way."""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid
from contextvars import ContextVar
from typing import Any

from flask import Flask, g, request
from flask.wrappers import Response
from pythonjsonlogger.json import JsonFormatter

REQUEST_ID_HEADER = "X-Request-ID"
# The Celery message header that carries the id from the web into the worker.
TASK_HEADER = "workflow_request_id"
LOG_FORMATS = ("json", "text")
TEXT_FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"
# A client's id is kept only if it cannot forge a log line or bloat one.
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
# Probes of the orchestrator every few seconds are not worth an INFO line each.
QUIET_PATHS = ("/healthz", "/readyz", "/static/")
# Paths whose rest is a secret (a calendar feed's address, a password reset link): logged
# without it.
SECRET_PATHS = ("/calendar/", "/password/reset/")

_request_id: ContextVar[str | None] = ContextVar("workflow_request_id", default=None)
_HANDLER_NAME = "workflow_app"
# Libraries that narrate every step at INFO: their warnings are enough.
CHATTY_LOGGERS = ("transitions",)
log = logging.getLogger("workflow_app.requests")


def current_request_id() -> str | None:
    return _request_id.get()


def set_request_id(value: str | None) -> object:
    """Make `value` the current id; returns a token for `reset_request_id`."""
    return _request_id.set(value)


def reset_request_id(token: object) -> None:
    _request_id.reset(token)  # type: ignore[arg-type]


def incoming_request_id(header: str | None) -> str:
    return header if header and _SAFE_ID.match(header) else uuid.uuid4().hex


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record ("-" outside a request or task)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = _request_id.get() or "-"
        return True


def formatter(log_format: str) -> logging.Formatter:
    if log_format == "json":
        return JsonFormatter(
            "{asctime}{levelname}{name}{message}",
            style="{",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            datefmt="%Y-%m-%dT%H:%M:%S%z",
        )
    return logging.Formatter(TEXT_FORMAT)


def log_format(config: Any) -> str:
    """LOG_FORMAT, or by profile: JSON in production, text in the embedded profile."""
    chosen = config.get("LOG_FORMAT") or ("json" if config["PROFILE"] == "production" else "text")
    if chosen not in LOG_FORMATS:
        from .config import ConfigurationError

        raise ConfigurationError(
            f"unknown LOG_FORMAT {chosen!r}; choose one of {', '.join(LOG_FORMATS)}"
        )
    return chosen


def style_handlers(logger: logging.Logger, log_format: str) -> None:
    """Give every handler of `logger` our format and the request id (Celery's too)."""
    for handler in logger.handlers:
        handler.setFormatter(formatter(log_format))
        if not any(isinstance(f, RequestIdFilter) for f in handler.filters):
            handler.addFilter(RequestIdFilter())


def configure_root_logger(app: Flask) -> None:
    """One stderr handler on the root logger, unless something (pytest, Celery, a logging
    config of the operator's) already set logging up: then leave it as it is."""
    root = logging.getLogger()
    # Under gunicorn its worker processes log through handlers of their own: same format.
    style_handlers(logging.getLogger("gunicorn.error"), app.config["LOG_FORMAT"])
    if root.handlers or app.testing:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.name = _HANDLER_NAME
    root.addHandler(handler)
    root.setLevel(str(app.config.get("LOG_LEVEL") or "INFO").upper())
    for name in CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    style_handlers(root, app.config["LOG_FORMAT"])


def _start_request() -> None:
    g.request_started = time.perf_counter()
    g.request_id = incoming_request_id(request.headers.get(REQUEST_ID_HEADER))
    g.request_id_token = set_request_id(g.request_id)


def loggable_path(path: str) -> str:
    """`path` as the log shows it: the secret of a secret address left out."""
    for prefix in SECRET_PATHS:
        if path.startswith(prefix):
            return prefix + "…"
    return path


def _finish_request(response: Response) -> Response:
    request_id = g.get("request_id")
    if request_id is None:
        return response
    response.headers[REQUEST_ID_HEADER] = request_id
    level = logging.DEBUG if request.path.startswith(QUIET_PATHS) else logging.INFO
    if log.isEnabledFor(level):
        elapsed = (time.perf_counter() - g.request_started) * 1000
        log.log(
            level,
            "%s %s %s",
            request.method,
            loggable_path(request.path),
            response.status_code,
            extra={
                "method": request.method,
                "path": loggable_path(request.path),
                "status": response.status_code,
                "duration_ms": round(elapsed, 1),
            },
        )
    return response


def _end_request(_exc: BaseException | None) -> None:
    token = g.pop("request_id_token", None)
    if token is not None:
        reset_request_id(token)


def init_app(app: Flask) -> None:
    app.config["LOG_FORMAT"] = log_format(app.config)
    configure_root_logger(app)
    app.before_request(_start_request)
    app.after_request(_finish_request)
    app.teardown_request(_end_request)
