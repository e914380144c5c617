"""Two requests with the same Idempotency-Key at once, on PostgreSQL: one runs the write, the
other is told the key is in use (or, once the first is answered, gets its answer); the
transition fires once."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from tests import factories
from tests.private_postgres import empty_tables, private_postgres_app
from workflow_app.accounts.models import User
from workflow_app.api import case_views
from workflow_app.extensions import db
from workflow_app.history import CaseTransition

pytestmark = pytest.mark.postgres

DATABASE = "wf_contract_idempotency"
ROUNDS = 5
WAIT = 30  # seconds an event may take before the test fails (a hang, not a timing)


@pytest.fixture(scope="module")
def pg_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    yield from private_postgres_app(tmp_path_factory, DATABASE)


@pytest.fixture
def drafter(pg_app: Flask) -> Iterator[dict[str, str]]:
    """The drafter's Authorization header."""
    with pg_app.app_context():
        users = factories.standard_users()
        secret = factories.api_token(users["drafter"])
        db.session.commit()
        db.session.remove()
    yield {"Authorization": f"Bearer {secret}"}
    empty_tables(pg_app)


def _draft_plan(app: Flask) -> tuple[int, int]:
    """A complete draft plan of a free period: its id and version."""
    with app.app_context():
        drafter = db.session.scalars(select(User).where(User.username == "drafter.6301")).one()
        plan = factories.complete_plan(drafter, "6301")
        db.session.commit()
        found = (plan.id, plan.version)
        db.session.remove()
    return found


def _submit(app: Flask, headers: dict, plan_id: int, version: int, key: str) -> Any:
    sent = json.dumps({"trigger": "submit", "version": version})
    return app.test_client().post(
        f"/api/v1/plans/{plan_id}/transitions",
        data=sent,
        content_type="application/json",
        headers={**headers, "Idempotency-Key": key},
    )


def _submits(app: Flask, plan_id: int) -> int:
    with app.app_context():
        query = select(func.count()).where(
            CaseTransition.subject_is("plan", plan_id), CaseTransition.trigger == "submit"
        )
        count = db.session.scalar(query)
        db.session.remove()
    return count


def test_a_second_request_while_the_first_runs_is_in_use_then_replayed(
    pg_app: Flask, drafter: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan_id, version = _draft_plan(pg_app)
    entered, release = threading.Event(), threading.Event()
    real_fire = case_views.fire

    def held_fire(*args: Any, **kwargs: Any) -> Any:
        entered.set()
        assert release.wait(WAIT), "the test never let the first request go on"
        return real_fire(*args, **kwargs)

    monkeypatch.setattr(case_views, "fire", held_fire)
    first: dict[str, Any] = {}

    def run() -> None:
        response = _submit(pg_app, drafter, plan_id, version, "held")
        first.update(status=response.status_code, body=response.get_json())

    thread = threading.Thread(target=run)
    thread.start()
    try:
        assert entered.wait(WAIT), "the first request never reached the write"
        second = _submit(pg_app, drafter, plan_id, version, "held")
        assert second.status_code == 409, second.get_data(as_text=True)
        assert second.get_json()["code"] == "idempotency_key_in_use"
    finally:
        release.set()
        thread.join(WAIT)
    assert not thread.is_alive(), "the first request hung"
    assert first["status"] == 200, first
    third = _submit(pg_app, drafter, plan_id, version, "held")
    assert third.status_code == 200
    assert third.headers["Idempotent-Replayed"] == "true"
    assert third.get_json() == first["body"]
    assert _submits(pg_app, plan_id) == 1


def _race(app: Flask, headers: dict, plan_id: int, version: int, key: str) -> list[tuple]:
    """Both requests sent at once: (status, "ran" / "replayed" / the error code) of each."""
    barrier = threading.Barrier(2, timeout=WAIT)
    results: list[tuple[int, str]] = []

    def run() -> None:
        barrier.wait()
        response = _submit(app, headers, plan_id, version, key)
        replayed = response.headers.get("Idempotent-Replayed") == "true"
        outcome = "replayed" if replayed else response.get_json().get("code", "ran")
        results.append((response.status_code, outcome))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT * 2)
    assert not any(thread.is_alive() for thread in threads), "a request hung"
    return results


def test_two_requests_at_once_fire_once(pg_app: Flask, drafter: dict) -> None:
    for round_ in range(ROUNDS):
        plan_id, version = _draft_plan(pg_app)
        results = _race(pg_app, drafter, plan_id, version, f"race-{round_}")
        assert sorted(results) in (
            [(200, "ran"), (409, "idempotency_key_in_use")],
            [(200, "ran"), (200, "replayed")],
        ), results
        assert _submits(pg_app, plan_id) == 1
