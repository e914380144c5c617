"""Migration 0011 (cases named by kind and id): history hashed under the old format (plan_id,
report_id) still verifies after it, new rows continue the same chains, the steps and the
outbox keep pointing at the right case, and an edit of a migrated row's case is found."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from flask_migrate import downgrade, upgrade
from sqlalchemy import select, text

from tests import factories
from tests.db.test_audit_chain import story
from tests.db.test_migrations import migrated_app  # noqa: F401  (the fixture)
from workflow_app.accounts.models import User
from workflow_app.audit.verify import Reason, verify_database
from workflow_app.deadlines.models import ScheduledStep
from workflow_app.extensions import db
from workflow_app.history import CaseTransition
from workflow_app.notifications.models import Notification
from workflow_app.plans import operations as ops

VERSIONS = Path(__file__).resolve().parents[2] / "workflow_app/migrations/versions"


def _module(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, VERSIONS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _story() -> tuple[int, int]:
    """A plan monitored with a verified report, committed: (plan id, report id)."""
    users = factories.standard_users()
    db.session.commit()
    plan, report = story(users)
    return plan.id, report.id


def test_old_format_history_verifies_after_the_migration_and_new_rows_continue_it(
    migrated_app,  # noqa: F811
) -> None:
    with migrated_app.app_context():
        upgrade()
        plan_id, report_id = _story()
        rows = db.session.scalar(select(db.func.count()).select_from(CaseTransition))
        pending = {
            (step.subject_kind, step.subject_id, step.step)
            for step in db.session.scalars(select(ScheduledStep))
        }
        emails = {
            (row.event, row.subject_kind, row.subject_id)
            for row in db.session.scalars(select(Notification))
        }
        db.session.remove()

        # Back to the schema before 0011, with every row hashed as the code of that time
        # hashed it (format 1, the 0007 backfill's frozen copy): the database as it was.
        downgrade(revision="0010")
        with db.engine.begin() as connection:
            assert _module("0007_audit_chain").backfill(connection) == rows
            old = connection.execute(
                text("SELECT plan_id, report_id FROM plan_transition ORDER BY id")
            ).all()
        assert {(p, r) for p, r in old} == {(plan_id, None), (plan_id, report_id)}

        upgrade()
        verdict = verify_database(db.engine)
        assert verdict.ok, verdict.breaks
        assert (verdict.chains, verdict.rows) == (1, rows)
        formats = set(db.session.scalars(select(CaseTransition.hash_format)))
        assert formats == {1}
        kinds = {
            (row.subject_kind, row.subject_id, row.chain_kind, row.chain_id)
            for row in db.session.scalars(select(CaseTransition))
        }
        assert kinds == {("plan", plan_id, "plan", plan_id), ("report", report_id, "plan", plan_id)}
        assert {
            (step.subject_kind, step.subject_id, step.step)
            for step in db.session.scalars(select(ScheduledStep))
        } == pending
        assert {
            (row.event, row.subject_kind, row.subject_id)
            for row in db.session.scalars(select(Notification))
        } == emails

        # A new row (format 2) continues the migrated chain.
        provincial = db.session.scalars(select(User).where(User.username == "provincial.63")).one()
        ops.transition(provincial, ops.load_visible_plan(provincial, plan_id), "close")
        db.session.commit()
        verdict = verify_database(db.engine)
        assert verdict.ok, verdict.breaks
        assert set(db.session.scalars(select(CaseTransition.hash_format))) == {1, 2}

        # Moving a migrated row to another case is found, though its kind and id were not
        # hashed under format 1 as such.
        first = db.session.scalars(
            select(CaseTransition.id).where(CaseTransition.subject_is("plan", plan_id))
        ).first()
        db.session.remove()
        with db.engine.begin() as connection:
            connection.execute(
                text("UPDATE plan_transition SET subject_id = :other WHERE id = :id"),
                {"other": plan_id + 1000, "id": first},
            )
        [found] = verify_database(db.engine).breaks
        assert (found.chain_id, found.row_id, found.reason) == (
            plan_id,
            first,
            Reason.CONTENT_CHANGED,
        )
        db.session.remove()
