"""Settings. The defaults are the embedded profile (SQLite under instance/, no servers);
every setting can be overridden from the environment for production."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from .resources import resource_path

PROFILES = ("embedded", "production")


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
        "PREFERRED_URL_SCHEME": "http",
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
    if environ.get("WORKFLOW_APP_PROFILE"):
        overrides["PROFILE"] = environ["WORKFLOW_APP_PROFILE"]
    return overrides


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


def check_profile(config: dict[str, Any]) -> None:
    if config["PROFILE"] not in PROFILES:
        raise ConfigurationError(
            f"unknown profile {config['PROFILE']!r}; choose one of {', '.join(PROFILES)}"
        )
    if config["PROFILE"] == "production":
        config["SESSION_COOKIE_SECURE"] = True
        config["REMEMBER_COOKIE_SECURE"] = True
        config["PREFERRED_URL_SCHEME"] = "https"
