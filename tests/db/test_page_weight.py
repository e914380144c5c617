"""Page weight: a first load (the HTML and every stylesheet, script and image it links) stays
under 300 KB, and nothing is fetched from another site (Bootstrap is served by the app)."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from tests import factories
from workflow_app.accounts.models import User
from workflow_app.extensions import db

BUDGET = 300 * 1024


class _Links(HTMLParser):
    """Every src/href of the page, and the ones a browser fetches on a first load."""

    def __init__(self) -> None:
        super().__init__()
        self.all: list[str] = []
        self.loaded: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name in ("href", "src"):
            if values.get(name):
                self.all.append(values[name])  # type: ignore[arg-type]
        if tag == "link" and "stylesheet" in (values.get("rel") or "").split() and values["href"]:
            self.loaded.append(values["href"])
        elif tag in ("script", "img") and values.get("src"):
            self.loaded.append(values["src"])  # type: ignore[arg-type]


def _client_as(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    user_id = db.session.scalar(select(User.id).where(User.username == username))
    with client.session_transaction() as session:
        session["_user_id"] = str(user_id)
        session["_fresh"] = True
    return client


def _first_load(client: FlaskClient, url: str) -> tuple[int, _Links]:
    """Bytes transferred for the page and what it links, and the page's links."""
    response = client.get(url)
    assert response.status_code == 200, url
    page = response.get_data()
    links = _Links()
    links.feed(page.decode())
    total = len(page)
    for href in links.loaded:
        asset = client.get(href)
        assert asset.status_code == 200, href
        total += len(asset.get_data())
        asset.close()
    return total, links


def _assert_light_and_local(client: FlaskClient, url: str) -> None:
    total, links = _first_load(client, url)
    assert any("bootstrap" in href for href in links.loaded), "Bootstrap's CSS is not linked"
    assert total < BUDGET, f"{url}: {total} bytes on a first load"
    off_site = [href for href in links.all if urlsplit(href).scheme or href.startswith("//")]
    assert off_site == [], f"{url} links off-site: {off_site}"


def test_the_login_page_is_light_and_local(client: FlaskClient) -> None:
    _assert_light_and_local(client, "/login")


@pytest.mark.parametrize("page", ["tasks", "plan"])
def test_the_tasks_and_plan_pages_are_light_and_local(app_ctx: Flask, users, page: str) -> None:
    plan = factories.plan_in_state(users, "district_review")
    client = _client_as(app_ctx, "reviewer.6301")
    url = "/tasks" if page == "tasks" else f"/plans/{plan.id}"
    if page == "tasks":
        assert f"/plans/{plan.id}" in client.get(url).get_data(as_text=True)
    _assert_light_and_local(client, url)
