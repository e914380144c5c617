"""Two workers write the day's digests at the same moment on PostgreSQL (a second beat, or the
same task on two machines): both have seen that the user has no digest yet, both write one;
the unique digest key keeps exactly one, and the events name that one."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime

import pytest
import time_machine
from flask import Flask
from sqlalchemy import func, select

from tests import factories
from tests.private_postgres import empty_tables, private_postgres_app
from workflow_app.engine.calendar import WITA
from workflow_app.extensions import db
from workflow_app.notifications import digest
from workflow_app.notifications.models import Notification

pytestmark = pytest.mark.postgres

DATABASE = "wf_digest"
THURSDAY = datetime(2026, 2, 12, 10, 0, tzinfo=WITA)
FRIDAY_SEVEN = datetime(2026, 2, 13, 7, 0, tzinfo=WITA)


@pytest.fixture(scope="module")
def pg_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    yield from private_postgres_app(tmp_path_factory, DATABASE)


@pytest.fixture
def reviewer_id(pg_app: Flask) -> Iterator[int]:
    """The 6301 reviewer chose the digest and has Thursday's event."""
    with pg_app.app_context():
        users = factories.standard_users()
        users["reviewer"].email_delivery = "digest"
        db.session.commit()
        with time_machine.travel(THURSDAY, tick=False):
            factories.plan_in_state(users, "district_review")
        found = users["reviewer"].id
        db.session.remove()
    yield found
    empty_tables(pg_app)


def test_two_runs_at_once_write_one_digest(
    pg_app: Flask, reviewer_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    barrier = threading.Barrier(2, timeout=20)
    real_add = digest.add_email

    def add_together(row: Notification) -> Notification:
        barrier.wait()  # both runs have found no digest of the day: now both write one
        return real_add(row)

    monkeypatch.setattr(digest, "add_email", add_together)
    monkeypatch.delitem(pg_app.extensions, "celery")  # nothing to queue the emails to
    results: list[object] = ["not run", "not run"]

    def run(index: int) -> None:
        with pg_app.app_context():
            try:
                results[index] = digest.send_digests(FRIDAY_SEVEN)
            except BaseException as exc:
                results[index] = f"{type(exc).__name__}: {exc}"
                barrier.abort()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert sorted(len(r) if isinstance(r, list) else -1 for r in results) == [0, 1], results
    with pg_app.app_context():
        digests = db.session.scalars(
            select(Notification).where(Notification.event == digest.DIGEST_EVENT)
        ).all()
        assert [row.recipient_id for row in digests] == [reviewer_id]
        told = db.session.scalar(
            select(func.count()).where(Notification.digest_id == digests[0].id)
        )
        assert told == 1
        db.session.remove()
