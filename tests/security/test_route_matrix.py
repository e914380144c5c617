"""Every route of the app, as every role, on its own district's objects and on another's:
the status each answers is the one in expectations.py, a refused POST changes nothing, and a
route nobody has written an expectation for fails here, named."""

from __future__ import annotations

import pytest
from flask import Flask

from workflow_app.accounts.models import User

from .dataset import build
from .expectations import ANONYMOUS, EXPECTATIONS, ROLES
from .matrix import API_PREFIX, STATE_CHANGING, Seen, routes, seen_by

SUCCESS_REDIRECTS = (302, 303)


def test_every_route_has_expectations(app: Flask) -> None:
    in_map = {(method, rule.rule) for method, rule in routes(app)}
    missing = sorted(in_map - set(EXPECTATIONS))
    stale = sorted(set(EXPECTATIONS) - in_map)
    assert not missing, "routes with no expectation in tests/security/expectations.py:\n" + (
        "\n".join(f"  {method} {rule}" for method, rule in missing)
    )
    assert not stale, f"expectations for routes that no longer exist: {stale}"


def _may_change(seen: Seen, role: str) -> bool:
    """Only a signed-in role's successful action (a redirect, or 200 from the API) may
    change the database."""
    if role == ANONYMOUS:
        return False
    if seen.rule.startswith(API_PREFIX):
        return seen.expected == 200
    return seen.expected in SUCCESS_REDIRECTS


def _problems(seen: list[Seen], role: str) -> list[str]:
    problems = []
    for request in seen:
        if request.status != request.expected:
            problems.append(request.describe())
        elif (
            request.method in STATE_CHANGING and request.changed and not _may_change(request, role)
        ):
            problems.append(f"refused but changed the database: {request.describe()}")
        elif role == ANONYMOUS and request.status == 302 and "/login" not in request.location:
            problems.append(f"anonymous not sent to the login page: {request.describe()}")
    return problems


@pytest.mark.parametrize("role", ROLES)
def test_route_matrix(app_ctx: Flask, users: dict[str, User], role: str) -> None:
    seen = seen_by(app_ctx, role, lambda: build(users))
    problems = _problems(seen, role)
    assert not problems, f"{len(problems)} unexpected answers for {role}:\n" + "\n".join(problems)
