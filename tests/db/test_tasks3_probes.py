"""My tasks asks in one statement whether the user has declared cases waiting and sign-offs
open (cases.queries.case_tasks): most users have neither, and then read nothing more of
either (before: the declared kinds' EXISTS and the sign-offs' query, two statements); when
they have some, the lists are those of declared_tasks and opinions_waiting."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from tests import factories
from tests.statements import recorded_statements
from workflow_app import policy
from workflow_app.cases import queries
from workflow_app.cases.queries import case_tasks, declared_tasks, opinions_waiting
from workflow_app.extensions import db
from workflow_app.firing import fire


def test_nothing_waiting_costs_one_statement(app_ctx: Flask, users: dict[str, Any]) -> None:
    factories.plan_in_state(users, "provincial_sync")
    db.session.commit()
    for who in ("drafter", "reviewer", "provincial"):
        users[who].grants()  # the account and its roles, loaded (by the page's shell)
        with recorded_statements() as statements:
            found = case_tasks(users[who], 50)
        assert found == ([], ([], {}))
        assert len(statements) == 1, statements


def test_the_lists_are_declared_tasks_and_opinions_waiting(
    app_ctx: Flask, users: dict[str, Any]
) -> None:
    members = factories.pokja_members("6301")
    case = factories.dak_proposal(users["drafter"])
    db.session.commit()
    drafted = case_tasks(users["drafter"], 50)
    assert drafted[0] and drafted == (
        declared_tasks(users["drafter"], 50),
        opinions_waiting(users["drafter"]),
    )
    fire(users["drafter"], case, "submit")  # every agency of the Pokja is asked
    db.session.commit()
    for account in (*members, users["drafter"], users["reviewer"], users["provincial"]):
        for limit in (None, 1, 50):
            wanted = (declared_tasks(account, limit), opinions_waiting(account))
            assert case_tasks(account, limit) == wanted
    assert case_tasks(members[0], 50)[1][0]  # an opinion is asked of each member
    # A member who joined after the round has the members' grants but was not asked: their
    # probe is their own (the sign-off's EXISTS names the user), and finds nothing.
    late = factories.user("pokja.late.6301", ("pokja_member", "6301"))
    db.session.commit()
    late.grants()
    with recorded_statements() as statements:
        assert case_tasks(late, 50) == ([], ([], {}))
    assert len(statements) == 1


def test_the_probe_is_built_once_per_user_and_grants(
    app_ctx: Flask, users: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Building the declared kinds' visibility cost more than running the probe: it is built
    on a user's first visit only (before: on every visit)."""
    built: list[str] = []
    visible = policy.visible

    def counted(user: Any, kind: str) -> Any:
        built.append(kind)
        return visible(user, kind)

    monkeypatch.setattr(policy, "visible", counted)
    monkeypatch.setattr(queries, "_PROBES", {})  # as a fresh worker
    case_tasks(users["drafter"], 50)
    first = len(built)
    case_tasks(users["drafter"], 50)
    assert first >= 1 and len(built) == first
