"""The Celery settings each profile gets (no service needed): which broker, and the delivery
guarantees the worker tests rely on."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask

from workflow_app import create_app
from workflow_app.config import ConfigurationError
from workflow_app.engine.calendar import WITA

ENVIRONMENT = ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "WORKFLOW_APP_PROFILE")


@pytest.fixture
def instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("WORKFLOW_APP_INSTANCE_PATH", str(tmp_path / "instance"))
    return tmp_path / "instance"


def conf(app: Flask) -> dict:
    return app.extensions["celery"].conf


def test_embedded_uses_a_sqlite_broker_under_the_instance_folder(instance: Path) -> None:
    settings = conf(create_app())
    assert settings.broker_url == f"sqla+sqlite:///{instance / 'broker.db'}"
    # kombu's SQLAlchemy transport would pass these to create_engine and fail.
    assert not settings.broker_transport_options
    assert settings.beat_schedule_filename == str(instance / "celerybeat-schedule")


def test_production_uses_redis_with_a_visibility_timeout_beyond_any_retry(
    instance: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WORKFLOW_APP_PROFILE", "production")
    monkeypatch.setenv("REDIS_URL", "redis://cache.internal:6379/2")
    settings = conf(create_app({"SECRET_KEY": "k", "NOTIFICATION_RETRY_MAX_SECONDS": 3600}))
    assert settings.broker_url == "redis://cache.internal:6379/2"
    assert settings.broker_transport_options["visibility_timeout"] == 7200

    longer = conf(create_app({"SECRET_KEY": "k", "NOTIFICATION_RETRY_MAX_SECONDS": 6 * 3600}))
    assert longer.broker_transport_options["visibility_timeout"] == 12 * 3600
    # A web request must not hang on an unreachable broker.
    assert settings.broker_transport_options["socket_connect_timeout"] <= 2
    assert settings.broker_connection_timeout <= 2


def test_celery_broker_url_wins_and_tests_stay_in_memory(
    instance: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert conf(create_app({"TESTING": True})).broker_url == "memory://"
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:6390/0")
    assert conf(create_app()).broker_url == "redis://127.0.0.1:6390/0"


def test_tasks_are_acknowledged_late_and_speak_json_only(instance: Path) -> None:
    settings = conf(create_app())
    assert settings.task_acks_late is True
    assert settings.task_reject_on_worker_lost is True
    assert settings.worker_prefetch_multiplier == 1
    assert settings.task_ignore_result is True
    assert settings.task_serializer == "json"
    assert list(settings.accept_content) == ["json"]


def test_beat_runs_the_sweep_and_the_relay_at_the_configured_periods(
    instance: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ESCALATION_SWEEP_SECONDS", "30")
    monkeypatch.setenv("MONITORING_ROUND_SECONDS", "600")
    # Importing `workers` builds the worker's app from the environment: only now it is set.
    from workers.schedule import beat_schedule

    schedule = beat_schedule(create_app().config)
    periodic = {name: entry for name, entry in schedule.items() if name != "notification-digest"}
    assert {name: (entry["task"], entry["schedule"]) for name, entry in periodic.items()} == {
        "escalation-sweep": ("workflow_app.deadlines.sweep", 30.0),
        "notification-relay": ("workflow_app.notifications.relay", 60.0),
        "webhook-relay": ("workflow_app.webhooks.relay", 60.0),
        "monitoring-round": ("workflow_app.monitoring.round", 600.0),
    }


@pytest.mark.parametrize(
    ("now", "next_run"),
    [
        # Friday 06.00 WITA: today at 07.00; Friday 08.00: Saturday 07.00 (the task itself
        # skips the days off: the working-day calendar decides, with the admin's overrides).
        ((2026, 2, 13, 6, 0), (2026, 2, 13, 7, 0)),
        ((2026, 2, 13, 8, 0), (2026, 2, 14, 7, 0)),
        ((2026, 2, 14, 6, 59), (2026, 2, 14, 7, 0)),
    ],
)
def test_beat_runs_the_digest_at_seven_wita(
    instance: Path, now: tuple[int, ...], next_run: tuple[int, ...]
) -> None:
    from workers.schedule import beat_schedule

    entry = beat_schedule(create_app().config)["notification-digest"]
    assert entry["task"] == "workflow_app.notifications.digest"
    moment = datetime(*now, tzinfo=WITA).astimezone(UTC)
    schedule = entry["schedule"]
    schedule.nowfun = lambda: moment
    assert moment + schedule.remaining_estimate(moment) == datetime(*next_run, tzinfo=WITA)


def test_a_period_that_is_not_a_number_stops_start_up(
    instance: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NOTIFICATION_RELAY_SECONDS", "soon")
    with pytest.raises(ConfigurationError, match="NOTIFICATION_RELAY_SECONDS"):
        create_app()
