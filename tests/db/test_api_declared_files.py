"""/api/v1/cases/<kind>: a declared kind's files over the API as the web offers them: a file
field's stored file (with the web's checks), the case and the list as XLSX or CSV with the
web's sheets; everything of a case the caller may not see is 404."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook
from werkzeug.datastructures import FileStorage

from tests import factories
from tests.conftest import signed_in
from workflow_app.accounts.models import User
from workflow_app.cases.models import DeclaredCase
from workflow_app.cases.operations import open_case
from workflow_app.extensions import db

KIND = "sk_pokja"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def bearer(user: User) -> dict[str, str]:
    return {"Authorization": f"Bearer {factories.api_token(user)}"}


def _decree(drafter: User, code: str = "6301", *, file: bool = True, **values: Any) -> DeclaredCase:
    typed = {
        "decree_kind": "formation",
        "decree_number": f"188.45/{code}/KUM/2026",
        "decree_date": date(2026, 3, 2),
    } | values
    files = {"signed_decree": FileStorage(io.BytesIO(PDF), "SK Pokja.pdf")} if file else {}
    case = open_case(drafter, KIND, factories.regions()[code], typed, files)
    db.session.commit()
    return case


def test_a_file_field_gives_the_stored_bytes_as_the_web_does(
    client: FlaskClient, users: dict[str, User]
) -> None:
    case = _decree(users["drafter"])
    url = f"/api/v1/cases/{KIND}/{case.id}/files/signed_decree"
    response = client.get(url, headers=bearer(users["provincial"]))
    assert response.status_code == 200
    assert response.data == PDF
    assert response.mimetype == "application/pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert 'filename="SK Pokja.pdf"' in response.headers["Content-Disposition"]
    web = signed_in(client.application, "drafter.6301").get(
        f"/cases/{KIND}/{case.id}/files/signed_decree"
    )
    assert web.data == response.data


def test_no_file_of_a_case_the_caller_may_not_see_nor_of_a_field_that_is_not_one(
    client: FlaskClient, users: dict[str, User]
) -> None:
    case = _decree(users["drafter"])
    without = _decree(users["drafter"], file=False, decree_number="2")
    base = f"/api/v1/cases/{KIND}"
    other = bearer(users["other_drafter"])
    for url in (
        f"{base}/{case.id}/files/signed_decree",
        f"{base}/{case.id}/export",
        f"{base}/{case.id}/export?format=csv",
    ):
        response = client.get(url, headers=other)
        assert response.status_code == 404, url
        assert response.get_json()["code"] == "not_found"
    # The partner sees a decree only in a published state: this draft is not theirs.
    partner = bearer(users["partner"])
    assert client.get(f"{base}/{case.id}/files/signed_decree", headers=partner).status_code == 404
    mine = bearer(users["drafter"])
    for url in (
        f"{base}/{without.id}/files/signed_decree",  # nothing stored
        f"{base}/{case.id}/files/decree_number",  # not a file field
        f"{base}/{case.id}/files/nothing",
        f"{base}/{case.id + 100}/files/signed_decree",
        f"{base}/{2**31}/files/signed_decree",
        f"/api/v1/cases/plan/{case.id}/files/signed_decree",
        f"/api/v1/cases/unknown/{case.id}/files/signed_decree",
        "/api/v1/cases/unknown/export",
    ):
        response = client.get(url, headers=mine)
        assert response.status_code == 404, url
        assert response.get_json()["code"] == "not_found"


def test_the_case_export_is_the_webs_file(client: FlaskClient, users: dict[str, User]) -> None:
    case = _decree(users["drafter"])
    headers = bearer(users["drafter"])
    response = client.get(f"/api/v1/cases/{KIND}/{case.id}/export?language=id", headers=headers)
    assert response.status_code == 200
    assert response.mimetype == XLSX
    assert f"sk-pokja-6301-{case.id}.xlsx" in response.headers["Content-Disposition"]
    web = signed_in(client.application, "drafter.6301").get(f"/cases/{KIND}/{case.id}/export.xlsx")
    api_book = load_workbook(io.BytesIO(response.data))
    web_book = load_workbook(io.BytesIO(web.data))
    assert api_book.sheetnames == web_book.sheetnames
    for name in api_book.sheetnames:
        assert [list(r) for r in api_book[name].values] == [list(r) for r in web_book[name].values]
    english = client.get(f"/api/v1/cases/{KIND}/{case.id}/export?format=csv", headers=headers)
    assert english.status_code == 200 and english.mimetype == "text/csv"
    assert "188.45/6301/KUM/2026" in english.get_data(as_text=True)
    indonesian = client.get(
        f"/api/v1/cases/{KIND}/{case.id}/export?format=csv&dialect=id&language=id",
        headers=headers,
    )
    assert "-excel-id.csv" in indonesian.headers["Content-Disposition"]
    assert ";" in indonesian.get_data(as_text=True).splitlines()[1]


def _rows(response: Any) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_the_list_export_has_what_the_caller_may_see_with_the_lists_filters(
    client: FlaskClient, users: dict[str, User]
) -> None:
    mine = _decree(users["drafter"])
    renewal = _decree(users["drafter"], decree_kind="renewal", decree_number="9")
    theirs = _decree(users["other_drafter"], code="6304")
    url = f"/api/v1/cases/{KIND}/export?format=csv"

    def ids(response: Any) -> set[int]:
        assert response.status_code == 200, response.get_data(as_text=True)
        return {int(row[0]) for row in _rows(response)[1:]}

    assert ids(client.get(url, headers=bearer(users["drafter"]))) == {mine.id, renewal.id}
    assert ids(client.get(url, headers=bearer(users["other_drafter"]))) == {theirs.id}
    provincial = bearer(users["provincial"])
    assert ids(client.get(url, headers=provincial)) == {mine.id, renewal.id, theirs.id}
    assert ids(client.get(f"{url}&region=6304", headers=provincial)) == {theirs.id}
    assert ids(client.get(f"{url}&decree_kind=renewal", headers=provincial)) == {renewal.id}
    assert ids(client.get(f"{url}&state=draft&region=6301", headers=provincial)) == {
        mine.id,
        renewal.id,
    }
    # The web's file for the same filters lists the same cases.
    web = signed_in(client.application, "provincial.63").get(
        f"/cases/{KIND}/export.csv?decree_kind=renewal"
    )
    assert ids(web) == {renewal.id}
    xlsx = client.get(f"/api/v1/cases/{KIND}/export", headers=provincial)
    assert xlsx.status_code == 200 and xlsx.mimetype == XLSX


@pytest.mark.parametrize(
    "query",
    [
        "format=pdf",
        "dialect=fr",
        "language=de",
        "state=nonsense",
        "decre_kind=renewal",
        "region=Banjar",
        "format=csv&format=xlsx",
        "decree_kind=" + "x" * 101,
    ],
)
def test_the_export_query_is_strict(
    client: FlaskClient, users: dict[str, User], query: str
) -> None:
    case = _decree(users["drafter"])
    headers = bearer(users["drafter"])
    response = client.get(f"/api/v1/cases/{KIND}/export?{query}", headers=headers)
    assert response.status_code == 400, query
    assert response.get_json()["code"] == "validation_error"
    if "decree_kind" not in query and "state" not in query and "region" not in query:
        one = client.get(f"/api/v1/cases/{KIND}/{case.id}/export?{query}", headers=headers)
        assert one.status_code == 400, query


# --- uploading a file field ----------------------------------------------------------------------


def _upload(
    client: FlaskClient,
    case: DeclaredCase,
    user: User,
    *,
    data: bytes = PDF,
    name: str = "SK baru.pdf",
    field: str = "signed_decree",
    version: object = None,
) -> Any:
    form = {
        "file": (io.BytesIO(data), name),
        "version": str(case.version if version is None else version),
    }
    return client.put(
        f"/api/v1/cases/{KIND}/{case.id}/files/{field}",
        data=form,
        headers=bearer(user),
        content_type="multipart/form-data",
    )


def test_the_drafter_uploads_a_file_as_the_edit_form_does(
    client: FlaskClient, users: dict[str, User]
) -> None:
    case = _decree(users["drafter"], file=False)
    new_pdf = PDF + b"% signed\n"
    read = case.version
    response = _upload(client, case, users["drafter"], data=new_pdf)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["version"] == read + 1
    stored = body["values"]["signed_decree"]
    assert stored["name"] == "SK baru.pdf" and stored["type"] == "application/pdf"
    assert stored["size"] == len(new_pdf)
    download = client.get(
        f"/api/v1/cases/{KIND}/{case.id}/files/signed_decree", headers=bearer(users["provincial"])
    )
    assert download.data == new_pdf
    # Replacing it on the version read again; the old version is stale now.
    stale = _upload(client, case, users["drafter"], version=body["version"] - 1)
    assert stale.status_code == 409 and stale.get_json()["code"] == "stale"
    again = _upload(client, case, users["drafter"], version=body["version"], name="lain.pdf")
    assert again.status_code == 200
    assert again.get_json()["values"]["signed_decree"]["name"] == "lain.pdf"


def test_an_upload_is_checked_as_on_the_web(client: FlaskClient, users: dict[str, User]) -> None:
    case = _decree(users["drafter"], file=False)
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    wrong = _upload(client, case, users["drafter"], data=png, name="sk.pdf")
    assert wrong.status_code == 400
    assert wrong.get_json()["code"] == "file_type_not_allowed"
    assert "file" in wrong.get_json()["fields"]
    # Not a file field, or none of that name: not found; the values stay as they were.
    for field in ("decree_number", "nothing"):
        assert _upload(client, case, users["drafter"], field=field).status_code == 404
    db.session.expire_all()
    assert db.session.get(DeclaredCase, case.id).values.get("signed_decree") is None


def test_only_whom_may_change_the_field_uploads(
    client: FlaskClient, users: dict[str, User]
) -> None:
    case = _decree(users["drafter"], file=False)
    assert _upload(client, case, users["other_drafter"]).status_code == 404
    assert _upload(client, case, users["partner"]).status_code == 404
    for role in ("reviewer", "provincial", "head"):
        refused = _upload(client, case, users[role])
        assert refused.status_code == 403, role
        assert refused.get_json()["code"] == "forbidden"
    db.session.expire_all()
    assert db.session.get(DeclaredCase, case.id).values.get("signed_decree") is None


def test_the_upload_body_is_strict(client: FlaskClient, users: dict[str, User]) -> None:
    case = _decree(users["drafter"], file=False)
    url = f"/api/v1/cases/{KIND}/{case.id}/files/signed_decree"
    headers = bearer(users["drafter"])
    as_json = client.put(url, json={"version": case.version}, headers=headers)
    assert as_json.status_code == 415
    for form in (
        {"version": str(case.version)},  # no file
        {"file": (io.BytesIO(PDF), "a.pdf")},  # no version
        {"file": (io.BytesIO(PDF), "a.pdf"), "version": "1.0"},
        {"file": (io.BytesIO(PDF), "a.pdf"), "version": str(case.version), "extra": "x"},
        {"file": "not a file", "version": str(case.version)},
    ):
        response = client.put(url, data=form, headers=headers, content_type="multipart/form-data")
        assert response.status_code == 400, form
        assert response.get_json()["code"] == "validation_error"
