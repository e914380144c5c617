"""A progress report's evidence files over the API: the drafter uploads (multipart) through
the same operation as the report page, within the same limits, on the version read; whoever
may see the report downloads the very bytes; another district's report is not there."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from workflow_app.extensions import db
from workflow_app.monitoring.models import ProgressReport, ReportAttachment

from .. import factories
from ..feed_settled import wait_until_the_feed_is_settled
from .test_api import assert_error, bearer

PDF = factories.MINIMAL_PDF
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489")


@pytest.fixture
def tokens(users: dict) -> dict[str, dict[str, str]]:
    return {key: bearer(factories.api_token(account)) for key, account in users.items()}


@pytest.fixture
def due(users: dict) -> ProgressReport:
    """6301's report for TW III 2026, open (due) for the drafter."""
    _plan, report = factories.reported_plan(users, report_state="due")
    return report


def upload(
    client: FlaskClient,
    report: ProgressReport,
    headers: dict,
    name: str = "bukti.pdf",
    content: bytes = PDF,
    **form: object,
):
    data: dict[str, object] = {"file": (io.BytesIO(content), name), "version": str(report.version)}
    data.update({key: str(value) for key, value in form.items()})
    return client.post(
        f"/api/v1/reports/{report.id}/attachments",
        data=data,
        content_type="multipart/form-data",
        headers=headers,
    )


def stored_attachments() -> int:
    return db.session.scalar(select(func.count()).select_from(ReportAttachment))


def files_in(app: Flask) -> set[str]:
    folder = Path(app.config["ATTACHMENTS_DIR"])
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


def test_upload_list_download_and_delete(
    app_ctx: Flask, client: FlaskClient, users, tokens, due
) -> None:
    line = due.lines[0]
    version = due.version
    answer = upload(client, due, tokens["drafter"], "Foto lokasi.png", PNG, line_id=line.id)
    assert answer.status_code == 201, answer.get_data(as_text=True)
    made = answer.get_json()
    assert answer.headers["Location"] == made["download_url"]
    assert made["name"] == "Foto lokasi.png"
    assert (made["size"], made["content_type"]) == (len(PNG), "image/png")
    assert (made["line_id"], made["activity_id"]) == (line.id, line.activity_id)
    assert made["uploaded_by"]["username"] == "drafter.6301"
    report_wide = upload(client, due, tokens["drafter"]).get_json()
    assert report_wide["line_id"] is None

    listed = client.get(f"/api/v1/reports/{due.id}/attachments", headers=tokens["provincial"])
    body = listed.get_json()
    assert [a["id"] for a in body["items"]] == [made["id"], report_wide["id"]]
    assert body["room"]["files"] == 2
    assert body["room"]["bytes"] == len(PNG) + len(PDF)
    assert body["room"]["max_files"] == app_ctx.config["EVIDENCE_MAX_FILES_PER_REPORT"]

    # The very bytes, as a download with the recorded type, for whoever may see the report.
    got = client.get(made["download_url"], headers=tokens["provincial"])
    assert got.status_code == 200
    assert got.data == PNG
    assert got.mimetype == "image/png"
    assert got.headers["Content-Disposition"].startswith("attachment;")
    assert got.headers["X-Content-Type-Options"] == "nosniff"

    url = f"/api/v1/reports/{due.id}/attachments/{made['id']}"
    before = files_in(app_ctx)
    gone = client.delete(f"{url}?version={version}", headers=tokens["drafter"])
    assert gone.status_code == 200, gone.get_data(as_text=True)
    assert gone.get_json()["id"] == due.id
    assert stored_attachments() == 1
    assert len(before - files_in(app_ctx)) == 1  # its file is gone from the disk
    assert_error(client.get(url, headers=tokens["drafter"]), 404, "not_found")


def test_limits_are_refused_with_a_code_naming_them_and_nothing_saved(
    app_ctx: Flask, client: FlaskClient, users, tokens, due, monkeypatch
) -> None:
    drafter, on_disk = tokens["drafter"], files_in(app_ctx)
    monkeypatch.setitem(app_ctx.config, "ATTACHMENT_MAX_BYTES", 500)
    big = PDF + b"%" * 500
    body = assert_error(upload(client, due, drafter, content=big), 413, "file_too_large")
    assert "larger than" in body["message"]
    assert_error(
        upload(client, due, drafter, "catatan.txt", b"just text"), 400, "file_type_not_allowed"
    )
    assert_error(upload(client, due, drafter, "bukti.png", PDF), 400, "file_type_not_allowed")
    assert stored_attachments() == 0 and files_in(app_ctx) == on_disk

    monkeypatch.setitem(app_ctx.config, "EVIDENCE_MAX_FILES_PER_REPORT", 1)
    assert upload(client, due, drafter).status_code == 201
    stored_names = files_in(app_ctx)
    body = assert_error(upload(client, due, drafter), 400, "evidence_files_limit")
    assert "at most 1 evidence files" in body["message"]
    assert stored_attachments() == 1 and files_in(app_ctx) == stored_names

    monkeypatch.setitem(app_ctx.config, "EVIDENCE_MAX_FILES_PER_REPORT", 20)
    monkeypatch.setitem(app_ctx.config, "EVIDENCE_MAX_BYTES_PER_REPORT", len(PDF) + 10)
    assert_error(upload(client, due, drafter), 413, "evidence_bytes_limit")
    assert stored_attachments() == 1 and files_in(app_ctx) == stored_names


