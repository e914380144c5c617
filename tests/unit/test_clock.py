"""The test clock: every process reads how far ahead it runs from one file; production refuses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from workflow_app import create_app
from workflow_app.accounts.models import wita_today
from workflow_app.config import ConfigurationError
from workflow_app.models_base import utcnow


@pytest.fixture
def instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("DATABASE_URL", "SECRET_KEY", "WORKFLOW_APP_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("WORKFLOW_APP_INSTANCE_PATH", str(tmp_path / "instance"))
    return tmp_path


def test_the_clock_is_real_time_without_the_setting(instance: Path) -> None:
    with create_app().app_context():
        assert abs(utcnow() - datetime.now(UTC)) < timedelta(seconds=5)


def test_writing_the_clock_file_moves_now_at_once(instance: Path) -> None:
    clock_file = instance / "clock"
    app = create_app({"TEST_CLOCK_FILE": str(clock_file)})
    with app.app_context():
        # No file yet: real time.
        assert abs(utcnow() - datetime.now(UTC)) < timedelta(seconds=5)
        clock_file.write_text(str(10 * 86400))
        ahead = utcnow() - datetime.now(UTC)
        assert timedelta(days=10) - timedelta(seconds=5) < ahead < timedelta(days=10, seconds=5)
        clock_file.write_text(str(40 * 86400))
        assert wita_today() > (datetime.now(UTC) + timedelta(days=39)).date()


def test_production_refuses_a_movable_clock(
    instance: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WORKFLOW_APP_PROFILE", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("WORKFLOW_APP_TEST_CLOCK_FILE", str(instance / "clock"))
    with pytest.raises(ConfigurationError, match="TEST_CLOCK_FILE is a test-only setting"):
        create_app()
