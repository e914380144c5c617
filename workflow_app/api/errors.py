"""Every error of the API is JSON of one shape: {"code", "message", "fields", "problems"}.

`code` is stable (scripts branch on it); `message` is English, for people reading logs. Routing
errors (an unknown /api/ path, a wrong method) never reach the blueprint, so they are answered
by an app-level handler that defers to the HTML error pages for every other path.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from enum import StrEnum
from typing import Any

from flask import Blueprint, Flask, Response, g, json, request
from flask_limiter import RateLimitExceeded
from pydantic import ValidationError
from werkzeug.exceptions import HTTPException

from ..engine import GuardFailed, StaleObject, TransitionRefused
from ..engine.guards import Problem
from ..security.throttling import retry_after_seconds

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"


class ErrorCode(StrEnum):
    """Every `code` an error of the API may carry: the stable list scripts branch on (the
    OpenAPI document lists it; tests/unit/test_api_error_codes.py keeps it complete)."""

    # 400
    VALIDATION_ERROR = "validation_error"
    UNKNOWN_TRIGGER = "unknown_trigger"
    COMMENT_REQUIRED = "comment_required"
    BAD_REQUEST = "bad_request"
    FILE_TYPE_NOT_ALLOWED = "file_type_not_allowed"
    EVIDENCE_FILES_LIMIT = "evidence_files_limit"
    # 401, 403, 404
    UNAUTHORIZED = "unauthorized"
    FORBIDDEN = "forbidden"
    DUTIES_NOT_SEPARATED = "duties_not_separated"
    NOT_FOUND = "not_found"
    # 405
    METHOD_NOT_ALLOWED = "method_not_allowed"
    # 409
    INVALID_STATE = "invalid_state"
    GUARD_FAILED = "guard_failed"
    STALE = "stale"
    CONFLICT = "conflict"
    IDEMPOTENCY_KEY_IN_USE = "idempotency_key_in_use"
    # 422
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    # 413, 415, 429
    PAYLOAD_TOO_LARGE = "payload_too_large"
    FILE_TOO_LARGE = "file_too_large"
    EVIDENCE_BYTES_LIMIT = "evidence_bytes_limit"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    RATE_LIMITED = "rate_limited"
    # a refusal of the engine without a code of its own, any other HTTP error, 5xx
    REFUSED = "refused"
    ERROR = "error"
    SERVER_ERROR = "server_error"


# Engine codes kept as they are, except a refused input, which is a validation error here.
RENAMED_CODES = {"invalid": "validation_error"}

HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


class ApiError(Exception):
    """An error the API answers with as it is (status, code, message, field errors)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        fields: dict[str, list[str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields or {}


def problem_body(problem: Problem) -> dict[str, Any]:
    """A problem as the API answers it (schemas.Problem): what it is about, a stable code and
    the message."""
    return {"field": problem.field, "code": problem.code, "message": problem.message}


def unauthorized(message: str = "a valid API token is required") -> ApiError:
    return ApiError(401, "unauthorized", message)


def error_response(
    status: int,
    code: str,
    message: str,
    *,
    fields: dict[str, list[str]] | None = None,
    problems: Sequence[dict[str, Any] | str] | None = None,
    extra: dict[str, Any] | None = None,
) -> Response:
    """The one error body. A problem given as bare text is about nothing in particular."""
    found = [
        p if isinstance(p, dict) else {"field": None, "code": "unspecified", "message": p}
        for p in problems or []
    ]
    body = {"code": code, "message": message, "fields": fields or {}, "problems": found}
    body.update(extra or {})
    response = Response(json.dumps(body), status=status, mimetype="application/json")
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


def validation_fields(error: ValidationError) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for item in error.errors(include_url=False, include_input=False):
        location = ".".join(str(part) for part in item["loc"]) or "body"
        fields.setdefault(location, []).append(item["msg"])
    return fields


def _current(case: object | None) -> dict[str, Any]:
    """Where the case the request named stands now (reloaded after the rollback), so a client
    told `stale` can decide without another request; nothing if it cannot be read."""
    if case is None:
        return {}
    try:
        return {
            "current_version": case.version,  # type: ignore[attr-defined]
            "current_state": case.state,  # type: ignore[attr-defined]
        }
    except Exception:  # deleted meanwhile, or the session cannot reload it: say nothing more
        logger.warning("could not reload the case of a stale request", exc_info=True)
        return {}


def _http_error(error: HTTPException) -> Response:
    status = error.code or 500
    if status >= 500:
        return error_response(500, "server_error", "the server could not complete the request")
    code = HTTP_CODES.get(status, "error")
    response = error_response(status, code, error.description or error.name)
    if status == 405 and error.valid_methods:  # type: ignore[attr-defined]
        response.headers["Allow"] = ", ".join(error.valid_methods)  # type: ignore[attr-defined]
    return response


def register_error_handlers(blueprint: Blueprint) -> None:
    @blueprint.errorhandler(ApiError)
    def api_error(error: ApiError) -> Response:
        return error_response(error.status, error.code, error.message, fields=error.fields)

    @blueprint.errorhandler(ValidationError)
    def invalid(error: ValidationError) -> Response:
        fields = validation_fields(error)
        return error_response(400, "validation_error", "the request is not valid", fields=fields)

    @blueprint.errorhandler(TransitionRefused)
    def refused(error: TransitionRefused) -> Response:
        found = error.problems if isinstance(error, GuardFailed) else []
        problems = [problem_body(p) for p in found]
        code = RENAMED_CODES.get(error.code, error.code)
        extra = _current(g.get("api_case")) if isinstance(error, StaleObject) else None
        return error_response(error.status, code, error.message, problems=problems, extra=extra)

    @blueprint.errorhandler(RateLimitExceeded)
    def rate_limited(error: RateLimitExceeded) -> Response:
        message = (
            f"too many requests: at most {error.limit.limit} per API token (per client address "
            "without a working token); retry after the seconds in the Retry-After header"
        )
        response = error_response(429, "rate_limited", message)
        response.headers["Retry-After"] = str(retry_after_seconds())
        return response

    @blueprint.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        if (error.code or 500) >= 500:
            logger.error("API request failed: %s %s", request.method, request.path)
        return _http_error(error)


def init_app_errors(app: Flask) -> None:
    """JSON for routing errors under /api/ (no blueprint sees them); the app's HTML error
    page, registered before this, for every other path."""
    handlers = app.error_handler_spec[None][None]
    html_page: Callable[[HTTPException], object] | None = handlers.get(HTTPException)

    def routing_error(error: HTTPException):  # type: ignore[no-untyped-def]
        if request.path.startswith(API_PREFIX) or request.path == API_PREFIX.rstrip("/"):
            return _http_error(error)
        if html_page is not None:
            return html_page(error)
        return error

    app.register_error_handler(HTTPException, routing_error)
