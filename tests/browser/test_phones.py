"""On a 390×844 phone no page scrolls sideways, for any role: lists become cards whose due
dates and actions are on the screen, comments in tables are read in full, and the workflow
diagram keeps readable text (its text form comes first)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .conftest import log_in
from .site import LONG_COMMENT, ROLES, Site

PHONE = {"width": 390, "height": 844}

# Card lists that are wider than the screen or scroll inside their box (hiding columns).
CUT_LISTS = """
() => Array.from(document.querySelectorAll('table.table-cards')).filter(table => {
  const box = table.closest('.table-scroll, .table-responsive') || table.parentElement;
  return table.getBoundingClientRect().right > window.innerWidth + 1
    || box.scrollWidth > box.clientWidth + 1;
}).map(table => table.className)
"""


@pytest.fixture
def phone(browser: object) -> Iterator[object]:
    context = browser.new_context(viewport=PHONE, locale="id-ID")  # type: ignore[attr-defined]
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def test_no_page_scrolls_sideways_on_a_phone_for_any_role(
    site: Site, live_server: str, phone: object
) -> None:
    page = phone
    problems = []
    for who in ROLES:
        page.context.clear_cookies()  # type: ignore[attr-defined]
        if who:
            log_in(page, live_server, who)
        for path in site.paths:
            if not site.opened(path, who, page.goto(live_server + path)):  # type: ignore[attr-defined]
                continue
            width = page.evaluate("document.documentElement.scrollWidth")  # type: ignore[attr-defined]
            cut = page.evaluate(CUT_LISTS)  # type: ignore[attr-defined]
            if width > PHONE["width"] or cut:
                problems.append((who, path, width, cut))
    assert problems == []
    site.assert_all_visited()


def _right_edge(page: object, selector: str) -> float:
    return page.locator(selector).first.evaluate("e => e.getBoundingClientRect().right")  # type: ignore[attr-defined]


def test_due_dates_actions_and_comments_are_on_the_screen(
    site: Site, live_server: str, phone: object
) -> None:
    page = phone
    log_in(page, live_server, "provincial.63")
    page.goto(f"{live_server}/tasks")  # type: ignore[attr-defined]
    task = page.locator("table.tasks tbody tr").first  # type: ignore[attr-defined]
    for part in (".due time", ".due-left", ".task-action"):
        box = task.locator(part).first.bounding_box()
        assert box is not None and box["x"] >= 0, part
        assert box["x"] + box["width"] <= PHONE["width"], part

    page.context.clear_cookies()  # type: ignore[attr-defined]
    log_in(page, live_server, "drafter.6301")
    page.goto(f"{live_server}/plans/{site.plans['returned']}")  # type: ignore[attr-defined]
    comment = page.locator(".item-comments .comment", has_text=LONG_COMMENT[:40]).first  # type: ignore[attr-defined]
    assert comment.is_visible()
    box = comment.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    # Its table is a list of cards: nothing of the comment is scrolled out of its box.
    assert page.evaluate(CUT_LISTS) == []  # type: ignore[attr-defined]


def test_the_workflow_diagram_stays_readable_and_its_text_form_comes_first(
    site: Site, live_server: str, phone: object
) -> None:
    page = phone
    log_in(page, live_server, "drafter.6301")
    page.goto(f"{live_server}/plans/{site.plans['monitored']}")  # type: ignore[attr-defined]

    # Text of 13 px in the drawing is shown at 11 px or more (it was about 4 px).
    scale = page.evaluate("document.querySelector('svg.workflow-diagram').getScreenCTM().a")  # type: ignore[attr-defined]
    assert 13 * scale >= 11
    text_top = page.locator(".diagram-text").bounding_box()["y"]  # type: ignore[attr-defined]
    figure_top = page.locator(".workflow-figure").bounding_box()["y"]  # type: ignore[attr-defined]
    assert text_top < figure_top
    # The drawing scrolls inside its own focusable region, never the page.
    region = page.locator(".workflow-figure [role=region]")  # type: ignore[attr-defined]
    assert region.get_attribute("tabindex") == "0"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # type: ignore[attr-defined]
