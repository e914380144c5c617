"""A transition's outbox rows are one INSERT of one shape whatever the number of people told
(issue 17): on PostgreSQL its parameters stay within what psycopg keeps converted (the
columns that differ per recipient bound as arrays), so approve's three rows are no longer
parsed again on every call. Counted, never timed."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from psycopg import _queries
from sqlalchemy import select

from tests import factories
from tests.db.test_transition_statements import STEPS, fire_counted
from workflow_app.extensions import db
from workflow_app.notifications.models import Notification

Users = dict[str, Any]


def test_the_outbox_rows_are_one_insert_of_one_shape(app_ctx: Flask, users: Users) -> None:
    plan_id = factories.complete_plan(users["drafter"]).id
    db.session.commit()
    ids = {who: users[who].id for who, _ in STEPS}
    inserts = {}
    for who, trigger in STEPS:
        statements = fire_counted(app_ctx, ids[who], plan_id, trigger)
        inserts[trigger] = [s for s in statements if s.startswith("INSERT INTO notification")]
    # Everyone told gets a row: approve tells more than one person.
    told = {
        trigger: db.session.scalar(
            select(db.func.count()).where(Notification.event.like(f"%{trigger}"))
        )
        for _, trigger in STEPS
    }
    assert told["approve"] > 1, told
    assert all(len(found) == 1 for found in inserts.values()), inserts
    if db.engine.dialect.name == "postgresql":
        shapes = {found[0] for found in inserts.values()}
        assert len(shapes) == 1  # one statement text for 1 or 3 recipients
        (shape,) = shapes
        assert len(set(re.findall(r"%\((\w+)\)s", shape))) <= _queries.MAX_CACHED_STATEMENT_PARAMS
        assert len(shape) <= _queries.MAX_CACHED_STATEMENT_LENGTH
