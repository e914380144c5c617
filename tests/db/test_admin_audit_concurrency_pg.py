"""Two administrators granting roles at the same moment on PostgreSQL: both acts are kept and
the log's chain does not fork (the second links to the first), because appending locks the
log's head.

Each thread is one web request's unit of work; a barrier holds both just before they touch the
head, so both have read nothing of the log yet when the race starts. Runs on a database of its
own, like test_audit_concurrency_pg.py.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import event, select, text

from tests import factories
from tests.private_postgres import empty_tables, private_postgres_app
from workflow_app.accounts.models import User
from workflow_app.admin.users import add_role
from workflow_app.audit.admin_models import AdminAct
from workflow_app.audit.verify import verify_database
from workflow_app.extensions import db
from workflow_app.regions.models import Region
from workflow_app.unit_of_work import unit_of_work

pytestmark = pytest.mark.postgres

DATABASE = "wf_admin_audit_concurrency"
ROUNDS = 5
GRANTS = [("drafter.6301", "partner", "6304"), ("reviewer.6301", "partner", "6371")]


@pytest.fixture(scope="module")
def pg_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    yield from private_postgres_app(tmp_path_factory, DATABASE)


@pytest.fixture
def people(pg_app: Flask) -> Iterator[None]:
    with pg_app.app_context():
        factories.standard_users()
        factories.regions()
        db.session.commit()
        db.session.remove()
    yield
    empty_tables(pg_app)


def _by_name(model: type, column: object, value: str) -> object:
    return db.session.scalars(select(model).where(column == value)).one()


def _grant_both_at_once(app: Flask) -> list[str]:
    barrier = threading.Barrier(len(GRANTS), timeout=20)
    results = ["not run"] * len(GRANTS)
    local = threading.local()

    def hold_before_the_head(*args: object) -> None:
        statement = str(args[2])
        if statement.startswith("INSERT INTO admin_act_head") and not getattr(local, "held", 0):
            local.held = 1
            barrier.wait()

    def run(index: int, username: str, role: str, code: str) -> None:
        with app.app_context():
            try:
                actor = _by_name(User, User.username, "admin")
                user = _by_name(User, User.username, username)
                region = _by_name(Region, Region.code, code)
                with unit_of_work():
                    add_role(actor, user, role, region)
                results[index] = "done"
            except BaseException as exc:  # reported by the assertions below
                results[index] = f"{type(exc).__name__}: {exc}"
                barrier.abort()
            finally:
                db.session.remove()

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", hold_before_the_head)
    try:
        threads = [
            threading.Thread(target=run, args=(index, *grant)) for index, grant in enumerate(GRANTS)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        event.remove(engine, "before_cursor_execute", hold_before_the_head)
    assert not any(thread.is_alive() for thread in threads), "a grant hung"
    return results


def test_two_acts_at_once_extend_the_log_without_a_fork(pg_app: Flask, people: None) -> None:
    for round_number in range(ROUNDS):
        with pg_app.app_context():
            # The roles of the round before go, so the same grants can be made again.
            if round_number:
                db.session.execute(text("DELETE FROM role_assignment WHERE role = 'partner'"))
                db.session.commit()
        results = _grant_both_at_once(pg_app)
        assert results == ["done", "done"], results

        with pg_app.app_context():
            acts = db.session.scalars(select(AdminAct).order_by(AdminAct.id)).all()
            assert len(acts) == 2 * (round_number + 1)
            # One line: each act links to the one just before it, none share a predecessor.
            assert acts[0].prev_hash is None
            assert [act.prev_hash for act in acts[1:]] == [act.row_hash for act in acts[:-1]]
            verdict = verify_database(db.engine)
            assert verdict.ok, verdict.breaks
            assert verdict.acts == len(acts)
            db.session.remove()
