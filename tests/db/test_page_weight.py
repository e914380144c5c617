"""Page weight: a first load (the HTML and every stylesheet, script and image it links, as a
browser accepting gzip receives them) stays under 100 KB, and nothing is fetched from another
site (Bootstrap is served by the app). Static files go compressed, under names that change
with their content, cached for a year (static_files.py)."""

from __future__ import annotations

import gzip
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests import factories
from tests.conftest import signed_in
from workflow_app.static_files import init_static_files

BUDGET = 100 * 1024
GZIP = {"Accept-Encoding": "gzip"}
ONE_YEAR = 365 * 24 * 60 * 60


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


def _first_load(client: FlaskClient, url: str) -> tuple[int, _Links]:
    """Bytes transferred for the page and what it links (to a browser accepting gzip), and the
    page's links."""
    response = client.get(url, headers=GZIP)
    assert response.status_code == 200, url
    page = response.get_data()
    if response.headers.get("Content-Encoding") == "gzip":
        page = gzip.decompress(page)
    links = _Links()
    links.feed(page.decode())
    total = len(response.get_data())
    for href in links.loaded:
        asset = client.get(href, headers=GZIP)
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
    client = signed_in(app_ctx, "reviewer.6301")
    url = "/tasks" if page == "tasks" else f"/plans/{plan.id}"
    if page == "tasks":
        assert f"/plans/{plan.id}" in client.get(url).get_data(as_text=True)
    _assert_light_and_local(client, url)


# --- static files: compressed, versioned, cached for a year --------------------------------


def _cache_control(response) -> dict[str, str]:
    parts = (part.strip().partition("=") for part in response.headers["Cache-Control"].split(","))
    return {name: value for name, _, value in parts}


def test_linked_stylesheets_are_versioned_compressed_and_cached_for_a_year(
    client: FlaskClient,
) -> None:
    _, links = _first_load(client, "/login")
    stylesheets = [href for href in links.loaded if href.endswith(".css")]
    assert len(stylesheets) >= 2, stylesheets  # Bootstrap's and the app's

    for href in stylesheets:
        assert re.search(r"\.[0-9a-f]{12}\.css$", href), f"{href}: no content hash in the name"
        response = client.get(href, headers=GZIP)
        assert response.headers["Content-Encoding"] == "gzip", href
        assert "Accept-Encoding" in response.headers["Vary"], href
        cache = _cache_control(response)
        assert "immutable" in cache and "public" in cache, href
        assert int(cache["max-age"]) >= ONE_YEAR, href
        assert "no-cache" not in cache and "no-store" not in cache, href
        # The security headers of every response, on static files too.
        assert response.headers["X-Content-Type-Options"] == "nosniff", href
        assert "Content-Security-Policy" in response.headers, href
        # The same file for a browser that takes no compression.
        plain = client.get(href, headers={"Accept-Encoding": "identity"})
        assert "Content-Encoding" not in plain.headers
        assert gzip.decompress(response.get_data()) == plain.get_data()


def test_bootstrap_css_goes_at_about_a_seventh_of_its_size(client: FlaskClient) -> None:
    _, links = _first_load(client, "/login")
    (href,) = [href for href in links.loaded if "bootstrap" in href]

    compressed = client.get(href, headers=GZIP).get_data()
    plain = client.get(href, headers={"Accept-Encoding": "identity"}).get_data()

    assert len(plain) > 200 * 1024
    assert len(compressed) < 40 * 1024


def test_the_plain_name_still_works_but_is_not_kept_for_long(client: FlaskClient) -> None:
    response = client.get("/static/app.css", headers=GZIP)

    assert response.status_code == 200
    assert "immutable" not in response.headers["Cache-Control"]
    assert int(_cache_control(response)["max-age"]) <= 3600


def _served_url(static: Path, cache: Path) -> tuple[str, FlaskClient]:
    """The URL a page links for static/site.css, in an app started on `static`."""
    app = Flask("probe", static_folder=str(static))
    app.config["STATIC_CACHE_DIR"] = str(cache)
    init_static_files(app, {})
    with app.test_request_context():
        from flask import url_for

        return url_for("static", filename="site.css"), app.test_client()


def test_the_versioned_name_changes_with_the_content(tmp_path: Path) -> None:
    static, cache = tmp_path / "static", tmp_path / "cache"
    static.mkdir()
    stylesheet = static / "site.css"
    stylesheet.write_text("body { color: #123; }\n" * 200)
    first, client = _served_url(static, cache)
    again, _ = _served_url(static, cache)

    stylesheet.write_text("body { color: #456; }\n" * 200)
    changed, changed_client = _served_url(static, cache)

    assert first == again != changed
    assert first.startswith("/static/site.") and first.endswith(".css")
    assert b"#123" in gzip.decompress(client.get(first, headers=GZIP).get_data())
    assert b"#456" in gzip.decompress(changed_client.get(changed, headers=GZIP).get_data())
