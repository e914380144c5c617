"""Configuration: embedded defaults, environment overrides, and the production profile's rules."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from workflow_app import create_app
from workflow_app.config import ConfigurationError, normalise_database_url

SETTINGS = ("DATABASE_URL", "SECRET_KEY", "REDIS_URL", "WORKFLOW_APP_PROFILE")


@pytest.fixture
def instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A clean environment whose instance folder is a temporary directory."""
    for name in SETTINGS:
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / "instance"
    monkeypatch.setenv("WORKFLOW_APP_INSTANCE_PATH", str(path))
    return path


def test_embedded_is_the_default_with_sqlite_under_the_instance_folder(instance: Path) -> None:
    app = create_app()
    assert app.config["PROFILE"] == "embedded"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{instance / 'workflow_app.db'}"
    assert Path(app.instance_path) == instance
    assert instance.is_dir()


def test_embedded_generates_a_secret_key_once_and_keeps_it(instance: Path) -> None:
    first = create_app()
    key_file = instance / "secret_key"
    assert key_file.read_text().strip() == first.config["SECRET_KEY"]
    assert len(first.config["SECRET_KEY"]) == 64
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600

    second = create_app()
    assert second.config["SECRET_KEY"] == first.config["SECRET_KEY"]


def test_each_instance_folder_gets_its_own_secret_key(
    instance: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = create_app().config["SECRET_KEY"]
    monkeypatch.setenv("WORKFLOW_APP_INSTANCE_PATH", str(tmp_path / "other"))
    assert create_app().config["SECRET_KEY"] != first


def test_production_refuses_to_start_without_a_secret_key(
    instance: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WORKFLOW_APP_PROFILE", "production")
    with pytest.raises(ConfigurationError, match="SECRET_KEY is not set"):
        create_app()
    assert not (instance / "secret_key").exists()


def test_the_command_line_says_why_production_does_not_start(instance: Path) -> None:
    env = {**os.environ, "WORKFLOW_APP_PROFILE": "production"}
    result = subprocess.run(
        [sys.executable, "-c", "from workflow_app.cli import main; main()", "routes"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "configuration error: SECRET_KEY is not set: "
        "the production profile refuses to start without it"
    )


def test_production_with_a_secret_key_starts_with_secure_cookies(
    instance: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WORKFLOW_APP_PROFILE", "production")
    monkeypatch.setenv("SECRET_KEY", "a-long-production-secret")
    app = create_app()
    assert app.config["SECRET_KEY"] == "a-long-production-secret"
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["PREFERRED_URL_SCHEME"] == "https"
    assert not (instance / "secret_key").exists()


def test_the_dashboard_cache_lives_in_redis_in_production_and_in_process_otherwise(
    instance: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert create_app().config["CACHE_TYPE"] == "SimpleCache"
    monkeypatch.setenv("WORKFLOW_APP_PROFILE", "production")
    monkeypatch.setenv("SECRET_KEY", "a-long-production-secret")
    monkeypatch.setenv("REDIS_URL", "redis://cache.internal:6379/2")
    production = create_app().config
    # Web processes keep nothing of their own: any number may run behind a load balancer.
    assert (production["CACHE_TYPE"], production["CACHE_REDIS_URL"]) == (
        "RedisCache",
        "redis://cache.internal:6379/2",
    )


def test_an_unknown_profile_is_refused(instance: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKFLOW_APP_PROFILE", "staging")
    with pytest.raises(ConfigurationError, match="unknown profile 'staging'"):
        create_app()


@pytest.mark.parametrize(
    ("given", "used"),
    [
        (
            "postgres://app:pw@db.local:5432/rencana",
            "postgresql+psycopg://app:pw@db.local:5432/rencana",
        ),
        ("postgresql://postgres@127.0.0.1/test", "postgresql+psycopg://postgres@127.0.0.1/test"),
        ("postgresql+psycopg://u@h/d", "postgresql+psycopg://u@h/d"),
        ("sqlite:////var/lib/workflow/app.db", "sqlite:////var/lib/workflow/app.db"),
    ],
)
def test_database_url_forms_are_normalised(given: str, used: str) -> None:
    assert normalise_database_url(given) == used


def test_environment_overrides_the_defaults(
    instance: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgres://app@db.local/rencana")
    monkeypatch.setenv("REDIS_URL", "redis://cache.local:6380/2")
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://app@db.local/rencana"
    assert app.config["REDIS_URL"] == "redis://cache.local:6380/2"
    assert app.config["SECRET_KEY"] == "from-the-environment"
    assert not (instance / "secret_key").exists()


def test_explicit_configuration_wins_over_the_environment(
    instance: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REDIS_URL", "redis://cache.local:6380/2")
    app = create_app({"REDIS_URL": "redis://127.0.0.1:6379/5", "SECRET_KEY": "given"})
    assert app.config["REDIS_URL"] == "redis://127.0.0.1:6379/5"
    assert app.config["SECRET_KEY"] == "given"


def test_any_setting_can_be_given_as_a_prefixed_environment_variable(
    instance: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WORKFLOW_APP_WTF_CSRF_TIME_LIMIT", "7200")
    monkeypatch.setenv("WORKFLOW_APP_BABEL_DEFAULT_LOCALE", "en")
    app = create_app()
    assert app.config["WTF_CSRF_TIME_LIMIT"] == 7200
    assert app.config["BABEL_DEFAULT_LOCALE"] == "en"


def test_production_replaces_dropped_database_connections_and_logs_json(
    instance: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WORKFLOW_APP_PROFILE", "production")
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    app = create_app()
    assert app.config["DATABASE_PING_IDLE_SECONDS"] == 10
    assert app.config["LOG_FORMAT"] == "json"


def test_an_unknown_log_format_is_refused_by_name(
    instance: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WORKFLOW_APP_LOG_FORMAT", "xml")
    with pytest.raises(ConfigurationError, match="unknown LOG_FORMAT 'xml'"):
        create_app()


def test_the_longest_delegation_is_ninety_days_unless_the_environment_says_otherwise(
    instance: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DELEGATION_MAX_DAYS", raising=False)
    assert create_app().config["DELEGATION_MAX_DAYS"] == 90
    monkeypatch.setenv("DELEGATION_MAX_DAYS", "30")
    assert create_app().config["DELEGATION_MAX_DAYS"] == 30
    for wrong in ("0", "thirty", "3651"):
        monkeypatch.setenv("DELEGATION_MAX_DAYS", wrong)
        with pytest.raises(ConfigurationError, match="DELEGATION_MAX_DAYS must be a whole number"):
            create_app()
