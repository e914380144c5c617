"""Several overlapping delegations of one role in one district asked for at the same moment on
PostgreSQL: exactly one is saved, the others are refused as overlapping.

Without the region's row lock each request would look for an overlap in its own snapshot,
find none, and insert: the attack pass saw two or three acting officials accepted at once.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select

from tests import factories
from tests.private_postgres import empty_tables, private_postgres_app
from workflow_app.accounts import delegations as dops
from workflow_app.accounts.models import Delegation, User, wita_today
from workflow_app.extensions import db
from workflow_app.regions.models import Region
from workflow_app.unit_of_work import unit_of_work

pytestmark = pytest.mark.postgres

DATABASE = "wf_delegation_race"
ROLE = "district_reviewer"
ROUNDS = 3
# Two holders of the role take turns: one acting official per role and region, whoever
# appoints them. Each request names a different colleague.
HOLDERS = ("reviewer.6301", "reviewer2.6301")
DELEGATES = ("drafter.6301", "head.6301", "staf1.6301", "staf2.6301")


@pytest.fixture(scope="module")
def pg_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    yield from private_postgres_app(tmp_path_factory, DATABASE)


@pytest.fixture
def people(pg_app: Flask) -> Iterator[None]:
    with pg_app.app_context():
        factories.standard_users()
        factories.user("reviewer2.6301", (ROLE, "6301"))
        for username in DELEGATES[2:]:
            factories.user(username, ("district_drafter", "6301"))
        db.session.commit()
        db.session.remove()
    yield
    empty_tables(pg_app)


def _user(username: str) -> User:
    return db.session.scalars(select(User).where(User.username == username)).one()


def _delegate_together(app: Flask, first: date, last: date) -> list[str]:
    barrier = threading.Barrier(len(DELEGATES), timeout=20)
    results = ["not run"] * len(DELEGATES)

    def run(index: int, username: str) -> None:
        with app.app_context():
            try:
                holder = _user(HOLDERS[index % len(HOLDERS)])
                delegate = _user(username)
                region = db.session.scalars(select(Region).where(Region.code == "6301")).one()
                barrier.wait()  # all have loaded what they need: now all ask at once
                with unit_of_work():
                    dops.create_delegation(
                        holder,
                        delegator=holder,
                        delegate=delegate,
                        role=ROLE,
                        region=region,
                        starts_on=first,
                        ends_on=last,
                    )
                results[index] = "saved"
            except dops.DelegationRejected as exc:
                results[index] = "refused: " + ", ".join(sorted(exc.errors))
            except BaseException as exc:
                results[index] = f"{type(exc).__name__}: {exc}"
                barrier.abort()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(DELEGATES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a request hung"
    return results


def test_overlapping_delegations_asked_for_at_once_leave_one_acting_official(
    pg_app: Flask, people: None
) -> None:
    with pg_app.app_context():
        today = wita_today()
    for round_ in range(ROUNDS):
        first = today + timedelta(days=10 * round_)
        results = _delegate_together(pg_app, first, first + timedelta(days=5))
        assert sorted(results) == ["refused: starts_on"] * (len(DELEGATES) - 1) + ["saved"], results
    with pg_app.app_context():
        stored = db.session.scalar(select(func.count(Delegation.id)))
        db.session.remove()
    assert stored == ROUNDS
