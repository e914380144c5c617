"""A real browser (Debian's Chromium driven by Playwright) against the app served on a free
port of 127.0.0.1, on the same database as the test. Skips with the reason when Chromium or
Playwright is missing; fails instead under CI=true."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests.external import unavailable

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# A folder per database: CI runs the SQLite and the PostgreSQL passes at once, and their
# screenshots of the same name would overwrite each other.
_PASS = "postgresql" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "sqlite"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / _PASS


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("Playwright for Python is not installed (pip install playwright)")
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        unavailable(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def live_server(app_ctx: Flask) -> Iterator[str]:
    """The app on a free port, serving the test's database; its base URL."""
    server = make_server("127.0.0.1", 0, app_ctx, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)


def _page(browser: object, *, javascript: bool) -> Iterator[object]:
    context = browser.new_context(  # type: ignore[attr-defined]
        viewport={"width": 1280, "height": 900}, locale="id-ID", java_script_enabled=javascript
    )
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def site(
    app: Flask, app_ctx: Flask, users: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> object:
    """Every main page with something on it (site.py); the admin mailbox in this test's folder."""
    from .site import seed_site

    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    return seed_site(app_ctx, users, tmp_path / "mailbox")


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    yield from _page(browser, javascript=True)


@pytest.fixture
def page_without_javascript(browser: object) -> Iterator[object]:
    """A browser with JavaScript switched off: every core flow must still work."""
    yield from _page(browser, javascript=False)


def screenshot(page: object, name: str) -> None:
    """Saved under tests/artifacts/<database>/ (ignored by git) for CI to keep."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


def log_in(page: object, base: str, username: str) -> None:
    """Through the login form; each role lands on its workspace (its tasks, the dashboard, the
    admin area: workflow_app/workspaces.py)."""
    from tests.factories import PASSWORD

    page.goto(f"{base}/login")  # type: ignore[attr-defined]
    page.fill("input[name=username]", username)  # type: ignore[attr-defined]
    page.fill("input[name=password]", PASSWORD)  # type: ignore[attr-defined]
    page.click("form:has(input[name=password]) button[type=submit]")  # type: ignore[attr-defined]
    page.wait_for_url(lambda url: urlsplit(url).path != "/login")  # type: ignore[attr-defined]


def log_out(page: object) -> None:
    """A fresh session for the next user (the logout button is tested server-side)."""
    page.context.clear_cookies()  # type: ignore[attr-defined]
