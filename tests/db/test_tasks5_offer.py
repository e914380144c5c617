"""My tasks' offer to create a plan (plans/access.regions_without_a_plan) reads plain columns
of the regions: no Region object (and its parent) built per region on a drafter's visit."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import event

from tests import factories
from tests.conftest import signed_in
from workflow_app.accounts.models import User
from workflow_app.plans import access
from workflow_app.regions.models import Region


def test_the_offer_builds_no_region_object(app_ctx: Flask, users: dict) -> None:
    """Before: every Region, with its parent, on each drafter's visit."""
    drafter: User = users["drafter"]
    drafter.grants()  # the login loader has these loaded on a page
    built: list[object] = []

    def loaded(target: object, _context: object) -> None:
        built.append(target)

    event.listen(Region, "load", loaded)
    try:
        offered = access.regions_without_a_plan(drafter)
    finally:
        event.remove(Region, "load", loaded)
    assert (
        [(r.code, r.name) for r in offered]
        == [(r.code, r.name) for r in access.creation_regions(drafter)]
        == [("6301", "Tanah Laut")]
    )
    assert built == []


def test_the_page_offers_by_name_until_a_plan_is_live(app_ctx: Flask, users: dict) -> None:
    client = signed_in(app_ctx, "drafter.6301")
    assert 'id="create-plan-offer"' in client.get("/tasks").get_data(as_text=True)
    assert "Tanah Laut" in client.get("/tasks").get_data(as_text=True)
    factories.plan_in_state(users, "draft")
    assert 'id="create-plan-offer"' not in client.get("/tasks").get_data(as_text=True)
