"""Login throttling: which views are throttled and by what, the keys counted, the log.

Failed logins (a wrong password, an unknown username, a refused form; a successful login costs
nothing) are counted three ways, so that guessing is slowed and the owner still gets in:

- per username and client, LOGIN_LIMIT_PER_USERNAME (5 per 15 minutes): the client is the
  browser if it is known to that account (accounts/known_devices.py: a signed cookie from a
  login, password change or reset with the account's current password, KNOWN_DEVICE_DAYS ago
  at most), otherwise the client address;
- per account across all addresses, LOGIN_LIMIT_PER_ACCOUNT (50 per hour;200 per day): only
  browsers not known to the account are counted and held back by it;
- per client address across usernames, LOGIN_LIMIT_PER_IP (30 per minute): likewise only
  browsers not known to the account typed.

An attempt under a reached limit answers 429, even with the right password, on the login
page, with the reason and the time the count ends (and Retry-After).

What an attacker gets: 5 guesses per 15 minutes per account and address, 50 per hour and 200
per day per account however many addresses they use, 30 per minute from one address across
usernames. Their failures never count against a browser the owner has logged in from.
What a user gets: in a browser they have logged in from before, only their own mistakes
count there (5 in 15 minutes hold that browser back for the rest of the 15 minutes), whatever
anyone else does, from any address. In a new browser they get in unless, within the window,
their address has failed 5 times for the account, the account has failed 50 times from
browsers it does not know, or their address has failed 30 times across accounts; the page
then says why and until when, and a browser they used before, or a new password through the
emailed reset link (which makes this browser known), gets them in at once.
Behind a reverse proxy the client address must reach `request.remote_addr` (ProxyFix).

Views declare their limits with `@throttled(...)`; `init_throttling` gives each app its own
Flask-Limiter (storage RATELIMIT_STORAGE_URI) and applies them. One limiter per app, not a
module-wide one, because a Flask-Limiter binds to the last app it was given.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from flask import Blueprint, Flask, current_app, request
from flask_babel import LazyString
from flask_limiter import Limiter, RequestLimit
from limits import parse_many
from werkzeug.wrappers import Response

log = logging.getLogger("workflow_app.security")

EXTENSION = "workflow_app.limiter"
# The limits the current request broke, kept with the request (`g` can outlive one).
BREACHES = "workflow_app.throttle_breaches"
View = TypeVar("View", bound=Callable[..., object])


@dataclass(frozen=True)
class Throttle:
    """At most `limit()` POSTs per `key()`; with `failures_only`, only failed ones count.
    A request for which `exempt_when()` is true is neither held back nor counted; `reason`
    says why an attempt was refused, for a page that explains its 429."""

    limit: Callable[[], str]
    key: Callable[[], str]
    failures_only: bool = False
    exempt_when: Callable[[], bool] | None = None
    reason: LazyString | None = None


@dataclass(frozen=True)
class Breach:
    """A limit the current request broke: why (the throttle's reason) and until when."""

    reason: LazyString | None
    until: datetime


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


def login_limit_per_account() -> str:
    return current_app.config["LOGIN_LIMIT_PER_ACCOUNT"]


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


def _on_breach(throttle: Throttle) -> Callable[[RequestLimit], None]:
    def breached(limit: RequestLimit) -> None:
        log_denial(limit)
        until = datetime.fromtimestamp(limit.reset_at, UTC)
        request.environ.setdefault(BREACHES, []).append(Breach(throttle.reason, until))

    return breached


def breaches() -> list[Breach]:
    """The limits the current request broke (an error handler drawing the 429 asks)."""
    return list(request.environ.get(BREACHES, ()))


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
                exempt_when=throttle.exempt_when,
                on_breach=_on_breach(throttle),
            )(wrapped)
        app.view_functions[endpoint] = wrapped


def reset_throttling(app: Flask) -> None:
    """Forget every count (tests)."""
    app.extensions[EXTENSION].reset()


# --- counting failures by hand -------------------------------------------------------------
# For a view whose success is not a redirect (so `failed_attempt` cannot tell), or whose
# failure is one check among several: the view asks `failures_held_until` first and calls
# `count_failure` after a failed check. The counts live in the app's limiter storage.

COUNTED_SCOPE = "counted-failures"


def failures_held_until(limit: str, key: str) -> datetime | None:
    """While `key` has used up any of `limit` (e.g. "5 per minute;20 per hour"): when the
    longest-held of them ends; otherwise None."""
    strategy = current_app.extensions[EXTENSION].limiter
    ends = [
        strategy.get_window_stats(item, COUNTED_SCOPE, key).reset_time
        for item in parse_many(limit)
        if not strategy.test(item, COUNTED_SCOPE, key)
    ]
    return datetime.fromtimestamp(max(ends), UTC) if ends else None


def count_failure(limit: str, key: str) -> None:
    """Count one failure of `key` against each of `limit`."""
    strategy = current_app.extensions[EXTENSION].limiter
    for item in parse_many(limit):
        strategy.hit(item, COUNTED_SCOPE, key)


# --- one limit shared by every route of a blueprint ----------------------------------------


def limit_blueprint(
    app: Flask,
    blueprint: Blueprint,
    limit: Callable[[], str],
    key: Callable[[], str],
    scope: str,
) -> None:
    """At most `limit()` requests per `key()` across all routes of `blueprint` together
    (any method), counted in `scope`; a request beyond it raises Flask-Limiter's
    RateLimitExceeded (429) before the view runs. Call after `init_throttling`."""
    limiter: Limiter = app.extensions[EXTENSION]
    limiter.shared_limit(limit, scope=scope, key_func=key, on_breach=_log_key_denial)(blueprint)


def _log_key_denial(limit: RequestLimit) -> None:
    log.warning(
        "throttled: %s %s ip=%s key=%s limit=%s",
        request.method,
        request.path,
        client_address(),
        limit.key,
        limit.limit,
    )


def retry_after_seconds() -> int:
    """Seconds until the limit the current request broke lets it through again (at least 1)."""
    current = current_app.extensions[EXTENSION].current_limit
    if current is None:
        return 1
    return max(1, math.ceil(current.reset_at - time.time()))
