"""The session's user read as plain rows (accounts/login.py): the same account, roles,
delegations in force today and regions as the ORM's joined load gave, persistent and clean in
the request's session, with no ORM row processing; a refresh after a commit still reads the
grants in one statement."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import loading

from tests.statements import recorded_statements
from workflow_app.accounts import login
from workflow_app.accounts.models import Delegation, RoleAssignment, User, wita_today
from workflow_app.extensions import db

from .. import factories


def _facts(user: User) -> tuple[object, ...]:
    """Everything the load gives, as values."""
    columns = (user.id, user.username, user.full_name, user.language, user.session_epoch)
    roles = sorted(
        (r.id, r.role, r.region_id, r.region.code, r.region.name, r.region.kind) for r in user.roles
    )
    acting = [
        (d.id, d.role, d.delegator_id, d.starts_on, d.ends_on, d.ended_at, d.region.code)
        for d in user.acting_delegations
    ]
    grants = sorted(user.grants(), key=repr)
    return columns, roles, acting, grants


@pytest.fixture
def acting_user(app_ctx: Flask, users: dict[str, User]) -> Iterator[int]:
    """A partner holding roles in two regions, acting today for the drafter of 6301 (a region
    of its own roles too) and the reviewer of 6301; delegations ended, future, or whose
    delegator lost the role are left out."""
    partner = factories.user("staf.plt", ("partner", "6301"), ("partner", "6302"))
    db.session.flush()
    today = wita_today()
    regions = factories.regions()
    lost = factories.user("lost.role", ("district_reviewer", "6303"))
    db.session.flush()
    for delegator, role, code, starts, ends in (
        (users["drafter"], "district_drafter", "6301", today, today + timedelta(days=3)),
        (users["reviewer"], "district_reviewer", "6301", today - timedelta(days=2), today),
        (users["admin"], "admin", "63", today - timedelta(days=9), today - timedelta(days=1)),
        (users["admin"], "admin", "63", today + timedelta(days=1), today + timedelta(days=2)),
        (lost, "district_reviewer", "6303", today, today),
    ):
        db.session.add(
            Delegation(
                delegator_id=delegator.id,
                delegate_id=partner.id,
                role=role,
                region_id=regions[code].id,
                starts_on=starts,
                ends_on=ends,
            )
        )
    db.session.flush()
    db.session.execute(RoleAssignment.__table__.delete().where(RoleAssignment.user_id == lost.id))
    db.session.commit()
    yield partner.id


def _reference(app: Flask, user_id: int) -> tuple[object, ...]:
    """The facts read afresh through the ORM, every relationship loaded as it asks."""
    with app.app_context(), app.test_request_context():
        user = (
            db.session.execute(
                select(User).where(User.id == user_id).options(*login._with_grants(wita_today()))
            )
            .unique()
            .scalar_one()
        )
        return _facts(user)


@pytest.mark.parametrize("username", ["drafter.6301", "provincial.63", "admin", "staf.plt"])
def test_the_rows_give_what_the_orm_gave(
    app_ctx: Flask,
    users: dict[str, User],
    acting_user: int,
    monkeypatch: pytest.MonkeyPatch,
    username: str,
) -> None:
    user_id = db.session.scalar(select(User.id).where(User.username == username))
    expected = _reference(app_ctx, user_id)
    with app_ctx.app_context(), app_ctx.test_request_context():
        login.load_user(str(user_id))  # the process learns the refresh options once
    processed: list[object] = []
    original = loading.instances
    monkeypatch.setattr(
        loading, "instances", lambda *a, **k: processed.append(a) or original(*a, **k)
    )
    with app_ctx.app_context(), app_ctx.test_request_context():
        with recorded_statements() as statements:
            user = login.load_user(str(user_id))
            assert user is not None
            facts = _facts(user)
        assert len(statements) == 1
        assert processed == []  # no ORM row processing: the objects are built from the rows
        assert facts == expected
        session = db.session()
        assert not session.new and not session.dirty
        assert all(obj in session for obj in (user, *user.roles, *user.acting_delegations))
        with recorded_statements() as statements:
            db.session.commit()
            # Expired by the commit: the refresh reads user and grants in one statement.
            assert _facts(user) == expected
        assert len(statements) == 1


def test_the_bell_count_and_an_unknown_user(app_ctx: Flask, users: dict[str, User]) -> None:
    from flask import g

    from workflow_app.notifications import inbox

    user_id = users["drafter"].id
    expected = inbox.unread_count(user_id)
    for _ in range(2):  # the first load of a process goes through the ORM
        with app_ctx.app_context(), app_ctx.test_request_context():
            assert login.load_user(str(user_id)) is not None
            assert g.unread_notifications == expected
    with app_ctx.app_context(), app_ctx.test_request_context():
        assert login.load_user("987654") is None
