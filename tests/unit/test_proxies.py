"""X-Forwarded-* headers are believed for exactly as many proxies as configured: none by
default (a client could forge them), one when an HTTPS front stands before the app."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask, request

from workflow_app import create_app


@pytest.fixture
def instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("WORKFLOW_APP_INSTANCE_PATH", str(tmp_path))
    return tmp_path


def _seen_by(app: Flask) -> tuple[str, str]:
    app.add_url_rule("/seen", "seen", lambda: f"{request.remote_addr} {request.scheme}")
    response = app.test_client().get(
        "/seen",
        headers={"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"},
        environ_base={"REMOTE_ADDR": "10.0.0.2"},
    )
    address, scheme = response.get_data(as_text=True).split()
    return address, scheme


def test_forwarded_headers_are_ignored_by_default(instance: Path) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'a.db'}"})
    assert _seen_by(app) == ("10.0.0.2", "http")


def test_one_trusted_proxy_gives_the_client_s_address_and_scheme(instance: Path) -> None:
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'a.db'}", "TRUSTED_PROXIES": 1}
    )
    assert _seen_by(app) == ("203.0.113.7", "https")
