"""The one read before a change (firing._read_before_change) reads the holders told as plain
rows of the columns the outbox writes from, not whole users (issue 17: the users' other
columns cost a transition their description and an ORM entity each); the outbox rows it
leads to are unchanged: address, language and digest choice per holder. Counted, never timed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, select

from tests import factories
from tests.db.test_transition_statements import fire_counted
from workflow_app.accounts.models import DELIVERY_DIGEST
from workflow_app.extensions import db
from workflow_app.notifications.models import DIGEST_ONLY, PENDING, Notification

Users = dict[str, Any]

# A holder's id, email, language and delivery choice; the grant's role and region code; a
# calendar override's day and holiday flag; an earlier actor's id.
READ_BEFORE_COLUMNS = 9


@pytest.fixture
def read_before_columns() -> Iterator[list[int]]:
    """The number of columns each read before a change returned (the statement that reads
    the calendar's overrides with the holders and the earlier actors)."""
    counted: list[int] = []

    def count(conn: object, cursor: Any, statement: str, *args: object) -> None:
        if "calendar_override" in statement and "role_assignment" in statement:
            counted.append(len(cursor.description))

    event.listen(db.engine, "after_cursor_execute", count)
    yield counted
    event.remove(db.engine, "after_cursor_execute", count)


def test_the_holders_are_read_as_the_outbox_columns_only(
    app_ctx: Flask, users: Users, read_before_columns: list[int]
) -> None:
    plan_id = factories.complete_plan(users["drafter"]).id
    db.session.commit()
    drafter, reviewer = users["drafter"].id, users["reviewer"].id
    fire_counted(app_ctx, drafter, plan_id, "submit")
    fire_counted(app_ctx, reviewer, plan_id, "forward")
    assert read_before_columns == [READ_BEFORE_COLUMNS, READ_BEFORE_COLUMNS]


def test_each_holder_told_gets_the_row_their_account_asks_for(app_ctx: Flask, users: Users) -> None:
    """Forwarded: every provincial reviewer is told, in their language and by their delivery
    choice, at their address; one without an address is not written."""
    english = factories.user("provincial.en", ("provincial_reviewer", "63"), language="en")
    english.email_delivery = DELIVERY_DIGEST
    no_address = factories.user("provincial.none", ("provincial_reviewer", "63"))
    no_address.email = ""
    plan_id = factories.complete_plan(users["drafter"]).id
    db.session.commit()
    provincial = users["provincial"]
    expected = {
        (provincial.id, provincial.email, "id", PENDING),
        (english.id, "provincial.en@example.test", "en", DIGEST_ONLY),
    }
    drafter, reviewer = users["drafter"].id, users["reviewer"].id
    fire_counted(app_ctx, drafter, plan_id, "submit")
    fire_counted(app_ctx, reviewer, plan_id, "forward")
    rows = db.session.execute(
        select(
            Notification.recipient_id,
            Notification.to_address,
            Notification.language,
            Notification.status,
        ).where(Notification.subject_id == plan_id, Notification.event.like("%forward"))
    ).all()
    assert {tuple(row) for row in rows} == expected
