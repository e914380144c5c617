"""/api/v1/dashboard: the web dashboard's figures as numbers for the caller's scope (decimals
as exact text), with the web's filter and access rule, and its export files as the web makes
them. A district role is refused; a partner's figures are their region's published plans
only, and another district is not a filter they may give."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal
from typing import Any

from flask.testing import FlaskClient
from openpyxl import load_workbook

from tests import factories
from tests.conftest import signed_in
from tests.db.test_dashboard import _add_report, known  # noqa: F401  (the known dataset)
from workflow_app.accounts.models import User
from workflow_app.api.schemas import DECIMAL_PATTERN

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def bearer(user: User) -> dict[str, str]:
    return {"Authorization": f"Bearer {factories.api_token(user)}"}


def _get(client: FlaskClient, user: User, query: str = "year=2026", status: int = 200) -> Any:
    response = client.get(f"/api/v1/dashboard?{query}", headers=bearer(user))
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


def _decimals(value: Any) -> list[str]:
    """Every decimal text in the body (the fields documented as decimals)."""
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key in {"physical", "financial", "value", "baseline_value"} and item is not None:
                found.append(item)
            else:
                found.extend(_decimals(item))
    elif isinstance(value, list):
        for item in value:
            found.extend(_decimals(item))
    return found


def test_the_figures_of_a_known_dataset(client: FlaskClient, users, known) -> None:  # noqa: F811
    body = _get(client, users["provincial"])
    assert body["filters"] == {"year": 2026, "district": None, "sub_sector": None}
    assert body["partner_only"] is False
    assert len(body["districts"]) == 13
    by_region = {row["region"]: row for row in body["plans_by_state"]}
    assert by_region["6301"]["counts"] == {"monitored": 1}
    assert by_region["6371"]["counts"] == {"draft": 1}
    assert by_region["6302"] == {"region": "6302", "counts": {}, "total": 0}
    assert body["plans_total"] == 3 and body["state_totals"]["monitored"] == 2
    assert body["states"][0]["name"] == "draft" and body["states"][0]["label"]["id"]

    realisation = {(r["region"], r["quarter"]): r for r in body["realisation"]}
    # TW III: (45 × 850 + 80 × 250) / 1100 = 52.95…; (540 + 200) / 1100 = 67.27…
    assert realisation[("6301", 3)]["physical"] == "53.0"
    assert realisation[("6301", 3)]["financial"] == "67.3"
    assert realisation[("6301", 3)]["spent"] == 740_000_000
    assert realisation[("6301", 2)]["physical"] == "34.5"
    assert {r["region"] for r in body["realisation"]} == {"6301", "6304"}

    trajectories = {t["region"]: t for t in body["trajectories"]}
    assert set(trajectories) == {"6301", "6304", "6371"}
    tanah_laut = trajectories["6301"]
    assert tanah_laut["plan"]["id"] == known["6301"].id
    assert tanah_laut["baseline_year"] == 2024
    targets = {t["year"]: Decimal(t["value"]) for t in tanah_laut["targets"]}
    assert targets == {2025: 6, 2026: 9, 2027: 12, 2028: 15, 2029: 18}
    achieved = [(a["year"], Decimal(a["value"]), a["quarter"]) for a in tanah_laut["achieved"]]
    assert achieved == [(2026, Decimal("7.5"), 3)]
    assert body["national_target"] == {"value": "30", "year": 2029}

    funding = body["funding"]
    assert {(a["source"], a["year"], a["amount"]) for a in funding["amounts"]} == {
        ("apbd_district", 2026, 1_700_000_000),
        ("dana_desa", 2026, 250_000_000),
    }
    assert funding["total"] == 1_950_000_000
    assert {kind["kind"] for kind in body["declared"]} == {"sk_pokja", "dak_sanitation"}
    decimals = _decimals(body)
    assert decimals and all(re.fullmatch(DECIMAL_PATTERN, text) for text in decimals)


def test_the_filter_narrows_as_on_the_web(client: FlaskClient, users, known) -> None:  # noqa: F811
    body = _get(client, users["provincial"], "year=2026&district=6304")
    assert [d["code"] for d in body["districts"]] == ["6304"]
    assert {r["region"] for r in body["realisation"]} == {"6304"}
    assert body["plans_total"] == 1
    hygiene = _get(client, users["provincial"], "year=2026&sub_sector=hygiene")
    assert {(a["source"], a["amount"]) for a in hygiene["funding"]["amounts"]} == {
        ("dana_desa", 250_000_000)
    }
    assert _get(client, users["provincial"], "year=2025")["realisation"] == []


def test_a_partner_sees_their_regions_published_plans_only(
    client: FlaskClient,
    users,
    known,  # noqa: F811
) -> None:
    body = _get(client, users["partner"])
    assert body["partner_only"] is True
    assert [d["code"] for d in body["districts"]] == ["6301"]
    assert body["plans_total"] == 1
    # Another district is not one they may filter by: refused, naming the field.
    refused = _get(client, users["partner"], "district=6304", status=400)
    assert refused["code"] == "validation_error"
    assert "district" in refused["fields"]
    export = client.get("/api/v1/dashboard/export?district=6304", headers=bearer(users["partner"]))
    assert export.status_code == 400


def test_district_roles_are_refused_as_on_the_web(
    client: FlaskClient,
    users,
    known,  # noqa: F811
) -> None:
    for role in ("drafter", "reviewer", "head", "other_drafter"):
        for url in ("/api/v1/dashboard", "/api/v1/dashboard/export?format=csv&table=funding"):
            response = client.get(url, headers=bearer(users[role]))
            assert response.status_code == 403, (role, url)
            assert response.get_json()["code"] == "forbidden"
        web = signed_in(client.application, users[role].username).get("/dashboard")
        assert web.status_code == 403


def test_the_export_is_the_webs_file(client: FlaskClient, users, known) -> None:  # noqa: F811
    headers = bearer(users["provincial"])
    browser = signed_in(client.application, "provincial.63")
    api = client.get("/api/v1/dashboard/export?year=2026&language=id", headers=headers)
    assert api.status_code == 200 and api.mimetype == XLSX
    assert 'filename="dasbor-2026.xlsx"' in api.headers["Content-Disposition"]
    web = browser.get("/dashboard/export.xlsx?year=2026")
    api_book, web_book = load_workbook(io.BytesIO(api.data)), load_workbook(io.BytesIO(web.data))
    assert api_book.sheetnames == web_book.sheetnames
    for name in api_book.sheetnames:
        assert list(api_book[name].values) == list(web_book[name].values), name

    query = "year=2026&district=6301&format=csv&table=realisation&dialect=id&language=id"
    api_csv = client.get(f"/api/v1/dashboard/export?{query}", headers=headers)
    web_csv = browser.get(
        "/dashboard/export.csv?year=2026&district=6301&table=realisation&dialect=id"
    )
    assert api_csv.status_code == 200 and api_csv.mimetype == "text/csv"
    assert api_csv.data == web_csv.data
    assert "dasbor-2026-6301-realisation-excel-id.csv" in api_csv.headers["Content-Disposition"]
    text = api_csv.get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert len(rows) == 3  # the header, TW II and TW III of 6301
    english = client.get(
        "/api/v1/dashboard/export?year=2026&format=csv&table=funding", headers=headers
    )
    assert english.get_data(as_text=True).lstrip("\ufeff").startswith("Source,")


def test_the_query_is_strict(client: FlaskClient, users: dict[str, User]) -> None:
    headers = bearer(users["provincial"])
    for query in (
        "year=1800",
        "year=2026.0",
        "district=Tanah",
        "sub_sector=toilets",
        "regoin=6301",
        "year=2026&year=2027",
    ):
        response = client.get(f"/api/v1/dashboard?{query}", headers=headers)
        assert response.status_code == 400, query
        assert response.get_json()["code"] == "validation_error"
    for query in ("format=csv", "format=pdf", "table=everything", "dialect=fr", "language=fr"):
        response = client.get(f"/api/v1/dashboard/export?{query}", headers=headers)
        assert response.status_code == 400, query
    assert client.get("/api/v1/dashboard").status_code == 401
