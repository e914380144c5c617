"""A plan's files over the API: the exports and the import template are the web's files, and
the activity import takes the workbook as the request body, bounded like the web's upload:
every invalid cell is named, a hostile workbook is refused quickly and nothing is saved."""

from __future__ import annotations

import base64
import io
import os
import zipfile
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook

from workflow_app.extensions import db
from workflow_app.spreadsheets import layout
from workflow_app.spreadsheets.activity_import import MAX_BYTES
from workflow_app.spreadsheets.tabular import XLSX_MIMETYPE

from .. import factories
from ..conftest import signed_in
from .test_api import assert_error, bearer
from .test_bounded_imports import empty_cells, funding_sheet, one_activity_with
from .test_plan_spreadsheets import activity_row, contents, new_plan, version_of, workbook

API = "/api/v1"


@pytest.fixture
def auth(users: dict) -> dict[str, dict[str, str]]:
    headers = {key: bearer(factories.api_token(account)) for key, account in users.items()}
    db.session.commit()
    return headers


def sheets(content: bytes) -> dict[str, list[tuple[Any, ...]]]:
    book = load_workbook(io.BytesIO(content))
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets}


def send(
    client: FlaskClient, plan_id: int, content: bytes, headers: dict[str, str], **kwargs: Any
) -> Any:
    version = kwargs.pop("version", None)
    version = version_of(plan_id) if version is None else version
    return client.post(
        f"{API}/plans/{plan_id}/activities/import?version={version}",
        data=content,
        content_type=kwargs.pop("content_type", XLSX_MIMETYPE),
        headers=headers,
    )


# --- exports and the template -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "web", "mimetype"),
    [
        ("format=csv", "export.csv", "text/csv"),
        ("format=csv&dialect=id", "export.csv?dialect=id", "text/csv"),
        ("format=xlsx", "export.xlsx", XLSX_MIMETYPE),
        ("", "export.xlsx", XLSX_MIMETYPE),
    ],
)
def test_the_exports_are_the_webs_files(
    client: FlaskClient, users: dict, auth: dict, query: str, web: str, mimetype: str
) -> None:
    plan = factories.plan_with_activities(users["drafter"])
    db.session.commit()
    response = client.get(f"{API}/plans/{plan.id}/export?{query}", headers=auth["drafter"])
    assert response.status_code == 200
    page = signed_in(client.application, "drafter.6301").get(f"/plans/{plan.id}/{web}")
    assert response.mimetype == mimetype == page.mimetype
    assert response.headers["Content-Disposition"] == page.headers["Content-Disposition"]
    if mimetype == "text/csv":
        assert response.data == page.data
    else:  # the same sheets; only the export time in the first one may differ
        ours, theirs = sheets(response.data), sheets(page.data)
        assert (
            list(ours)
            == list(theirs)
            == ["Rencana", "Permasalahan", "Indikator", "Kegiatan", "Pendanaan"]
        )
        assert {k: v for k, v in ours.items() if k != "Rencana"} == {
            k: v for k, v in theirs.items() if k != "Rencana"
        }
        assert len(ours["Kegiatan"]) == 1 + len(plan.activities)


def test_the_import_template_is_the_webs(client: FlaskClient, users: dict, auth: dict) -> None:
    plan = factories.plan_in_state(users, "approved")
    response = client.get(f"{API}/plans/{plan.id}/import-template", headers=auth["partner"])
    page = signed_in(client.application, "mitra.demo").get(f"/plans/{plan.id}/import-template.xlsx")
    assert (response.status_code, page.status_code) == (200, 200)
    assert response.mimetype == XLSX_MIMETYPE
    assert response.headers["Content-Disposition"] == page.headers["Content-Disposition"]
    assert sheets(response.data) == sheets(page.data)


def test_files_of_a_plan_the_caller_may_not_see_are_not_found(
    client: FlaskClient, users: dict, auth: dict
) -> None:
    plan = factories.plan_in_state(users, "draft")
    for url in ("export?format=xlsx", "export?format=csv", "import-template"):
        for who in ("other_drafter", "partner"):
            response = client.get(f"{API}/plans/{plan.id}/{url}", headers=auth[who])
            assert_error(response, 404, "not_found")


@pytest.mark.parametrize("query", ["format=pdf", "format=csv&dialect=fr", "format=csv&x=1"])
def test_an_unknown_format_or_parameter_is_refused(
    client: FlaskClient, users: dict, auth: dict, query: str
) -> None:
    plan = factories.plan_in_state(users, "draft")
    response = client.get(f"{API}/plans/{plan.id}/export?{query}", headers=auth["drafter"])
    assert_error(response, 400, "validation_error")


# --- the import ---------------------------------------------------------------------------------


def test_an_exported_plan_imports_again_as_it_was(
    client: FlaskClient, users: dict, auth: dict
) -> None:
    plan = factories.plan_with_activities(users["drafter"])
    db.session.commit()
    before = contents(plan.id)
    exported = client.get(f"{API}/plans/{plan.id}/export?format=xlsx", headers=auth["drafter"])
    # Into an empty plan of the same district and years (the first one withdrawn).
    factories.ops.transition(users["drafter"], plan, "withdraw")
    db.session.commit()
    empty = new_plan(users["drafter"])
    response = send(client, empty.id, exported.data, auth["drafter"])
    assert response.status_code == 200, response.get_data(as_text=True)
    assert contents(empty.id) == before
    body = response.get_json()
    assert body["version"] == version_of(empty.id)
    assert [a["title"] for a in body["activities"]] == [row[2] for row in before]
    # Again into the same plan: its activities are replaced by the same ones.
    response = send(client, empty.id, exported.data, auth["drafter"])
    assert response.status_code == 200
    assert contents(empty.id) == before


