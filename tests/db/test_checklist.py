"""The completeness checklist on the plan page: each missing piece links to the page and the
field where the drafter fixes it, and the command line still lists the missing pieces."""

from __future__ import annotations

import html
import re
from decimal import Decimal
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale

from tests.conftest import signed_in
from workflow_app.accounts.models import User
from workflow_app.commands.exits import EXIT_REFUSED
from workflow_app.extensions import db
from workflow_app.plans import operations as ops
from workflow_app.plans.guards import plan_complete
from workflow_app.plans.models import ActionPlan

from .. import factories

Users = dict[str, User]


class _Elements(HTMLParser):
    """Every element of a page that has an id, with its attributes; and each select's
    selected option."""

    def __init__(self) -> None:
        super().__init__()
        self.by_id: dict[str, dict[str, str]] = {}
        self.selected: dict[str, str] = {}
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if "id" in values:
            self.by_id[values["id"]] = {"tag": tag, **values}
        if tag == "select":
            self._select = values.get("id")
        elif tag == "option" and self._select and "selected" in values:
            self.selected[self._select] = values.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


def _elements(page: str) -> _Elements:
    parser = _Elements()
    parser.feed(page)
    return parser


def _get(client: FlaskClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def _checklist_links(client: FlaskClient, plan_id: int) -> dict[str, str]:
    """The submit checklist of the plan page as {shown text: link}."""
    page = _get(client, f"/plans/{plan_id}")
    block = page[page.index('id="checklist-submit"') :]
    block = block[: block.index("</ul>")]
    items = re.findall(r"<li>(.*?)</li>", block, re.S)
    links: dict[str, str] = {}
    for item in items:
        match = re.fullmatch(r'<a class="fix-link" href="([^"]+)">(.*)</a>', item, re.S)
        assert match, f"checklist item without a link: {item}"
        links[html.unescape(match.group(2))] = html.unescape(match.group(1))
    return links


def _follow(client: FlaskClient, link: str) -> tuple[_Elements, str]:
    """Open a checklist link as a browser would: the page, and the element its anchor names."""
    parts = urlsplit(link)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    return _elements(_get(client, target)), parts.fragment


def _messages(plan: ActionPlan) -> list[str]:
    with force_locale("en"):
        return [str(problem) for problem in plan_complete(plan)]


def _activity(title: str, *, agency_id: int | None, amount: int) -> ops.ActivityData:
    funding = [ops.FundingData(year=2026, source="apbd_district", amount=amount)] if amount else []
    return ops.ActivityData(
        sub_sector="wastewater",
        activity_type="lltt",
        title=title,
        location="Pelaihari",
        volume=Decimal(10),
        unit="unit",
        agency_id=agency_id,
        start_year=2026,
        end_year=2027,
        funding=funding,
    )


def _indicator(name: str, **changes: object) -> ops.IndicatorData:
    data = ops.IndicatorData(
        name=name,
        unit="%",
        baseline_year=2024,
        baseline_value=Decimal(5),
        targets={year: Decimal(10) for year in range(2025, 2030)},
    )
    for key, value in changes.items():
        setattr(data, key, value)
    return data


@pytest.fixture
def incomplete(users: Users) -> ActionPlan:
    """A draft whose second activity and second indicator are incomplete, so that a link to
    the first one would be visibly wrong."""
    drafter = users["drafter"]
    plan = factories.complete_plan(drafter)
    ops.add_activity(
        drafter,
        plan,
        expected_version=None,
        data=_activity("Bangun IPLT", agency_id=None, amount=0),
    )
    targets = {year: Decimal(10) for year in (2025, 2026, 2028, 2029)}
    ops.replace_indicators(
        drafter,
        plan,
        expected_version=None,
        indicators=[
            _indicator("Akses aman"),
            _indicator("Akses layak", baseline_value=None, targets=targets),
        ],
    )
    db.session.commit()
    return plan


def test_every_missing_piece_is_a_link_in_the_checklist(app_ctx: Flask, incomplete) -> None:
    client = signed_in(app_ctx, "drafter.6301")
    with app_ctx.test_request_context():
        expected = [str(problem) for problem in plan_complete(incomplete)]

    links = _checklist_links(client, incomplete.id)

    assert len(expected) == 4
    assert list(links) == expected


def test_an_activity_problem_opens_that_activity_at_the_missing_field(
    app_ctx: Flask, incomplete
) -> None:
    client = signed_in(app_ctx, "drafter.6301")
    activity = next(a for a in incomplete.activities if a.title == "Bangun IPLT")
    with app_ctx.test_request_context():
        agency_problem, funding_problem = plan_complete(incomplete)[:2]
    links = _checklist_links(client, incomplete.id)

    page, anchor = _follow(client, links[agency_problem.message])
    assert urlsplit(links[agency_problem.message]).path == (
        f"/plans/{incomplete.id}/activities/{activity.id}/edit"
    )
    assert page.by_id["title"]["value"] == "Bangun IPLT"  # the right activity
    assert page.by_id[anchor]["tag"] == "select" and page.by_id[anchor]["name"] == "agency_id"
    assert page.selected.get(anchor, "") == ""  # the empty choice the drafter must fill

    page, anchor = _follow(client, links[funding_problem.message])
    assert page.by_id["title"]["value"] == "Bangun IPLT"
    assert page.by_id[anchor]["tag"] == "input" and page.by_id[anchor]["name"].endswith("amount")
    assert page.by_id[anchor].get("value", "") == ""


def test_an_indicator_problem_opens_the_indicators_form_at_that_row(
    app_ctx: Flask, incomplete
) -> None:
    client = signed_in(app_ctx, "drafter.6301")
    with app_ctx.test_request_context():
        baseline_problem, target_problem = plan_complete(incomplete)[2:]
    links = _checklist_links(client, incomplete.id)

    for problem, field_suffix in ((baseline_problem, "baseline_value"), (target_problem, "2027")):
        link = links[problem.message]
        assert urlsplit(link).path == f"/plans/{incomplete.id}/indicators"
        page, anchor = _follow(client, link)
        field = page.by_id[anchor]
        assert field["tag"] == "input" and field["name"].endswith(field_suffix)
        assert field.get("value", "") == ""  # the empty field the drafter must fill
        # The field sits in the row of the indicator the checklist names.
        row = anchor.rsplit("-", 1)[0]
        assert page.by_id[f"{row}-name"]["value"] == "Akses layak"


def test_a_plan_without_activity_links_to_the_new_activity_form(app_ctx: Flask, users) -> None:
    plan = ops.create_plan(
        users["drafter"],
        factories.regions()["6301"],
        title="Kosong",
        period_start=2025,
        period_end=2029,
    )
    db.session.commit()
    client = signed_in(app_ctx, "drafter.6301")
    with app_ctx.test_request_context():
        (problem,) = plan_complete(plan)

    link = _checklist_links(client, plan.id)[problem.message]
    page, anchor = _follow(client, link)

    assert urlsplit(link).path == f"/plans/{plan.id}/activities/new"
    assert page.by_id[anchor]["tag"] == "form"
    assert "title" in page.by_id  # an empty activity form, ready to fill


def test_the_command_line_still_lists_every_missing_piece(app_ctx: Flask, incomplete) -> None:
    result = app_ctx.test_cli_runner().invoke(
        args=["plans", "transition", str(incomplete.id), "submit", "--as", "drafter.6301"]
    )

    assert result.exit_code == EXIT_REFUSED
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    for message in _messages(incomplete):
        assert message in lines[0]
    db.session.expire_all()
    assert db.session.get(ActionPlan, incomplete.id).state == "draft"
