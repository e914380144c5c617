"""The dashboard's whole content (filter, download links, figures) is cached: a view of
unchanged data reads only the user (with the bell's count) and the data stamp, builds no
filter form and
renders only the page around it; what the query string changes is still told apart."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from tests.conftest import signed_in
from workflow_app.dashboard import views
from workflow_app.extensions import cache, db


@pytest.fixture
def cache_on(app_ctx: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setitem(app_ctx.config, "DASHBOARD_CACHE_SECONDS", 600)
    cache.clear()
    yield
    cache.clear()


def _view(app: Flask, client: FlaskClient, url: str) -> tuple[int, str, list[str]]:
    """Status, page and statements of one request, in a fresh app context (own session)."""
    statements: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        with app.app_context():
            response = client.get(url)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return response.status_code, response.get_data(as_text=True), statements


def _same_page(page: str) -> str:
    """The page without what differs per request anyway (signed CSRF tokens carry the time,
    the session warning the seconds left)."""
    page = re.sub(r'(name="csrf_token" value=|data-csrf-token=)"[^"]*"', r"\1", page)
    return re.sub(r'data-check-in="\d+"', "", page)


def _tables(statement: str) -> set[str]:
    return set(re.findall(r"(?:FROM|JOIN) (\w+)", statement))


def test_a_cached_view_reads_the_user_and_the_stamp_only(
    app_ctx, users, cache_on, monkeypatch
) -> None:
    client = signed_in(app_ctx, "provincial.63")
    first = _view(app_ctx, client, "/dashboard")
    built: list[object] = []
    monkeypatch.setattr(views, "filter_form", lambda *a: built.append(a))  # must not run
    again = _view(app_ctx, client, "/dashboard")

    assert again[0] == first[0] == 200
    assert _same_page(again[1]) == _same_page(first[1])
    assert built == []
    assert len(again[2]) == 2
    user, stamp = (_tables(s) for s in again[2])
    assert {"user_account", "notification"} <= user
    assert stamp == {"change_event", "calendar_override"}


def test_the_query_string_keys_the_content_and_an_invalid_filter_stays_400(
    app_ctx, users, cache_on
) -> None:
    client = signed_in(app_ctx, "provincial.63")
    pages = {}
    for url, status in (
        ("/dashboard", 200),
        ("/dashboard?district=6301", 200),
        ("/dashboard?year=abc", 400),
    ):
        first = _view(app_ctx, client, url)
        again = _view(app_ctx, client, url)
        assert first[0] == again[0] == status, url
        assert _same_page(first[1]) == _same_page(again[1]), url
        pages[url] = _same_page(first[1])
    assert len(set(pages.values())) == 3
    assert 'id="filter-errors"' in pages["/dashboard?year=abc"]
    assert (
        "Show all" in pages["/dashboard?district=6301"]
        or "Tampilkan semua" in pages["/dashboard?district=6301"]
    )
