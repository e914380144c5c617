"""A progress report's figures and exports over the API: the drafter fills in the lines and
indicator values through the same operation as the report page, on the version read; who may
not is refused as on the web; the exports are the web's files."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook

from workflow_app.extensions import db
from workflow_app.monitoring.models import ProgressReport

from .. import factories
from .test_api import assert_error, bearer

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def tokens(users: dict) -> dict[str, dict[str, str]]:
    """An Authorization header per standard user."""
    return {key: bearer(factories.api_token(account)) for key, account in users.items()}


def stored(report_id: int) -> ProgressReport:
    db.session.expire_all()
    return db.session.get(ProgressReport, report_id)


@pytest.fixture
def due(users: dict) -> ProgressReport:
    """6301's report for TW III 2026, open (due) for the drafter: one LLTT activity."""
    _plan, report = factories.reported_plan(users, report_state="due")
    return report


def figures(report: ProgressReport, **line: object) -> dict:
    values = {
        "physical_progress": "45.5",
        "spent": 540_000_000,
        "output_achieved": "300",
        "obstacles": "Lelang ulang",
        "follow_up": "Percepat kontrak",
        **line,
    }
    return {"version": report.version, "lines": {str(report.lines[0].activity_id): values}}


def put(client: FlaskClient, report: ProgressReport, body: dict, headers: dict):
    return client.put(f"/api/v1/reports/{report.id}/lines", json=body, headers=headers)


def test_the_drafter_fills_in_lines_and_indicator_values_and_reads_them_back(
    client: FlaskClient, users, tokens, due
) -> None:
    indicator = due.plan.indicators[0]
    line, version = due.lines[0], due.version
    body = figures(due)
    body["indicator_values"] = {str(indicator.id): "12.5"}
    answer = put(client, due, body, tokens["drafter"])
    assert answer.status_code == 200, answer.get_data(as_text=True)
    saved = answer.get_json()
    assert saved["version"] == version + 1
    (out,) = saved["lines"]
    assert out["id"] == line.id
    assert (out["physical_progress"], out["spent"], out["output_achieved"]) == (
        "45.50",
        540_000_000,
        "300.00",
    )
    assert (out["obstacles"], out["follow_up"]) == ("Lelang ulang", "Percepat kontrak")
    assert [(v["indicator_id"], v["value"]) for v in saved["indicator_values"]] == [
        (indicator.id, "12.50")
    ]
    # Read back: as stored, with the web's percentage of the year's budget.
    read = client.get(f"/api/v1/reports/{due.id}", headers=tokens["drafter"]).get_json()
    assert read["lines"] == saved["lines"]
    assert read["lines"][0]["spent_percent"] is not None
    report = stored(due.id)
    assert report.lines[0].physical_progress == Decimal("45.5")
    assert report.indicator_values[0].value == Decimal("12.5")
    # null clears a figure; an indicator left out keeps its value.
    again = put(client, due, figures(report, physical_progress=None, spent=None), tokens["drafter"])
    assert again.status_code == 200
    assert again.get_json()["lines"][0]["spent"] is None
    assert stored(due.id).indicator_values[0].value == Decimal("12.5")


def test_a_stale_version_saves_nothing(client: FlaskClient, users, tokens, due) -> None:
    first, late = figures(due), figures(due, obstacles="ditimpa")  # both on the same version
    assert put(client, due, first, tokens["drafter"]).status_code == 200
    current = stored(due.id)
    body = assert_error(put(client, due, late, tokens["drafter"]), 409, "stale")
    assert body["current_version"] == current.version
    assert stored(due.id).lines[0].obstacles == "Lelang ulang"


@pytest.mark.parametrize(
    ("who", "status", "code"),
    [
        ("other_drafter", 404, "not_found"),  # another district's report is not there
        ("provincial", 403, "forbidden"),  # sees it, may not fill it in
        ("reviewer", 403, "forbidden"),
        ("partner", 404, "not_found"),  # a partner sees verified reports only
    ],
)
def test_only_the_district_drafter_fills_in(
    client: FlaskClient, users, tokens, due, who, status, code
) -> None:
    assert_error(put(client, due, figures(due), tokens[who]), status, code)
    assert stored(due.id).lines[0].obstacles == ""


def test_a_submitted_report_is_not_filled_in_any_more(client: FlaskClient, users, tokens) -> None:
    _plan, report = factories.reported_plan(users)  # submitted
    assert_error(put(client, report, figures(report), tokens["drafter"]), 409, "invalid_state")


