"""The dashboard's districts for a user are queried for the user's reach (one statement),
not every district loaded and filtered in Python: the same districts, in the same order."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import event

from tests import factories
from workflow_app.accounts.models import User
from workflow_app.dashboard import scope
from workflow_app.extensions import db


def _accounts(users: dict[str, User]) -> list[User]:
    mixed = [
        factories.user("mitra.kalsel", ("partner", "63")),
        factories.user("two.districts", ("district_reviewer", "6301"), ("partner", "6372")),
        factories.user("nobody"),
    ]
    db.session.commit()
    return [*users.values(), *mixed]


def test_the_districts_of_a_user_are_those_its_grants_cover(
    app_ctx: Flask, users: dict[str, User]
) -> None:
    everywhere = scope.districts()
    for user in _accounts(users):
        expected = [region.code for region in scope.visible_districts(user, everywhere)]
        assert [region.code for region in scope.districts_of(user)] == expected, user.username
    province = scope.districts_of(users["provincial"])
    assert len(province) == len(everywhere) > 1  # the whole province, in one query


def test_one_statement_reads_only_the_districts_in_reach(
    app_ctx: Flask, users: dict[str, User]
) -> None:
    statements: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    partner = users["partner"]
    partner.grants()  # its roles loaded before counting
    event.listen(db.engine, "before_cursor_execute", record)
    try:
        found = [(region.code, region.province_code) for region in scope.districts_of(partner)]
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert found == [("6301", "63")]
    assert len(statements) == 1  # the province loaded with its districts
