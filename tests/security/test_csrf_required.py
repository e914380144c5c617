"""Every state-changing route refuses a request without the CSRF token (400) and changes
nothing, even for a signed-in user who could otherwise do it. /api/v1 is left out: it takes
a bearer token and never reads the session cookie."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask

from workflow_app.accounts.models import User
from workflow_app.extensions import csrf

from .dataset import build
from .expectations import ANONYMOUS, EXPECTATIONS, ROLES, Case
from .matrix import (
    API_PREFIX,
    STATE_CHANGING,
    Visitor,
    changed_tables,
    fill,
    form_data,
    routes,
    snapshot,
)

REFUSED = (403, 404, 405)  # answers of someone who may not act at all


def _actor(cases: tuple[Case, ...]) -> tuple[Case, str]:
    """A case and a role who gets past access control on the own district's object: a
    signed-in role's success if there is one, else a form-level answer; for the pages of
    visitors (a forgotten password, a reset link) the anonymous visitor."""

    def rank(case: Case, role: str) -> tuple[bool, bool, bool]:
        status = case.own[role]
        signed_in = role != ANONYMOUS
        success = signed_in and status in (302, 303)
        past_access = status not in REFUSED and (signed_in or status != 302)
        return (not past_access, not success, not signed_in)

    candidates = [
        (rank(case, role), number, case, role)
        for number, case in enumerate(cases)
        for role in ROLES
    ]
    assert candidates, "no expectation for the route"
    _rank, _number, case, role = min(candidates, key=lambda c: (c[0], c[1]))
    return case, role


@contextmanager
def _calls_of(app: Flask, endpoint: str) -> Iterator[list[int]]:
    """Counts the calls of the view behind `endpoint` while the block runs."""
    view = app.view_functions[endpoint]
    calls: list[int] = []

    def spy(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return view(*args, **kwargs)

    app.view_functions[endpoint] = spy
    try:
        yield calls
    finally:
        app.view_functions[endpoint] = view


def _exempt(app: Flask, endpoint: str) -> bool:
    """Views that check the token in their own form (an upload whose size limit must be set
    before the body is read) instead of in the app-wide check."""
    view: Callable[..., Any] = app.view_functions[endpoint]
    return f"{view.__module__}.{view.__name__}" in csrf._exempt_views


def test_state_changing_routes_need_the_csrf_token(app_ctx: Flask, users: dict[str, User]) -> None:
    dataset = build(users)
    visitors: dict[str, Visitor] = {}
    problems: list[str] = []
    checked = 0
    for method, rule in routes(app_ctx):
        if method not in STATE_CHANGING or rule.rule.startswith(API_PREFIX):
            continue
        case, role = _actor(EXPECTATIONS.get((method, rule.rule), ()))
        if role not in visitors:
            visitors[role] = Visitor(app_ctx, role, dataset.holders.get(role))
            visitors[role].start()
        url = fill(rule, case, dataset, "own")
        before = snapshot()
        with _calls_of(app_ctx, rule.endpoint) as calls:
            response = visitors[role].request(
                method, url, form_data(case, dataset, "own"), csrf=False
            )
        changed = changed_tables(before, snapshot())
        checked += 1
        where = f"{method} {rule.rule} as {role} ({url})"
        if response.status_code != 400:
            problems.append(f"{where}: {response.status_code} without the CSRF token")
        if changed:
            problems.append(f"{where}: changed {changed} without the CSRF token")
        if calls and not _exempt(app_ctx, rule.endpoint):
            problems.append(f"{where}: the view ran although the CSRF token was missing")
    assert checked, "no state-changing route was found"
    assert not problems, "\n".join(problems)
