"""The dashboard's cached content is also kept in the process that read or rendered it: a view
of unchanged data asks the shared cache only whether the entry still lives, and does not read
(and unpickle) the content again; what the shared cache dropped is rendered again."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import signed_in
from workflow_app.dashboard import views
from workflow_app.extensions import cache


@pytest.fixture
def cache_on(app_ctx: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setitem(app_ctx.config, "DASHBOARD_CACHE_SECONDS", 600)
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The keys the dashboard reads from the shared cache."""
    seen: list[str] = []
    original = cache.get

    def get(key: str) -> object:
        seen.append(key)
        return original(key)

    monkeypatch.setattr(cache, "get", get)
    return seen


def _page(app: Flask, client: FlaskClient, url: str = "/dashboard") -> str:
    with app.app_context():
        response = client.get(url)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    page = re.sub(r'(name="csrf_token" value=|data-csrf-token=)"[^"]*"', r"\1", page)
    return re.sub(r'data-check-in="\d+"', "", page)


def test_a_view_of_unchanged_data_does_not_read_the_content_again(
    app_ctx, users, cache_on, reads
) -> None:
    client = signed_in(app_ctx, "provincial.63")
    first = _page(app_ctx, client)
    reads.clear()
    again = [_page(app_ctx, client) for _ in range(3)]
    assert again == [first] * 3
    assert reads == []


def test_content_the_shared_cache_dropped_is_rendered_again(
    app_ctx, users, cache_on, reads, monkeypatch
) -> None:
    client = signed_in(app_ctx, "provincial.63")
    first = _page(app_ctx, client)
    cache.clear()
    reads.clear()
    rendered: list[object] = []
    original = views.filter_form
    monkeypatch.setattr(views, "filter_form", lambda *a: rendered.append(a) or original(*a))
    assert _page(app_ctx, client) == first
    assert len(rendered) == 1 and len(reads) == 1  # read (missing), rendered, stored
    assert _page(app_ctx, client) == first
    assert len(rendered) == 1 and len(reads) == 1


def test_each_key_keeps_its_own_content(app_ctx, users, cache_on) -> None:
    client = signed_in(app_ctx, "provincial.63")
    pages = {url: _page(app_ctx, client, url) for url in ("/dashboard", "/dashboard?district=6301")}
    for url, page in pages.items():
        assert _page(app_ctx, client, url) == page
    assert pages["/dashboard"] != pages["/dashboard?district=6301"]
