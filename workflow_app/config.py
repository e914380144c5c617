"""Settings. The defaults are the embedded profile (SQLite under instance/, no servers);
every setting can be overridden from the environment for production."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from limits import parse_many

from .resources import resource_path

PROFILES = ("embedded", "production")
MAIL_BACKENDS = ("mailbox", "smtp")


class ConfigurationError(RuntimeError):
    pass


def defaults(instance_path: Path) -> dict[str, Any]:
    return {
        "PROFILE": "embedded",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance_path / 'workflow_app.db'}",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "WORKFLOWS_DIR": str(resource_path("workflows")),
        "BABEL_DEFAULT_LOCALE": "id",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Makassar",
        "LANGUAGES": ["id", "en"],
        # A long plan form may stay open for hours: keep the CSRF token for the session.
        "WTF_CSRF_TIME_LIMIT": None,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        # Sessions: the cookie is renamed `__Host-session` in production (Secure, path /, no
        # domain); a session ends after this long without a request, and this long after
        # login in any case (accounts/sessions.py).
        "SESSION_COOKIE_PATH": "/",
        "SESSION_IDLE_MINUTES": 30,
        "SESSION_ABSOLUTE_HOURS": 12,
        # Pages warn this long before the session ends (at most half the idle timeout), with
        # a button that keeps it going (static/session.js).
        "SESSION_IDLE_WARNING_SECONDS": 120,
        # A form sent after its session ended is kept this long for its user to get back
        # after logging in, if it is no larger than this (pending_forms/).
        "PENDING_FORM_MINUTES": 120,
        "PENDING_FORM_MAX_BYTES": 200_000,
        # Login and reset throttling (security/throttling.py, which says what an attacker and
        # a user each get). Failed logins count per username and client (a browser known to
        # the account, else the address); per account across all addresses and per address
        # across usernames, only from browsers the account does not know. A browser is known
        # for KNOWN_DEVICE_DAYS after it last proved the account's password.
        # RATELIMIT_STORAGE_URI None: chosen by profile (embedded: in process, production:
        # REDIS_URL).
        "RATELIMIT_STORAGE_URI": None,
        "RATELIMIT_HEADERS_ENABLED": True,
        "LOGIN_LIMIT_PER_USERNAME": "5 per 15 minutes",
        "LOGIN_LIMIT_PER_ACCOUNT": "50 per hour;200 per day",
        "LOGIN_LIMIT_PER_IP": "30 per minute",
        "KNOWN_DEVICE_DAYS": 90,
        "PASSWORD_RESET_LIMIT_PER_IP": "5 per minute;30 per hour",
        "PASSWORD_RESET_LIMIT_PER_ACCOUNT": "3 per hour",
        # A password reset link works once, for this long.
        "PASSWORD_RESET_MINUTES": 60,
        # No API token lives longer than this; a token asked for without a length gets it.
        "API_TOKEN_MAX_DAYS": 365,
        # The API's rate limit (api/rate_limit.py), across all /api/v1 routes: per token, or per
        # client address for requests without a working token. Beyond it: 429 rate_limited
        # with Retry-After (seconds). 600 a minute is ten a second, far above what a script
        # syncing plans needs, and bounds what one leaked or runaway token can cost. Any
        # Flask-Limiter rate string ("1000 per minute;20000 per hour"); set
        # WORKFLOW_APP_API_RATE_LIMIT or API_RATE_LIMIT in the environment.
        "API_RATE_LIMIT": "600 per minute",
        # An acting official (Plt/Plh) is appointed for at most this many days at a time.
        "DELEGATION_MAX_DAYS": 90,
        # Where each role lands after logging in (workspaces.py): a role named here opens its
        # workspace, any other role its tasks (DEFAULT_WORKSPACE). The workspaces: tasks,
        # sync (the provincial sync desk), dashboard (the provincial overview), admin.
        "DEFAULT_WORKSPACE": "tasks",
        "ROLE_WORKSPACES": {
            "provincial_head": "dashboard",
            "admin": "admin",
            "partner": "dashboard",
        },
        "PREFERRED_URL_SCHEME": "http",
        # Bootstrap's CSS comes from the app itself (bootstrap-flask's static files), never a CDN.
        "BOOTSTRAP_SERVE_LOCAL": True,
        # Static files under content-hashed names with their compressed forms, made at
        # start-up (static_files.py); reused across restarts while the files are unchanged.
        "STATIC_CACHE_DIR": str(instance_path / "static-cache"),
        # Emails: absolute links to the plans, and where mail goes. MAIL_BACKEND None is
        # resolved by check_profile: "mailbox" (.eml files under instance/mailbox/, readable
        # in the admin area) in the embedded profile, "smtp" in production.
        "BASE_URL": "http://127.0.0.1:5000",
        "MAIL_BACKEND": None,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": 25,
        "MAIL_USE_TLS": False,
        "MAIL_USE_SSL": False,
        "MAIL_USERNAME": None,
        "MAIL_PASSWORD": None,
        "MAIL_DEFAULT_SENDER": "Rencana Aksi Sanitasi Kalsel <no-reply@example.org>",
        # Delivery: bounded retries with exponential backoff and full jitter; the relay
        # queues again what is still pending this long after it was due.
        "NOTIFICATION_MAX_ATTEMPTS": 6,
        "NOTIFICATION_RETRY_BASE_SECONDS": 30,
        "NOTIFICATION_RETRY_MAX_SECONDS": 3600,
        "NOTIFICATION_RELAY_GRACE_SECONDS": 120,
        "NOTIFICATION_SMTP_TIMEOUT_SECONDS": 30,
        # A delivery holds its row this long (longer than an SMTP conversation can last), so
        # the relay does not queue it again meanwhile; a worker killed mid-delivery leaves it
        # to the relay after this plus the grace above.
        "NOTIFICATION_DELIVERY_LEASE_SECONDS": 300,
        # Celery. None: chosen by profile in celery_app.broker_url (embedded: a SQLite file
        # under instance/, production: REDIS_URL, tests: in memory).
        "CELERY_BROKER_URL": None,
        "ESCALATION_SWEEP_SECONDS": 60,
        "NOTIFICATION_RELAY_SECONDS": 60,
        # Monitoring: how often beat starts monitoring plans whose period began and opens the
        # reports of quarters that ended (both idempotent).
        "MONITORING_ROUND_SECONDS": 300,
        # The dashboard's figures are rendered once per data change (and scope, filters,
        # language, day), then served from this cache for at most this long; 0 turns it off.
        # CACHE_TYPE None: chosen by profile (embedded: in-process, production: REDIS_URL).
        "DASHBOARD_CACHE_SECONDS": 600,
        # A pooled database connection unused for this many seconds is pinged (SELECT 1)
        # before its next use, and replaced if the server dropped it; one used more recently
        # only when the server spoke on it meanwhile (a restart's notice). None: no ping (the
        # embedded SQLite file); production pings after 10 seconds (web.py).
        "DATABASE_PING_IDLE_SECONDS": None,
        # Reverse proxies in front of the app whose X-Forwarded-* headers are believed (0: none).
        "TRUSTED_PROXIES": 0,
        # Logs on standard error: "json" (one object per line) or "text"; None: by profile
        # (json in production). LOG_LEVEL is the root logger's.
        "LOG_FORMAT": None,
        "LOG_LEVEL": "INFO",
        # Test-only (refused by the production profile): a file holding how many seconds
        # every process's clock runs ahead, so a system test can make deadlines pass.
        "TEST_CLOCK_FILE": None,
        "CACHE_TYPE": None,
        # Evidence of progress reports: stored here under generated names (a volume in
        # production), at most this large each. Requests larger than MAX_CONTENT_LENGTH are
        # refused before any form is read.
        "ATTACHMENTS_DIR": str(instance_path / "attachments"),
        "ATTACHMENT_MAX_BYTES": 10_000_000,
        "MAX_CONTENT_LENGTH": 12_000_000,
        # A report keeps at most this many evidence files, together at most this large; the
        # upload form shows both limits and what is used.
        "EVIDENCE_MAX_FILES_PER_REPORT": 20,
        "EVIDENCE_MAX_BYTES_PER_REPORT": 50_000_000,
        # Activity imports (spreadsheets/bounded_xlsx.py): a workbook is refused before it is
        # parsed when it unpacks to more than this, holds more parts or cells, or a large part
        # is packed more tightly than this; reading stops after this much CPU time. The largest
        # plan the import takes (2,000 activities, 20,000 funding rows) unpacks to about 6 MB,
        # holds 100,000 cells and reads in under half a second.
        "IMPORT_MAX_UNPACKED_BYTES": 20 * 1024 * 1024,
        "IMPORT_MAX_PARTS": 200,
        "IMPORT_MAX_COMPRESSION_RATIO": 100,
        "IMPORT_MAX_CELLS": 300_000,
        "IMPORT_MAX_SECONDS": 5,
        # Funding in whole Rupiah: one activity's total and one plan's total (plans/funding.py).
        "ACTIVITY_MAX_FUNDING": 10**13,
        "PLAN_MAX_FUNDING": 10**14,
        # An API request's JSON body (the API takes no uploads): at most this large.
        "API_MAX_BODY_BYTES": 1_000_000,
    }


def normalise_database_url(url: str) -> str:
    """Accept the usual `postgres://` and `postgresql://` forms and use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def from_environment(environ: os._Environ[str] | dict[str, str]) -> dict[str, Any]:
    """The well-known variables; anything else can be set as WORKFLOW_APP_<NAME>."""
    overrides: dict[str, Any] = {}
    if environ.get("DATABASE_URL"):
        overrides["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(environ["DATABASE_URL"])
    if environ.get("SECRET_KEY"):
        overrides["SECRET_KEY"] = environ["SECRET_KEY"]
    if environ.get("REDIS_URL"):
        overrides["REDIS_URL"] = environ["REDIS_URL"]
    if environ.get("CELERY_BROKER_URL"):
        overrides["CELERY_BROKER_URL"] = environ["CELERY_BROKER_URL"]
    if environ.get("RATELIMIT_STORAGE_URI"):
        overrides["RATELIMIT_STORAGE_URI"] = environ["RATELIMIT_STORAGE_URI"]
    if environ.get("ATTACHMENTS_DIR"):
        overrides["ATTACHMENTS_DIR"] = environ["ATTACHMENTS_DIR"]
    if environ.get("API_RATE_LIMIT"):
        overrides["API_RATE_LIMIT"] = environ["API_RATE_LIMIT"]
    for name in ("API_TOKEN_MAX_DAYS", "DELEGATION_MAX_DAYS"):
        if environ.get(name):
            value = environ[name]
            if not value.isdigit() or not 1 <= int(value) <= 3650:
                raise ConfigurationError(f"{name} must be a whole number of days, 1 to 3650")
            overrides[name] = int(value)
    for name in (
        "ESCALATION_SWEEP_SECONDS",
        "NOTIFICATION_RELAY_SECONDS",
        "MONITORING_ROUND_SECONDS",
    ):
        if environ.get(name):
            if not environ[name].isdigit() or int(environ[name]) < 1:
                raise ConfigurationError(f"{name} must be a whole number of seconds, at least 1")
            overrides[name] = int(environ[name])
    if environ.get("WORKFLOW_APP_PROFILE"):
        overrides["PROFILE"] = environ["WORKFLOW_APP_PROFILE"]
    overrides.update(mail_settings(environ))
    return overrides


MAIL_TEXT_SETTINGS = ("MAIL_SERVER", "MAIL_USERNAME", "MAIL_PASSWORD", "MAIL_DEFAULT_SENDER")
MAIL_FLAG_SETTINGS = ("MAIL_USE_TLS", "MAIL_USE_SSL")


def mail_settings(environ: os._Environ[str] | dict[str, str]) -> dict[str, Any]:
    """Flask-Mail's own names, as a mail host or container platform sets them."""
    found: dict[str, Any] = {
        name: environ[name] for name in MAIL_TEXT_SETTINGS if environ.get(name)
    }
    for name in MAIL_FLAG_SETTINGS:
        if environ.get(name):
            found[name] = environ[name].strip().lower() in ("1", "true", "yes")
    if environ.get("MAIL_PORT"):
        if not environ["MAIL_PORT"].strip().isdigit():
            raise ConfigurationError("MAIL_PORT must be a port number")
        found["MAIL_PORT"] = int(environ["MAIL_PORT"])
    return found


def ensure_secret_key(config: dict[str, Any], instance_path: Path) -> None:
    """Production needs an explicit key; the embedded profile keeps a generated one in instance/."""
    if config.get("SECRET_KEY"):
        return
    if config["PROFILE"] == "production":
        raise ConfigurationError(
            "SECRET_KEY is not set: the production profile refuses to start without it"
        )
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    config["SECRET_KEY"] = key_file.read_text().strip()


def check_rate_limit(config: dict[str, Any], name: str) -> None:
    """A rate string the limiter cannot read would fail every request it applies to: refuse
    to start instead."""
    if name not in config:
        return
    try:
        parse_many(str(config[name]))
    except ValueError as exc:
        raise ConfigurationError(
            f"{name} is not a rate limit such as '600 per minute': {config[name]!r}"
        ) from exc


def check_profile(config: dict[str, Any]) -> None:
    if config["PROFILE"] not in PROFILES:
        raise ConfigurationError(
            f"unknown profile {config['PROFILE']!r}; choose one of {', '.join(PROFILES)}"
        )
    if not config.get("MAIL_BACKEND"):
        config["MAIL_BACKEND"] = "smtp" if config["PROFILE"] == "production" else "mailbox"
    if config["MAIL_BACKEND"] not in MAIL_BACKENDS:
        raise ConfigurationError(
            f"unknown MAIL_BACKEND {config['MAIL_BACKEND']!r}; choose one of "
            + ", ".join(MAIL_BACKENDS)
        )
    if not config.get("CACHE_TYPE"):
        if config["PROFILE"] == "production":
            config["CACHE_TYPE"] = "RedisCache"
            config.setdefault("CACHE_REDIS_URL", config["REDIS_URL"])
        else:
            config["CACHE_TYPE"] = "SimpleCache"
    if not config.get("RATELIMIT_STORAGE_URI"):
        production = config["PROFILE"] == "production"
        config["RATELIMIT_STORAGE_URI"] = config["REDIS_URL"] if production else "memory://"
    check_rate_limit(config, "API_RATE_LIMIT")
    if config["PROFILE"] == "production" and config.get("TEST_CLOCK_FILE"):
        raise ConfigurationError(
            "TEST_CLOCK_FILE is a test-only setting: the production profile refuses to start "
            "with a clock that can be moved"
        )
    if config["PROFILE"] == "production":
        # A pooled connection the database dropped (a restart, a failover) is replaced before
        # use, instead of failing one request per pooled connection: checked when it sat idle
        # or the server closed it (web.py), not by a round trip on every request.
        if config.get("DATABASE_PING_IDLE_SECONDS") is None:
            config["DATABASE_PING_IDLE_SECONDS"] = 10
        config["SESSION_COOKIE_SECURE"] = True
        # The __Host- prefix: the browser accepts the cookie only Secure, for path / and
        # without a domain, so no other host or path can plant or shadow it.
        config["SESSION_COOKIE_NAME"] = "__Host-session"
        config["SESSION_COOKIE_PATH"] = "/"
        config["SESSION_COOKIE_DOMAIN"] = None
        config["REMEMBER_COOKIE_SECURE"] = True
        config["PREFERRED_URL_SCHEME"] = "https"
