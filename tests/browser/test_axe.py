"""axe-core (bundled with axe-playwright-python; nothing downloaded at run time) finds no
accessibility violation on any main page, for any role, on a desktop and on a 390×844 phone:
contrast, names of fields and regions, landmarks, focusable scroll regions, and the rest of
its default rules (WCAG 2 A/AA and best practices)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from workflow_app.accounts.models import User

from .conftest import log_in
from .site import ROLES, Site, seed_site

axe_module = pytest.importorskip(
    "axe_playwright_python.sync_playwright", reason="axe-playwright-python is not installed"
)

VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.fixture
def mailbox(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    return tmp_path / "mailbox"


@pytest.fixture
def site(app_ctx: Flask, users: dict[str, User], mailbox: Path) -> Site:
    return seed_site(app_ctx, users, mailbox)


@pytest.fixture(params=sorted(VIEWPORTS))
def screen(request: pytest.FixtureRequest, browser: object) -> Iterator[object]:
    context = browser.new_context(viewport=VIEWPORTS[request.param], locale="id-ID")  # type: ignore[attr-defined]
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def _described(violation: dict) -> str:
    nodes = "; ".join(" ".join(node["target"]) for node in violation["nodes"][:5])
    return f"{violation['id']} ({violation['impact']}): {violation['help']} at {nodes}"


def test_no_page_has_an_accessibility_violation(
    site: Site, live_server: str, screen: object
) -> None:
    page = screen
    axe = axe_module.Axe()
    found = []
    for who in ROLES:
        page.context.clear_cookies()  # type: ignore[attr-defined]
        if who:
            log_in(page, live_server, who)
        for path in site.paths:
            if not site.opened(path, who, page.goto(live_server + path)):  # type: ignore[attr-defined]
                continue
            violations = axe.run(page).response["violations"]
            found += [f"{who or 'anonymous'} {path}: {_described(v)}" for v in violations]
    assert found == []
    site.assert_all_visited()
