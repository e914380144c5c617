"""The change feed in commit order under concurrent writers (PostgreSQL): an event of an
older transaction still running holds back the events of newer ones already committed, so a
reader following the cursor never moves past an event that appears later.

Runs on a database of its own (`wf_change_feed_order`). Each writer works in its own app
context, so with its own session and connection, like two web requests at once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import select

from tests import factories
from tests.db.test_api import bearer
from tests.private_postgres import empty_tables, private_postgres_app
from workflow_app.accounts.models import User
from workflow_app.changes import feed
from workflow_app.changes.cursor import decode
from workflow_app.extensions import db
from workflow_app.plans import operations as ops
from workflow_app.plans.models import ActionPlan

pytestmark = pytest.mark.postgres

DATABASE = "wf_change_feed_order"


@pytest.fixture(scope="module")
def pg_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    yield from private_postgres_app(tmp_path_factory, DATABASE)


@pytest.fixture
def setting(pg_app: Flask) -> Iterator[dict]:
    """Two draft plans of two districts, a token of the province's reviewer (who sees both)."""
    with pg_app.app_context():
        users = factories.standard_users()
        first = factories.complete_plan(users["drafter"], "6301")
        second = factories.complete_plan(users["other_drafter"], "6304")
        db.session.commit()
        token = factories.api_token(users["provincial"])
        yield_value = {"first": first.id, "second": second.id, "token": token}
        db.session.remove()
    yield yield_value
    empty_tables(pg_app)


def user(name: str) -> User:
    return db.session.scalars(select(User).where(User.username == name)).one()


def submit(username: str, plan_id: int) -> None:
    ops.transition(user(username), db.session.get(ActionPlan, plan_id), "submit")


def read(app: Flask, after: str | None) -> feed.Page:
    """A reader in a transaction of its own."""
    with app.app_context():
        place = decode(after) if after else None
        page = feed.read_page(user("provincial.63"), place, after, 100)
        items = [feed.as_item(event) for event in page.items]
        db.session.remove()
    return feed.Page(items=items, next_cursor=page.next_cursor, has_more=page.has_more)


def test_a_newer_commit_waits_for_an_older_transaction_still_running(
    pg_app: Flask, setting: dict
) -> None:
    start = read(pg_app, None)
    cursor = start.next_cursor

    older = pg_app.app_context()
    older.push()
    try:
        submit("drafter.6301", setting["first"])  # the older transaction writes first ...
        db.session.flush()
        with pg_app.app_context():  # ... a newer one writes and commits meanwhile
            submit("drafter.6304", setting["second"])
            db.session.commit()
            db.session.remove()
        waiting = read(pg_app, cursor)
        # The newer event is committed, but an event may still come before it: not served yet.
        assert waiting.items == []
        assert waiting.next_cursor == cursor
        db.session.commit()
        db.session.remove()
    finally:
        older.pop()

    both = read(pg_app, cursor)
    assert [(i["case_id"], i["type"]) for i in both.items] == [
        (setting["first"], "case.transitioned"),
        (setting["second"], "case.transitioned"),
    ]
    # Through the API, following the cursor from the start: every event once, in that order.
    client = pg_app.test_client()
    seen, after = [], None
    while True:
        query = {"limit": 2} | ({"after": after} if after else {})
        body = client.get(
            "/api/v1/changes", query_string=query, headers=bearer(setting["token"])
        ).get_json()
        seen += body["items"]
        after = body["next_cursor"]
        if not body["has_more"]:
            break
    assert [i["id"] for i in seen] == [i["id"] for i in start.items + both.items]