def test_a_file_beyond_the_api_json_limit_but_within_the_web_upload_limit_is_taken(
    app_ctx: Flask, client: FlaskClient, users, tokens, due
) -> None:
    size = app_ctx.config["API_MAX_BODY_BYTES"] + 100_000
    assert size <= app_ctx.config["ATTACHMENT_MAX_BYTES"]
    answer = upload(client, due, tokens["drafter"], content=PDF + b"%" * size)
    assert answer.status_code == 201, answer.get_data(as_text=True)
    # Every other API body keeps its own limit.
    lines = client.put(
        f"/api/v1/reports/{due.id}/lines",
        data=b"{" + b" " * size + b"}",
        content_type="application/json",
        headers=tokens["drafter"],
    )
    assert_error(lines, 413, "payload_too_large")


@pytest.mark.parametrize(
    ("who", "status", "code"),
    [
        ("other_drafter", 404, "not_found"),
        ("partner", 404, "not_found"),  # a partner sees verified reports only
        ("provincial", 403, "forbidden"),  # sees it, may not add to it
        ("reviewer", 403, "forbidden"),
    ],
)
def test_only_the_district_drafter_uploads_and_removes(
    client: FlaskClient, users, tokens, due, who, status, code
) -> None:
    made = upload(client, due, tokens["drafter"]).get_json()
    assert_error(upload(client, due, tokens[who]), status, code)
    url = f"/api/v1/reports/{due.id}/attachments/{made['id']}?version={due.version}"
    assert_error(client.delete(url, headers=tokens[who]), status, code)
    assert stored_attachments() == 1
    if status == 404:  # nor read
        listed = client.get(f"/api/v1/reports/{due.id}/attachments", headers=tokens[who])
        assert_error(listed, 404, "not_found")
        assert_error(client.get(made["download_url"], headers=tokens[who]), 404, "not_found")
    else:
        assert client.get(made["download_url"], headers=tokens[who]).data == PDF


def test_stale_versions_and_foreign_lines_are_refused(
    client: FlaskClient, users, tokens, due
) -> None:
    drafter = tokens["drafter"]
    old = due.version
    made = upload(client, due, drafter).get_json()
    # Saving the figures moves the version on: an upload or removal on the old one is stale.
    line = due.lines[0]
    figures = {
        "physical_progress": "10",
        "spent": 1,
        "output_achieved": None,
        "obstacles": "",
        "follow_up": "",
    }
    body = {"version": old, "lines": {str(line.activity_id): figures}}
    assert (
        client.put(f"/api/v1/reports/{due.id}/lines", json=body, headers=drafter).status_code == 200
    )
    stale = client.post(
        f"/api/v1/reports/{due.id}/attachments",
        data={"file": (io.BytesIO(PDF), "b.pdf"), "version": str(old)},
        content_type="multipart/form-data",
        headers=drafter,
    )
    assert assert_error(stale, 409, "stale")["current_version"] == old + 1
    url = f"/api/v1/reports/{due.id}/attachments/{made['id']}"
    assert_error(client.delete(f"{url}?version={old}", headers=drafter), 409, "stale")
    assert stored_attachments() == 1

    # A line of another district's report, or of none.
    _plan, other = factories.reported_plan(users, "6304", report_state="due")
    for line_id in (other.lines[0].id, 999_999):
        error = assert_error(upload(client, due, drafter, line_id=line_id), 400, "validation_error")
        assert list(error["fields"]) == ["line_id"]
    # Another report's attachment through this report's address is not there.
    theirs = upload(client, other, tokens["other_drafter"]).get_json()
    foreign = f"/api/v1/reports/{due.id}/attachments/{theirs['id']}"
    assert_error(client.get(foreign, headers=drafter), 404, "not_found")
    assert_error(
        client.delete(f"{foreign}?version={due.version}", headers=drafter), 404, "not_found"
    )
    assert stored_attachments() == 2


def test_the_body_is_strict_multipart(client: FlaskClient, users, tokens, due) -> None:
    drafter, url = tokens["drafter"], f"/api/v1/reports/{due.id}/attachments"
    as_json = client.post(url, json={"version": due.version}, headers=drafter)
    assert_error(as_json, 415, "unsupported_media_type")
    for form, field in (
        ({"version": str(due.version)}, "file"),  # no file
        ({"file": "not a file", "version": str(due.version)}, "file"),
        ({"file": (io.BytesIO(PDF), "b.pdf")}, "version"),
        ({"file": (io.BytesIO(PDF), "b.pdf"), "version": "3.0"}, "version"),
        ({"file": (io.BytesIO(PDF), "b.pdf"), "version": "1", "lineid": "1"}, "lineid"),
    ):
        sent = client.post(url, data=form, content_type="multipart/form-data", headers=drafter)
        assert field in assert_error(sent, 400, "validation_error")["fields"], form
    assert stored_attachments() == 0


def test_the_change_feed_tells_an_upload_and_a_removal_without_a_new_version(
    client: FlaskClient, users, tokens, due
) -> None:
    def report_events() -> list[dict]:
        wait_until_the_feed_is_settled()
        feed = client.get("/api/v1/changes?limit=500", headers=tokens["provincial"]).get_json()
        return [i for i in feed["items"] if i["kind"] == "report" and i["case_id"] == due.id]

    seen = len(report_events())
    made = upload(client, due, tokens["drafter"])
    assert made.status_code == 201, made.get_data(as_text=True)
    made = made.get_json()
    removed = client.delete(
        f"/api/v1/reports/{due.id}/attachments/{made['id']}?version={due.version}",
        headers=tokens["drafter"],
    )
    assert removed.status_code == 200
    news = report_events()[seen:]
    assert [(e["type"], e["data"]) for e in news] == [
        ("case.updated", {"changed": ["report_attachment"]}),
        ("case.updated", {"changed": ["report_attachment"]}),
    ]
    assert {e["version"] for e in news} == {due.version}  # figures typed meanwhile stay saveable
    assert {e["actor"]["username"] for e in news} == {"drafter.6301"}
