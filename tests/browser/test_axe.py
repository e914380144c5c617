"""axe-core (bundled with axe-playwright-python; nothing downloaded at run time) finds no
accessibility violation on any main page, for any role, on a desktop and on a 390×844 phone:
contrast, names of fields and regions, landmarks, focusable scroll regions, and the rest of
its default rules (WCAG 2 A/AA and best practices)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.external import once_per_ci_run, unavailable

from .conftest import log_in
from .site import ROLES, Site

VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.fixture(autouse=True, scope="module")
def _once_per_ci_run() -> None:
    # What axe judges (markup, names, contrast, landmarks) comes from the templates and the
    # styles; the pass's database only fills in the same seeded site. That every page opens on
    # each database stays checked in both passes by test_phones.py's tour of the same pages.
    once_per_ci_run("axe", because="the database under test cannot change what axe judges")


@pytest.fixture
def axe() -> object:
    try:
        from axe_playwright_python.sync_playwright import Axe
    except ImportError:
        unavailable("axe-playwright-python is not installed (pip install -e '.[dev]')")
    return Axe()


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
    site: Site, live_server: str, screen: object, axe: object
) -> None:
    page = screen
    found = []
    for who in ROLES:
        page.context.clear_cookies()  # type: ignore[attr-defined]
        if who:
            log_in(page, live_server, who)
        for path in site.paths:
            if not site.opened(path, who, page.goto(live_server + path)):  # type: ignore[attr-defined]
                continue
            violations = axe.run(page).response["violations"]  # type: ignore[attr-defined]
            found += [f"{who or 'anonymous'} {path}: {_described(v)}" for v in violations]
    assert found == []
    site.assert_all_visited()
