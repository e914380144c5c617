"""Login throttling: which views are throttled and by what, the keys counted, the log.

Failed attempts are counted per username and per client address (a successful login costs
nothing, so an office behind one address is not locked out by its own staff). Once a limit
is reached, every attempt answers 429, even with the right password, until the window ends.
Behind a reverse proxy the client address must reach `request.remote_addr` (ProxyFix).

Views declare their limits with `@throttled(...)`; `init_throttling` gives each app its own
Flask-Limiter (storage RATELIMIT_STORAGE_URI) and applies them. One limiter per app, not a
module-wide one, because a Flask-Limiter binds to the last app it was given.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from flask import Flask, current_app, request
from flask_limiter import Limiter, RequestLimit
from werkzeug.wrappers import Response

log = logging.getLogger("workflow_app.security")

EXTENSION = "workflow_app.limiter"
View = TypeVar("View", bound=Callable[..., object])


@dataclass(frozen=True)
class Throttle:
    """At most `limit()` POSTs per `key()`; with `failures_only`, only failed ones count."""

    limit: Callable[[], str]
    key: Callable[[], str]
    failures_only: bool = False


def throttled(*throttles: Throttle) -> Callable[[View], View]:
    """Mark a view (below its route decorator) for the limits given."""

    def mark(view: View) -> View:
        view.throttles = throttles  # type: ignore[attr-defined]
        return view

    return mark


def client_address() -> str:
    return request.remote_addr or "unknown"


def username_key() -> str:
    """The username typed into the login form, as the login looks it up (case and spaces
    do not make a new name)."""
    return "user:" + (request.form.get("username") or "").strip().lower()[:80]


def account_key() -> str:
    """The username or email typed into the forgotten-password form."""
    return "account:" + (request.form.get("account") or "").strip().lower()[:254]


def login_limit_per_username() -> str:
    return current_app.config["LOGIN_LIMIT_PER_USERNAME"]


def login_limit_per_ip() -> str:
    return current_app.config["LOGIN_LIMIT_PER_IP"]


def reset_limit_per_ip() -> str:
    return current_app.config["PASSWORD_RESET_LIMIT_PER_IP"]


def reset_limit_per_account() -> str:
    return current_app.config["PASSWORD_RESET_LIMIT_PER_ACCOUNT"]


def failed_attempt(response: Response) -> bool:
    """An attempt answered with anything but the redirect of a success (a wrong password, an
    invalid form, a refused CSRF token...)."""
    return not 300 <= response.status_code < 400


def log_denial(limit: RequestLimit) -> None:
    log.warning(
        "throttled: %s %s ip=%s username=%r limit=%s",
        request.method,
        request.path,
        client_address(),
        (request.form.get("username") or request.form.get("account") or "")[:254],
        limit.limit,
    )


def init_throttling(app: Flask) -> None:
    """Call after every blueprint is registered."""
    limiter = Limiter(key_func=client_address, app=app)
    app.extensions[EXTENSION] = limiter
    for endpoint, view in list(app.view_functions.items()):
        throttles: tuple[Throttle, ...] = getattr(view, "throttles", ())
        wrapped = view
        for throttle in reversed(throttles):
            wrapped = limiter.limit(
                throttle.limit,
                key_func=throttle.key,
                methods=["POST"],
                deduct_when=failed_attempt if throttle.failures_only else None,
                on_breach=log_denial,
            )(wrapped)
        app.view_functions[endpoint] = wrapped


def reset_throttling(app: Flask) -> None:
    """Forget every count (tests)."""
    app.extensions[EXTENSION].reset()
