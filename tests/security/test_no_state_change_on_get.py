"""No GET changes anything: for every GET route, as every role, on both districts' objects,
the database reads the same before and after (row counts and a hash of every table's rows;
the snapshot is taken again after any request that issued an INSERT, UPDATE or DELETE)."""

from __future__ import annotations

import pytest
from flask import Flask

from workflow_app.accounts.models import User

from .dataset import build
from .expectations import ROLES
from .matrix import API_PREFIX, seen_by

# The API records when a token was last used (at most every few minutes): bookkeeping of the
# token, not a change of anything the caller asked for.
API_BOOKKEEPING = {"api_token"}


@pytest.mark.parametrize("role", ROLES)
def test_no_get_changes_the_database(app_ctx: Flask, users: dict[str, User], role: str) -> None:
    seen = [s for s in seen_by(app_ctx, role, lambda: build(users)) if s.method == "GET"]
    assert seen, "no GET route was requested"
    changes = [
        s.describe()
        for s in seen
        if set(s.changed) - (API_BOOKKEEPING if s.rule.startswith(API_PREFIX) else set())
    ]
    assert not changes, f"GET requests of {role} that changed the database:\n" + "\n".join(changes)
