"""The bell in Chromium, without JavaScript: the reviewer sees one unread event after the
drafter submits, opens it from the notifications page (a form's button: a POST) and lands on
the plan with the bell cleared; on a 390 px phone the notifications and account pages do not
scroll sideways."""

from __future__ import annotations

from flask import Flask

from tests import factories

from .conftest import log_in


def test_the_bell_leads_to_the_event_and_opening_it_marks_it_read(
    app_ctx: Flask, users: dict, live_server: str, page_without_javascript: object
) -> None:
    page = page_without_javascript
    plan = factories.plan_in_state(users, "district_review")
    log_in(page, live_server, "reviewer.6301")
    assert page.locator("#unread-count").text_content().strip().startswith("1")  # type: ignore[attr-defined]

    page.click("#nav-notifications")  # type: ignore[attr-defined]
    page.wait_for_url(f"{live_server}/notifications")  # type: ignore[attr-defined]
    unread = page.locator("#notifications li.unread")  # type: ignore[attr-defined]
    assert unread.count() == 1
    assert "Tanah Laut" in unread.inner_text()
    unread.locator("button.inbox-open").click()
    page.wait_for_url(f"{live_server}/plans/{plan.id}")  # type: ignore[attr-defined]
    assert page.locator("#unread-count").count() == 0  # type: ignore[attr-defined]

    page.set_viewport_size({"width": 390, "height": 844})  # type: ignore[attr-defined]
    for path in ("/notifications", "/account"):
        page.goto(live_server + path)  # type: ignore[attr-defined]
        width = page.evaluate("document.documentElement.scrollWidth")  # type: ignore[attr-defined]
        assert width <= 390, f"{path} scrolls sideways: {width} px"
