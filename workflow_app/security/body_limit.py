"""A body limit on every route, checked before anything reads the body.

Flask applies MAX_CONTENT_LENGTH only when a view (or the CSRF check) reads the body, so a
route that reads nothing, or reads it late, took any size. Here every request declaring a
larger body is refused with 413 before its view runs, and `request.max_content_length` bounds
a body sent without a length (chunked) as it is read. API bodies are JSON and small: they get
their own, smaller limit (API_MAX_BODY_BYTES); the web's limit (MAX_CONTENT_LENGTH) leaves room
for uploads. A view may lower its own limit further (the activity import does).
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, abort, current_app, request

API_PREFIX = "/api/"
# API endpoints whose body is a file, not JSON (e.g. a plan's activity workbook), by endpoint
# name: their own limit instead of API_MAX_BODY_BYTES, set by the module declaring them (a
# function: read when a request comes, e.g. from the app's configuration).
FILE_BODY_LIMITS: dict[str, int | Callable[[], int]] = {}


def body_limit() -> int:
    if request.path.startswith(API_PREFIX):
        own = FILE_BODY_LIMITS.get(request.endpoint or "")
        own = own() if callable(own) else own
        return own if own is not None else int(current_app.config["API_MAX_BODY_BYTES"])
    return int(current_app.config["MAX_CONTENT_LENGTH"])


def _refuse_large_bodies() -> None:
    limit = body_limit()
    request.max_content_length = limit
    if request.content_length is not None and request.content_length > limit:
        abort(413)


def init_body_limit(app: Flask) -> None:
    app.before_request(_refuse_large_bodies)