def test_every_invalid_cell_is_named_and_nothing_is_saved(
    client: FlaskClient, users: dict, auth: dict
) -> None:
    plan = new_plan(users["drafter"])
    version = plan.version
    unknown_sub_sector = activity_row(1)
    unknown_sub_sector[1] = "Jalan"
    content = workbook(
        [unknown_sub_sector, activity_row(2, Tahun_mulai=2031)],
        [[1, 2026, "Bank", 5], [3, 2026, "DAK", 5]],
    )
    response = send(client, plan.id, content, auth["drafter"])
    body = assert_error(response, 400, "validation_error")
    assert set(body["fields"]) == {
        f"{layout.ACTIVITY_SHEET}.2.Sub-sektor",
        f"{layout.ACTIVITY_SHEET}.3.Tahun mulai",
        f"{layout.FUNDING_SHEET}.2.Sumber dana",
        f"{layout.FUNDING_SHEET}.3.No.",
    }
    assert {(p["field"], p["code"]) for p in body["problems"]} == {
        (field, "invalid_cell") for field in body["fields"]
    }
    assert "Jalan" in body["fields"][f"{layout.ACTIVITY_SHEET}.2.Sub-sektor"][0]
    assert (contents(plan.id), version_of(plan.id)) == ([], version)


def test_a_hostile_workbook_is_refused_quickly_and_nothing_is_saved(
    client: FlaskClient, users: dict, auth: dict, app
) -> None:
    plan = new_plan(users["drafter"])
    version = plan.version
    limit = app.config["IMPORT_MAX_CELLS"]
    cells = empty_cells(limit // 1000 + 20, 1000)
    content = one_activity_with(funding_sheet(cells))
    assert len(content) < 2 * 2**20
    response = send(client, plan.id, content, auth["drafter"])
    body = assert_error(response, 400, "validation_error")
    assert "cells" in body["fields"]["body"][0]
    assert (contents(plan.id), version_of(plan.id)) == ([], version)


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"No.,Sub-sektor\n1,x\n", "not an Excel workbook"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, ".xls"),
        (b"", "not an Excel workbook"),
    ],
)
def test_a_file_that_is_not_a_workbook_is_refused(
    client: FlaskClient, users: dict, auth: dict, content: bytes, words: str
) -> None:
    plan = new_plan(users["drafter"])
    body = assert_error(send(client, plan.id, content, auth["drafter"]), 400, "validation_error")
    assert words in body["fields"]["body"][0]


def with_stored_part(content: bytes, size: int) -> bytes:
    """The workbook with a part of `size` random text stored unpacked, as large as it looks."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(content)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive,
    ):
        for entry in source.infolist():
            archive.writestr(entry, source.read(entry.filename))
        text = base64.b64encode(os.urandom(size * 3 // 4))
        archive.writestr("customXml/item1.xml", b"<x>" + text + b"</x>", zipfile.ZIP_STORED)
    return out.getvalue()


def test_the_body_is_bounded_and_typed(
    app: Flask, client: FlaskClient, users: dict, auth: dict
) -> None:
    plan = new_plan(users["drafter"])
    content = workbook([activity_row(1)], [[1, 2026, "DAK", 5]])
    response = send(client, plan.id, content, auth["drafter"], content_type="application/json")
    assert_error(response, 415, "unsupported_media_type")
    response = send(client, plan.id, b"PK\x03\x04" + b"\x00" * MAX_BYTES, auth["drafter"])
    assert_error(response, 413, "payload_too_large")
    # A workbook over the JSON bodies' limit is still taken: the web's upload limit holds.
    padded = with_stored_part(content, 3 * app.config["API_MAX_BODY_BYTES"] // 2)
    assert app.config["API_MAX_BODY_BYTES"] < len(padded) < MAX_BYTES
    response = send(client, plan.id, padded, auth["drafter"])
    assert response.status_code == 200, response.get_data(as_text=True)
    assert len(contents(plan.id)) == 1


def test_the_import_is_refused_as_the_web_refuses_it(
    client: FlaskClient, users: dict, auth: dict
) -> None:
    plan = factories.plan_in_state(users, "draft")
    content = workbook([activity_row(1)], [[1, 2026, "DAK", 5]])
    before = contents(plan.id)
    for who, status, code in (
        ("other_drafter", 404, "not_found"),
        ("reviewer", 403, "forbidden"),
    ):
        assert_error(send(client, plan.id, content, auth[who]), status, code)
    stale = send(client, plan.id, content, auth["drafter"], version=plan.version - 1)
    assert assert_error(stale, 409, "stale")["current_version"] == plan.version
    response = client.post(
        f"{API}/plans/{plan.id}/activities/import",
        data=content,
        content_type=XLSX_MIMETYPE,
        headers=auth["drafter"],
    )
    assert "version" in assert_error(response, 400, "validation_error")["fields"]
    factories.ops.transition(users["drafter"], plan, "submit")
    db.session.commit()
    assert_error(send(client, plan.id, content, auth["drafter"]), 409, "invalid_state")
    assert contents(plan.id) == before
