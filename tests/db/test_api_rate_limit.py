"""The API's own rate limit (issue 14): API_RATE_LIMIT requests across the API per token, or
per client address without a working token; beyond it 429 rate_limited with Retry-After."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests import factories
from workflow_app.config import ConfigurationError, check_rate_limit

LIMIT = 3


@pytest.fixture
def tiny_limit(app_ctx: Flask, monkeypatch: pytest.MonkeyPatch) -> Flask:
    # Per day: the window cannot end while the test runs.
    monkeypatch.setitem(app_ctx.config, "API_RATE_LIMIT", f"{LIMIT} per day")
    return app_ctx


def _api(app: Flask, address: str = "192.0.2.1") -> FlaskClient:
    client = app.test_client(use_cookies=False)
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _get(client: FlaskClient, secret: str | None, path: str = "/api/v1/tasks"):
    headers = {"Authorization": f"Bearer {secret}"} if secret else {}
    return client.get(path, headers=headers)


def test_one_token_is_held_back_after_the_limit_and_another_is_not(tiny_limit, users) -> None:
    busy = factories.api_token(users["drafter"], "skrip sibuk")
    calm = factories.api_token(users["drafter"], "skrip tenang")
    client = _api(tiny_limit)
    # The limit is across the API, not per route.
    paths = ["/api/v1/tasks", "/api/v1/plans", "/api/v1/tasks"]
    assert [_get(client, busy, path).status_code for path in paths] == [200] * LIMIT

    refused = _get(client, busy, "/api/v1/plans")

    assert refused.status_code == 429
    body = refused.get_json()
    assert body["code"] == "rate_limited"
    assert set(body) == {"code", "message", "fields", "problems"}
    assert int(refused.headers["Retry-After"]) >= 0
    assert _get(client, calm).status_code == 200  # same user, same address, own count
    # Counted by the token, not the address: from elsewhere it is still held back.
    assert _get(_api(tiny_limit, "198.51.100.7"), busy).status_code == 429


def test_requests_without_a_working_token_count_per_address(tiny_limit, users) -> None:
    working = factories.api_token(users["drafter"])
    prober = _api(tiny_limit, "203.0.113.9")
    statuses = [_get(prober, secret).status_code for secret in (None, "tebakan-1", "tebakan-2")]
    assert statuses == [401] * LIMIT

    assert _get(prober, "tebakan-3").status_code == 429
    assert _get(prober, None, "/api/v1/openapi.json").status_code == 429
    assert _get(_api(tiny_limit, "198.51.100.7"), "tebakan-4").status_code == 401
    assert _get(prober, working).status_code == 200  # a working token has its own count


def test_the_limit_is_a_setting_checked_at_start_up() -> None:
    check_rate_limit({"API_RATE_LIMIT": "600 per minute"}, "API_RATE_LIMIT")
    with pytest.raises(ConfigurationError, match="API_RATE_LIMIT"):
        check_rate_limit({"API_RATE_LIMIT": "banyak"}, "API_RATE_LIMIT")
