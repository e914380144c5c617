"""/api/v1/sync: the provincial sync workspace as data: per district the plan waiting at the
province (a state tagged sync) before any later draft, its flags, trajectory, funding and the
caller's actions on it; for the province's roles and admins only, as on the web."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from tests import factories
from tests.conftest import signed_in
from tests.db.test_sync import _add_activity, _plan, spread  # noqa: F401  (the known dataset)
from workflow_app.accounts.models import User
from workflow_app.extensions import db


def bearer(user: User) -> dict[str, str]:
    return {"Authorization": f"Bearer {factories.api_token(user)}"}


def _get(client: FlaskClient, user: User, query: str = "", status: int = 200) -> Any:
    response = client.get(f"/api/v1/sync{query}", headers=bearer(user))
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


def test_every_district_with_the_plan_waiting_at_the_province(
    client: FlaskClient,
    users: dict[str, User],
    spread,  # noqa: F811
) -> None:
    # A draft of the next period in 6301 does not hide the plan waiting at the province.
    factories.plan_in_state(users, "draft", "6301")
    db.session.commit()
    body = _get(client, users["provincial"])
    rows = {row["region"]["code"]: row for row in body["districts"]}
    assert len(rows) == 13
    waiting = rows["6301"]
    assert waiting["plan"]["id"] == spread["6301"].id
    assert waiting["plan"]["state"] == "provincial_sync"
    assert waiting["waiting"] is True
    assert set(waiting["actions"]) >= {"approve"}  # the province's decision, from the desk
    assert rows["6304"]["waiting"] is False and rows["6304"]["actions"] == []
    assert rows["6302"]["plan"] is None  # only a withdrawn plan
    assert rows["6303"]["due"]["status"] in {"ahead", "today", "overdue"}
    funded = rows["6371"]
    assert {(f["source"], f["year"], f["amount"]) for f in funded["funding"]} >= {
        ("apbn", 2026, 2_500_000_000),
        ("dak", 2027, 500_000_000),
    }
    assert body["total"] == sum(row["total"] for row in body["districts"])
    assert waiting["trajectory"]["targets"]
    assert body["national_target"] == {"value": "30", "year": 2029}


def test_actions_only_for_whom_may_take_them(
    client: FlaskClient,
    users: dict[str, User],
    spread,  # noqa: F811
) -> None:
    """The provincial head sees the desk but owns no step there: no actions offered."""
    body = _get(client, users["provincial_head"])
    row = next(r for r in body["districts"] if r["region"]["code"] == "6301")
    assert row["waiting"] is True and row["actions"] == []


def test_the_state_filter(client: FlaskClient, users: dict[str, User], spread) -> None:  # noqa: F811
    only = _get(client, users["provincial"], "?state=returned")
    assert [row["region"]["code"] for row in only["districts"]] == ["6304"]
    none = _get(client, users["provincial"], "?state=none")
    assert all(row["plan"] is None for row in none["districts"])
    assert "6302" in [row["region"]["code"] for row in none["districts"]]
    refused = _get(client, users["provincial"], "?state=nonsense", status=400)
    assert "state" in refused["fields"]
    assert _get(client, users["provincial"], "?stat=draft", status=400)["code"] == (
        "validation_error"
    )


def test_flags_are_the_webs(client: FlaskClient, users: dict[str, User]) -> None:
    crafted = _plan(users, "6304", "draft")
    drafter = users["other_drafter"]
    _add_activity(crafted, drafter, type_="iplt", location="Marabahan", funding=[])
    _add_activity(crafted, drafter, type_="iplt", location=" marabahan", funding=[(2026, "dak", 1)])
    db.session.commit()
    body = _get(client, users["admin"])
    row = next(r for r in body["districts"] if r["region"]["code"] == "6304")
    kinds = sorted(flag["kind"] for flag in row["flags"])
    assert kinds == ["duplicate", "unfunded"]
    unfunded = next(flag for flag in row["flags"] if flag["kind"] == "unfunded")
    assert len(unfunded["activity_ids"]) == 1


@pytest.mark.parametrize("role", ["drafter", "reviewer", "head", "partner", "other_drafter"])
def test_other_roles_are_refused_as_on_the_web(
    client: FlaskClient, users: dict[str, User], role: str
) -> None:
    body = _get(client, users[role], status=403)
    assert body["code"] == "forbidden"
    assert signed_in(client.application, users[role].username).get("/sync").status_code == 403
