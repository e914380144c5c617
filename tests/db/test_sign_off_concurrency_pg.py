"""The last two agencies sign off at the same moment on PostgreSQL: both answers are kept and
the proposal moves on exactly once.

Without the row lock each answer would be counted in its own snapshot (two of three, twice)
and the quorum never seen; the test would then find the proposal still waiting.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests import factories
from tests.private_postgres import empty_tables, private_postgres_app
from workflow_app.accounts.models import User
from workflow_app.cases.models import DeclaredCase
from workflow_app.extensions import db
from workflow_app.firing import fire
from workflow_app.history import CaseTransition
from workflow_app.signoffs import service as sign_offs
from workflow_app.signoffs.models import SignOff
from workflow_app.unit_of_work import unit_of_work

pytestmark = pytest.mark.postgres

DATABASE = "wf_sign_off"
ROUNDS = 5


@pytest.fixture(scope="module")
def pg_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    yield from private_postgres_app(tmp_path_factory, DATABASE)


@pytest.fixture
def members(pg_app: Flask) -> Iterator[list[str]]:
    with pg_app.app_context():
        factories.standard_users()
        found = [member.username for member in factories.pokja_members("6301")]
        db.session.commit()
        db.session.remove()
    yield found
    empty_tables(pg_app)


def _proposal_with_one_answer(app: Flask, first: str) -> int:
    with app.app_context():
        drafter = db.session.scalars(select(User).where(User.username == "drafter.6301")).one()
        case = factories.dak_proposal(drafter)
        fire(drafter, case, "submit")
        someone = db.session.scalars(select(User).where(User.username == first)).one()
        sign_offs.answer(someone, case, "agree", None)
        db.session.commit()
        case_id = case.id
        db.session.remove()
    return case_id


def _answer_together(app: Flask, case_id: int, usernames: list[str]) -> list[str]:
    barrier = threading.Barrier(len(usernames), timeout=20)
    results = ["not run"] * len(usernames)

    def run(index: int, username: str) -> None:
        with app.app_context():
            try:
                user = db.session.scalars(select(User).where(User.username == username)).one()
                case = db.session.get(DeclaredCase, case_id)
                assert case is not None and case.state == "agency_sign_off"
                barrier.wait()  # both have read the case: now both answer
                with unit_of_work():
                    done = sign_offs.answer(user, case, "agree", None)
                results[index] = f"recorded, fired {done.fired}"
            except BaseException as exc:
                results[index] = f"{type(exc).__name__}: {exc}"
                barrier.abort()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(usernames)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "an answer hung"
    return results


def test_the_last_two_answers_at_once_both_count_and_complete_once(
    pg_app: Flask, members: list[str]
) -> None:
    for _ in range(ROUNDS):
        case_id = _proposal_with_one_answer(pg_app, members[0])
        results = _answer_together(pg_app, case_id, members[1:])
        assert sorted(results) == ["recorded, fired None", "recorded, fired signed"], results
        with pg_app.app_context(), Session(db.engine) as session:
            case = session.get(DeclaredCase, case_id)
            assert case is not None and case.state == "provincial_verification"
            answers = session.scalars(
                select(SignOff.answer).where(SignOff.subject_is("dak_sanitation", case_id))
            ).all()
            assert sorted(answers) == ["agree", "agree", "agree"]
            triggers = session.scalars(
                select(CaseTransition.trigger)
                .where(CaseTransition.subject_is("dak_sanitation", case_id))
                .order_by(CaseTransition.id)
            ).all()
            assert triggers == ["create", "submit", "signed"]