def test_figures_are_refused_naming_the_field(client: FlaskClient, users, tokens, due) -> None:
    other_plan, other = factories.reported_plan(users, "6304", report_state="due")
    foreign = str(other.lines[0].activity_id)
    body = figures(due)
    body["lines"][foreign] = body["lines"][str(due.lines[0].activity_id)]
    fields = assert_error(put(client, due, body, tokens["drafter"]), 400, "validation_error")
    assert fields["fields"] == {f"lines.{foreign}": ["the report has no line for this activity"]}
    indicator = str(due.plan.indicators[0].id)
    for values, field in (
        ({indicator: "101"}, f"indicator_values.{indicator}"),  # a percentage is 0-100
        (
            {str(other_plan.indicators[0].id): "5"},
            f"indicator_values.{other_plan.indicators[0].id}",
        ),
    ):
        body = figures(due)
        body["indicator_values"] = values
        error = assert_error(put(client, due, body, tokens["drafter"]), 400, "validation_error")
        assert list(error["fields"]) == [field]
    activity = str(due.lines[0].activity_id)
    for line, field in (
        ({"physical_progress": "100.5"}, "physical_progress"),
        ({"physical_progress": "1e2"}, "physical_progress"),
        ({"physical_progress": 45}, "physical_progress"),  # decimals are text
        ({"spent": "540000000"}, "spent"),  # money is a whole number
        ({"spent": -1}, "spent"),
        ({"output_achieved": "-1"}, "output_achieved"),
        ({"obstacles": "x" * 2001}, "obstacles"),
        ({"follow_up": "a\x00b"}, "follow_up"),  # PostgreSQL text cannot hold NUL
    ):
        error = assert_error(
            put(client, due, figures(due, **line), tokens["drafter"]), 400, "validation_error"
        )
        assert any(key.startswith(f"lines.{activity}.{field}") for key in error["fields"]), error
    incomplete = figures(due)
    del incomplete["lines"][activity]["follow_up"]
    assert_error(put(client, due, incomplete, tokens["drafter"]), 400, "validation_error")
    assert stored(due.id).version == due.version  # nothing was saved


# --- exports ----------------------------------------------------------------------------


def test_a_report_exports_as_the_web_exports_it(client: FlaskClient, users, tokens) -> None:
    _plan, report = factories.reported_plan(users)  # 45 %, Rp540.000.000 on Layanan LLTT
    url = f"/api/v1/reports/{report.id}/export"
    xlsx = client.get(f"{url}?format=xlsx", headers=tokens["provincial"])
    assert xlsx.status_code == 200
    assert xlsx.mimetype == XLSX
    assert xlsx.headers["Content-Disposition"].startswith("attachment;")
    sheet = load_workbook(io.BytesIO(xlsx.data)).worksheets[0]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert "Layanan LLTT" in rows[1] and 540_000_000 in rows[1]
    # The same bytes' content as the web's download of the report.
    web = client.get(f"/reports/{report.id}/export.csv")
    assert web.status_code in (302, 303, 401)  # the web needs a session, the API a token
    text = client.get(f"{url}?format=csv", headers=tokens["provincial"]).data.decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text)))
    assert lines[0][0] == "Kabupaten/Kota" and "Layanan LLTT" in lines[1]
    semicolons = client.get(f"{url}?format=csv&dialect=id", headers=tokens["provincial"])
    assert ";" in semicolons.data.decode("utf-8-sig").splitlines()[0]
    assert_error(
        client.get(f"{url}?format=pdf", headers=tokens["provincial"]), 400, "validation_error"
    )
    assert client.get(url, headers=tokens["provincial"]).mimetype == XLSX  # the default
    assert_error(
        client.get(f"{url}?format=xlsx", headers=tokens["other_drafter"]), 404, "not_found"
    )


def test_the_reports_export_takes_the_web_lists_filters(client: FlaskClient, users, tokens) -> None:
    _a, ours = factories.reported_plan(users)
    _b, theirs = factories.reported_plan(users, "6304")

    def districts(query: str, who: str = "provincial") -> list[str]:
        answer = client.get(f"/api/v1/reports/export?{query}", headers=tokens[who])
        assert answer.status_code == 200, answer.get_data(as_text=True)
        sheet = load_workbook(io.BytesIO(answer.data)).worksheets[0]
        return sorted({row[1] for row in sheet.iter_rows(min_row=2, values_only=True)})

    assert districts("format=xlsx") == ["6301", "6304"]
    assert districts("format=xlsx&district=6304") == ["6304"]
    assert districts("format=xlsx&state=submitted&year=2026&quarter=3") == ["6301", "6304"]
    assert districts("format=xlsx&quarter=2") == []
    assert districts("format=xlsx", who="drafter") == ["6301"]  # only what the caller sees
    assert districts("format=xlsx&district=6304", who="drafter") == []
    for bad in ("state=nope", "quarter=5", "year=20x6", "regoin=6301", "quarter=1&quarter=2"):
        assert_error(
            client.get(f"/api/v1/reports/export?format=xlsx&{bad}", headers=tokens["provincial"]),
            400,
            "validation_error",
        )
    assert ours.id != theirs.id
