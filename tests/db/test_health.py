"""/healthz says the process answers; /readyz says whether the database and the broker do,
and which one does not (503), quickly, for anyone, without a session cookie."""

from __future__ import annotations

import time

import pytest
from flask import Flask
from sqlalchemy.exc import OperationalError

from workflow_app.extensions import db


def test_healthz_answers_without_touching_anything(app_ctx: Flask) -> None:
    response = app_ctx.test_client().get("/healthz")
    assert (response.status_code, response.get_json()) == (200, {"status": "ok"})
    assert "Set-Cookie" not in response.headers


def test_readyz_is_ready_when_the_database_and_the_broker_answer(app_ctx: Flask) -> None:
    response = app_ctx.test_client().get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "checks": {"database": "ok", "broker": "ok"}}


def test_readyz_names_the_database_when_it_is_down(
    app_ctx: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    with monkeypatch.context() as patched:
        patched.setattr(db.session, "execute", refuse)
        response = app_ctx.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"] == {"database": "down", "broker": "ok"}


def test_readyz_names_the_broker_when_it_is_down_and_answers_quickly(
    app_ctx: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    celery = app_ctx.extensions["celery"]
    # Nothing listens on port 1 of the loopback: the connection is refused at once.
    monkeypatch.setattr(celery.conf, "broker_url", "redis://127.0.0.1:1/0")
    began = time.monotonic()
    response = app_ctx.test_client().get("/readyz")
    assert time.monotonic() - began < 10
    assert response.status_code == 503
    assert response.get_json()["checks"] == {"database": "ok", "broker": "down"}
