"""Input that used to reach the database or the JSON parser unbounded and come back as a 500:
ids beyond the id columns' range on every route, and JSON nested deeper than the parser can
follow. Each is now refused the way any other bad input is (404, 400)."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from werkzeug.routing import IntegerConverter

from tests import factories
from tests.conftest import signed_in
from workflow_app.extensions import db

# Beyond PostgreSQL's integer (2³¹ − 1), and beyond SQLite's too (2⁶³ − 1).
HUGE_IDS = (2**31, 2**63, 10**30)
OTHER_ARGS = {"kind": "sk_pokja", "fmt": "csv", "field": "signed_decree"}


def _routes_with_ids(app: Flask) -> list[tuple[str, str]]:
    found = []
    for rule in app.url_map.iter_rules():
        ints = [n for n, conv in rule._converters.items() if isinstance(conv, IntegerConverter)]
        if not ints:
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((method, rule.rule))
    return sorted(found)


def _url(rule: str, huge: int) -> str:
    def fill(match: re.Match[str]) -> str:
        converter, name = match.group(1), match.group(2)
        return str(huge) if converter == "int" else OTHER_ARGS.get(name, "x")

    return re.sub(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>", fill, rule)


def test_an_id_beyond_the_database_range_is_not_found_on_every_route(
    app_ctx: Flask, users: dict
) -> None:
    routes = _routes_with_ids(app_ctx)
    assert len(routes) > 40  # the plans', reports', cases', admin's and API's
    browser = signed_in(app_ctx, "admin")
    token = factories.api_token(users["drafter"])
    db.session.commit()
    api = {"Authorization": f"Bearer {token}"}
    wrong = []
    for method, rule in routes:
        for huge in HUGE_IDS:
            url = _url(rule, huge)
            headers = api if url.startswith("/api/") else {}
            response = browser.open(
                url, method=method, headers=headers, json={} if headers else None
            )
            if response.status_code != 404:
                wrong.append(f"{method} {url}: {response.status_code}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("depth", [1_000, 100_000])
def test_json_nested_too_deep_is_a_bad_request(app_ctx: Flask, users: dict, depth: int) -> None:
    token = factories.api_token(users["drafter"])
    db.session.commit()
    body = "[" * depth + "]" * depth
    response = app_ctx.test_client().post(
        "/api/v1/plans/1/transitions",
        data=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.get_json()["code"] == "validation_error"


def _post_routes(app: Flask) -> list[str]:
    return sorted(
        _url(rule.rule, 1)
        for rule in app.url_map.iter_rules()
        if "POST" in (rule.methods or set()) and not rule.rule.startswith("/static")
    )


def test_a_body_beyond_the_limit_is_refused_on_every_route(
    app_ctx: Flask, users: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every route refuses a body larger than the limit before reading it, whether or not
    its view reads a form: nothing is parsed, nothing saved, the answer is 413."""
    monkeypatch.setitem(app_ctx.config, "MAX_CONTENT_LENGTH", 50_000)
    monkeypatch.setitem(app_ctx.config, "API_MAX_BODY_BYTES", 50_000)
    routes = _post_routes(app_ctx)
    assert len(routes) > 40
    browser = signed_in(app_ctx, "admin")
    token = factories.api_token(users["drafter"])
    db.session.commit()
    body = b"x=" + b"a" * 60_000
    wrong = []
    for url in routes:
        api = url.startswith("/api/")
        headers = {"Authorization": f"Bearer {token}"} if api else {}
        kind = "application/json" if api else "application/x-www-form-urlencoded"
        response = browser.post(url, data=body, headers=headers, content_type=kind)
        if response.status_code != 413:
            wrong.append(f"POST {url}: {response.status_code}")
    assert not wrong, "\n".join(wrong)


def test_an_api_body_has_its_own_smaller_limit(app_ctx: Flask, users: dict) -> None:
    """JSON bodies are small: the API refuses one beyond API_MAX_BODY_BYTES although the
    web's upload limit is far larger, and says so in its JSON error shape."""
    token = factories.api_token(users["drafter"])
    db.session.commit()
    limit = app_ctx.config["API_MAX_BODY_BYTES"]
    assert limit < app_ctx.config["MAX_CONTENT_LENGTH"]
    body = '{"trigger": "submit", "comment": "' + "a" * limit + '"}'
    response = app_ctx.test_client().post(
        "/api/v1/plans/1/transitions",
        data=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.get_json()["code"] == "payload_too_large"
