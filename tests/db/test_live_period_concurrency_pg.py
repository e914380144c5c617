"""Several drafters of one district create a plan for the same or overlapping years at the same
moment on PostgreSQL: exactly one plan is made; every other request is refused with the message
naming that plan, and leaves nothing behind.

Each request has passed the check for a live plan before any of them writes (the barrier sits
right after it), so only the database's constraint can keep them apart; without it the test
would find several plans.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from tests import factories
from tests.private_postgres import empty_tables, private_postgres_app
from workflow_app.accounts.models import User
from workflow_app.extensions import db
from workflow_app.plans import live_period
from workflow_app.plans import operations as ops
from workflow_app.plans.live_period import PeriodTaken
from workflow_app.plans.models import ActionPlan, LivePlanYear
from workflow_app.regions.models import Region
from workflow_app.unit_of_work import unit_of_work

pytestmark = pytest.mark.postgres

DATABASE = "wf_live_plan_race"
ROUNDS = 3
# (drafter, period): the same period twice, and two overlapping it and each other.
REQUESTS = [
    ("drafter.6301", (2025, 2029)),
    ("drafter2.6301", (2025, 2029)),
    ("drafter3.6301", (2027, 2031)),
    ("drafter4.6301", (2023, 2027)),
]


@pytest.fixture(scope="module")
def pg_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    yield from private_postgres_app(tmp_path_factory, DATABASE)


@pytest.fixture
def drafters(pg_app: Flask) -> Iterator[None]:
    with pg_app.app_context():
        factories.standard_users()
        for username, _period in REQUESTS[1:]:
            factories.user(username, ("district_drafter", "6301"))
        db.session.commit()
        db.session.remove()
    yield
    empty_tables(pg_app)


def _create_together(app: Flask, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    barrier = threading.Barrier(len(REQUESTS), timeout=20)
    checked = live_period.check_free

    def check_then_wait(*args: object, **kwargs: object) -> None:
        checked(*args, **kwargs)  # type: ignore[arg-type]
        barrier.wait()  # everyone found the years free: now all of them write

    monkeypatch.setattr(live_period, "check_free", check_then_wait)
    results = ["not run"] * len(REQUESTS)

    def run(index: int, username: str, period: tuple[int, int]) -> None:
        with app.app_context():
            try:
                drafter = db.session.scalars(select(User).where(User.username == username)).one()
                region = db.session.scalars(select(Region).where(Region.code == "6301")).one()
                with unit_of_work():
                    plan = ops.create_plan(
                        drafter,
                        region,
                        title=f"Rencana {username}",
                        period_start=period[0],
                        period_end=period[1],
                    )
                results[index] = f"created {plan.id}"
            except PeriodTaken as exc:
                results[index] = f"refused for {exc.holder.id}: {exc.message}"
            except BaseException as exc:
                results[index] = f"{type(exc).__name__}: {exc}"
                barrier.abort()
            finally:
                db.session.remove()

    threads = [
        threading.Thread(target=run, args=(index, username, period))
        for index, (username, period) in enumerate(REQUESTS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a request hung"
    monkeypatch.setattr(live_period, "check_free", checked)
    return results


def test_concurrent_creates_for_overlapping_periods_make_exactly_one_plan(
    pg_app: Flask, drafters: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    winners: list[int] = []
    for _ in range(ROUNDS):
        results = _create_together(pg_app, monkeypatch)

        created = [r for r in results if r.startswith("created ")]
        assert len(created) == 1, results
        winner = int(created[0].split()[1])
        winners.append(winner)
        refused = [r for r in results if r.startswith("refused ")]
        assert len(refused) == len(REQUESTS) - 1, results
        assert all(r.startswith(f"refused for {winner}: ") for r in refused), results
        assert all("Tanah Laut" in r for r in refused), results
        with pg_app.app_context(), Session(db.engine) as session:
            plans = session.scalars(select(ActionPlan.id).order_by(ActionPlan.id)).all()
            assert plans == winners  # nothing left behind by the refused requests
            holders = set(session.scalars(select(LivePlanYear.plan_id)))
            assert holders == {winner}
            # The next round starts from a district without a live plan (as if withdrawn).
            session.execute(text("DELETE FROM live_plan_year"))
            session.execute(
                text("UPDATE action_plan SET state = 'withdrawn' WHERE id = :id"), {"id": winner}
            )
            session.commit()
            left = session.scalar(select(func.count()).select_from(LivePlanYear))
            assert left == 0
