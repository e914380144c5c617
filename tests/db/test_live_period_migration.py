"""Migration 0017 (one live plan per district and period) on a database that already holds
several live plans of one district for overlapping years: the plan the province agreed to
keeps the years (else the oldest), the others stay as they were but hold none, ended plans hold
none, and from then on a new plan for those years is refused."""

from __future__ import annotations

import logging

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import select, text

from tests import factories
from tests.db import test_migrations
from tests.db.test_migrations import migrated_app  # noqa: F401  (the fixture)
from tests.external import private_database
from workflow_app.extensions import db
from workflow_app.plans import operations as ops
from workflow_app.plans.live_period import PeriodTaken
from workflow_app.plans.models import ActionPlan, LivePlanYear
from workflow_app.unit_of_work import unit_of_work


@pytest.fixture(autouse=True)
def _own_database(monkeypatch: pytest.MonkeyPatch) -> None:
    """On PostgreSQL, a database of this test's own (not the one test_migrations rebuilds)."""
    monkeypatch.setattr(test_migrations, "DATABASE", private_database("wf_live_period_migration"))


def _held() -> dict[int, list[int]]:
    """Plan id -> the years it holds."""
    held: dict[int, list[int]] = {}
    for plan_id, year in db.session.execute(
        select(LivePlanYear.plan_id, LivePlanYear.year).order_by(LivePlanYear.year)
    ):
        held.setdefault(plan_id, []).append(year)
    return held


def test_existing_duplicates_keep_one_holder_and_stay_visible(
    migrated_app,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    with migrated_app.app_context():
        upgrade(revision="heads")
        users = factories.standard_users()
        db.session.commit()
        # Made one after the other in distinct periods (as the rule now demands) ...
        with unit_of_work():
            empty = ops.create_plan(
                users["drafter"],
                factories.regions()["6301"],
                title="Draf kosong",
                period_start=2025,
                period_end=2029,
            )
        approved = factories.plan_in_state(users, "approved")  # 2030–2034
        overlapping = factories.plan_in_state(users, "returned")  # 2035–2039
        withdrawn = factories.plan_in_state(users, "withdrawn")  # 2040–2044
        other = factories.plan_in_state(factories.district_people(users, "6304"), "draft", "6304")
        ids = {p.id for p in (empty, approved, overlapping, withdrawn, other)}
        db.session.remove()

        # ... then, before the rule, moved onto the same years, as the old code allowed.
        downgrade(revision="0016")
        with db.engine.begin() as connection:
            assert "live_plan_year" not in {
                row[0]
                for row in connection.execute(
                    text("SELECT name FROM sqlite_master WHERE type = 'table'")
                    if db.engine.dialect.name == "sqlite"
                    else text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
                )
            }
            connection.execute(
                text(
                    "UPDATE action_plan SET period_start = 2025, period_end = 2029 "
                    "WHERE id IN (:a, :w)"
                ),
                {"a": approved.id, "w": withdrawn.id},
            )
            connection.execute(
                text("UPDATE action_plan SET period_start = 2027, period_end = 2031 WHERE id = :o"),
                {"o": overlapping.id},
            )

        with caplog.at_level(logging.WARNING, logger="alembic.runtime.migration"):
            upgrade(revision="0017")

        # The plan the province agreed to holds the years, though the empty draft is older.
        assert _held() == {approved.id: list(range(2025, 2030)), other.id: list(range(2025, 2030))}
        warned = " ".join(r.getMessage() for r in caplog.records)
        assert f"plan {empty.id} " in warned and f"plan {overlapping.id} " in warned
        # Nothing is lost or hidden: every plan is still there, in its state.
        states = {i: s for i, s in db.session.execute(select(ActionPlan.id, ActionPlan.state))}
        assert set(states) == ids
        assert states[empty.id] == "draft" and states[overlapping.id] == "returned"

        # From now on the years are taken, whoever asks; a duplicate can move to free years.
        upgrade(revision="heads")
        region = factories.regions()["6301"]
        drafter = db.session.merge(users["drafter"])
        with pytest.raises(PeriodTaken) as refused, unit_of_work():
            ops.create_plan(drafter, region, title="Lagi", period_start=2029, period_end=2030)
        assert refused.value.holder.id == approved.id
        draft = db.session.get(ActionPlan, empty.id)
        with unit_of_work():
            ops.update_header(
                drafter,
                draft,
                expected_version=draft.version,
                title=draft.title,
                period_start=2030,
                period_end=2034,
            )
        assert _held()[empty.id] == list(range(2030, 2035))
        db.session.remove()
