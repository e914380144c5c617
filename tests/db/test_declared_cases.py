"""A kind of case declared only in YAML (workflows/sk_pokja.yaml) works in the browser: its
form, its list with filters, its case page with files and history, its declared checks, its
deadlines and emails, its tasks, and the access rules every case has."""

from __future__ import annotations

import io
import json
import re
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from tests import factories
from tests.conftest import csrf_token, signed_in
from workflow_app.cases.models import DeclaredCase
from workflow_app.commands.exits import EXIT_NOT_FOUND, EXIT_REFUSED
from workflow_app.deadlines.sweep import run_sweep
from workflow_app.extensions import db
from workflow_app.history import CaseTransition
from workflow_app.notifications.models import Notification
from workflow_app.notifications.rendering import render_notification

KIND = "sk_pokja"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _members(agency_id: int, count: int) -> dict[str, str]:
    positions = ["chair", "secretary", "member", "member", "member"]
    rows: dict[str, str] = {}
    for index in range(count):
        rows[f"members-{index}-name"] = f"Anggota {index + 1}"
        rows[f"members-{index}-agency"] = str(agency_id)
        rows[f"members-{index}-position"] = positions[index]
    return rows


def _post(client: FlaskClient, url: str, data: dict[str, Any]) -> Any:
    sent = {"csrf_token": csrf_token(client, url), "save": "1", **data}
    return client.post(url, data=sent, content_type="multipart/form-data")


def _open(client: FlaskClient, **fields: Any) -> DeclaredCase:
    data = {
        "decree_kind": "formation",
        "decree_number": "188.45/12/KUM/2026",
        "decree_date": "2026-03-02",
        "valid_until": "2029",
    } | fields
    response = _post(client, f"/cases/{KIND}/new", data)
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    case_id = int(response.headers["Location"].rsplit("/", 1)[1])
    return db.session.get(DeclaredCase, case_id)


def _page_text(response: Any) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)).split())


def _fire(
    client: FlaskClient,
    case: DeclaredCase,
    trigger: str,
    comment: str = "",
    confirmed: bool = False,
) -> Any:
    """An action's POST (`confirmed`: sent from its confirmation page)."""
    url = f"/cases/{KIND}/{case.id}"
    data = {
        "csrf_token": csrf_token(client, url),
        "trigger": trigger,
        "version": str(case.version),
        "comment": comment,
    }
    if confirmed:
        data["confirmed"] = "1"
    return client.post(f"{url}/transition", data=data)


@pytest.fixture
def drafter(users: dict[str, Any], app_ctx: Flask) -> FlaskClient:
    return signed_in(app_ctx, "drafter.6301")


def test_a_district_opens_a_decree_with_typed_rows_and_a_file(
    users: dict[str, Any], app_ctx: Flask, drafter: FlaskClient
) -> None:
    agency = factories.agency("6301")
    case = _open(drafter, signed_decree=(io.BytesIO(PDF), "SK Pokja.pdf"), **_members(agency.id, 2))
    assert case.state == "draft" and case.region.code == "6301"
    assert case.title == "SK Pokja PKP Tanah Laut 188.45/12/KUM/2026"
    assert case.values["decree_date"] == "2026-03-02" and case.values["valid_until"] == 2029
    assert [row["name"] for row in case.values["members"]] == ["Anggota 1", "Anggota 2"]
    assert case.values["signed_decree"]["name"] == "SK Pokja.pdf"
    assert [row.trigger for row in case.history] == ["create"]

    page = _page_text(drafter.get(f"/cases/{KIND}/{case.id}"))
    assert "Pembentukan" in page and "2 Maret 2026" in page and "Dinas PUPR" in page
    assert "Ketua" in page and "SK Pokja.pdf" in page
    download = drafter.get(f"/cases/{KIND}/{case.id}/files/signed_decree")
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["X-Content-Type-Options"] == "nosniff"

    listing = _page_text(drafter.get(f"/cases/{KIND}?decree_kind=formation"))
    assert case.title in listing
    filtered_out = _page_text(drafter.get(f"/cases/{KIND}?decree_kind=renewal"))
    assert case.title not in filtered_out


def test_the_declared_checks_block_submission_and_say_what_is_missing(
    users: dict[str, Any], app_ctx: Flask, drafter: FlaskClient
) -> None:
    agency = factories.agency("6301")
    case = _open(drafter, **_members(agency.id, 2))
    page = _page_text(drafter.get(f"/cases/{KIND}/{case.id}"))
    assert "Susunan keanggotaan: paling sedikit 3 baris" in page
    assert "Berkas SK yang ditandatangani belum diisi" in page

    refused = _fire(drafter, case, "submit")
    assert refused.status_code == 409
    db.session.expire_all()
    assert case.state == "draft" and len(case.history) == 1

    edit_url = f"/cases/{KIND}/{case.id}/edit"
    done = _post(
        drafter,
        edit_url,
        {
            "version": str(case.version),
            "decree_kind": "formation",
            "decree_number": "188.45/12/KUM/2026",
            "decree_date": "2026-03-02",
            "signed_decree": (io.BytesIO(PDF), "sk.pdf"),
            **_members(agency.id, 3),
        },
    )
    assert done.status_code == 303, _page_text(done)[:1500]
    db.session.expire_all()
    assert _fire(drafter, case, "submit").status_code == 303
    db.session.expire_all()
    assert case.state == "provincial_check" and case.due_at is not None
    told = db.session.scalars(
        select(Notification).where(Notification.subject_of(case), Notification.event == "submit")
    ).all()
    assert {row.recipient.username for row in told} == {"provincial.63"}
    assert told[0].payload["item_path"] == f"/cases/{KIND}/{case.id}"

    # The province's task list has it, with the action to take: acknowledging cannot be
    # undone, so it leads to its confirmation page.
    provincial = signed_in(app_ctx, "provincial.63")
    tasks = provincial.get("/tasks").get_data(as_text=True)
    assert f'id="task-{KIND}-{case.id}"' in tasks
    assert f"/cases/{KIND}/{case.id}/confirm/acknowledge?" in tasks
    assert _fire(provincial, case, "acknowledge", confirmed=True).status_code == 303
    db.session.expire_all()
    assert case.state == "acknowledged"
    rows = db.session.scalars(
        select(CaseTransition).where(CaseTransition.subject_of(case)).order_by(CaseTransition.id)
    )
    assert [row.trigger for row in rows] == ["create", "submit", "acknowledge"]


def test_a_form_with_errors_keeps_what_was_typed_and_saves_nothing(
    users: dict[str, Any], app_ctx: Flask, drafter: FlaskClient
) -> None:
    response = _post(
        drafter,
        f"/cases/{KIND}/new",
        {"decree_kind": "formation", "decree_number": "188.45/99", "valid_until": "1990"},
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'value="188.45/99"' in html and 'value="1990"' in html
    assert db.session.scalar(select(DeclaredCase.id)) is None


def test_a_file_of_the_wrong_type_is_refused_by_its_content(
    users: dict[str, Any], app_ctx: Flask, drafter: FlaskClient
) -> None:
    case = _open(drafter)
    response = _post(
        drafter,
        f"/cases/{KIND}/{case.id}/edit",
        {
            "version": str(case.version),
            "decree_kind": "formation",
            "signed_decree": (io.BytesIO(PNG), "sk.pdf"),
        },
    )
    assert response.status_code == 400
    assert "Berkas sk.pdf bukan berkas PDF (dinilai dari isinya)" in _page_text(response)
    db.session.expire_all()
    assert "signed_decree" not in case.values or case.values["signed_decree"] is None


def test_a_stale_edit_is_refused_and_the_newer_values_stay(
    users: dict[str, Any], app_ctx: Flask, drafter: FlaskClient
) -> None:
    case = _open(drafter)
    loaded_version = case.version
    first = _post(
        drafter,
        f"/cases/{KIND}/{case.id}/edit",
        {"version": str(loaded_version), "decree_kind": "renewal", "decree_number": "A/1"},
    )
    assert first.status_code == 303
    second = _post(
        drafter,
        f"/cases/{KIND}/{case.id}/edit",
        {"version": str(loaded_version), "decree_kind": "formation", "decree_number": "B/2"},
    )
    assert second.status_code == 409
    assert "diubah oleh orang lain" in _page_text(second)
    db.session.expire_all()
    assert case.values["decree_number"] == "A/1" and case.values["decree_kind"] == "renewal"


def test_who_may_see_and_change_a_declared_case(
    users: dict[str, Any], app_ctx: Flask, drafter: FlaskClient
) -> None:
    case = _open(drafter)
    other = signed_in(app_ctx, "drafter.6304")
    for url in (f"/cases/{KIND}/{case.id}", f"/cases/{KIND}/{case.id}/edit"):
        assert other.get(url).status_code == 404
    assert case.title not in _page_text(other.get(f"/cases/{KIND}"))
    assert _fire(other, case, "withdraw").status_code == 404
    # The province sees it but does not write a district's decree.
    provincial = signed_in(app_ctx, "provincial.63")
    assert provincial.get(f"/cases/{KIND}/{case.id}").status_code == 200
    assert provincial.get(f"/cases/{KIND}/{case.id}/edit").status_code == 403
    assert provincial.get(f"/cases/{KIND}/new").status_code == 403
    # A partner sees nothing before the decree is acknowledged (a published state).
    partner = signed_in(app_ctx, "mitra.demo")
    assert partner.get(f"/cases/{KIND}/{case.id}").status_code == 404
    # A kind nobody declared is not found.
    assert drafter.get("/cases/plan").status_code == 404
    assert drafter.get("/cases/no_such_kind/1").status_code == 404


def test_the_cli_lists_and_moves_declared_cases_through_the_door(
    users: dict[str, Any], app_ctx: Flask, drafter: FlaskClient
) -> None:
    agency = factories.agency("6301")
    case = _open(drafter, **_members(agency.id, 1))
    runner = app_ctx.test_cli_runner()

    listed = runner.invoke(args=["cases", "list", KIND, "--json"])
    assert listed.exit_code == 0, listed.output
    (row,) = json.loads(listed.output)
    assert (row["kind"], row["id"], row["region"], row["state"]) == (KIND, case.id, "6301", "draft")
    assert row["values"]["decree_number"] == "188.45/12/KUM/2026"
    table = runner.invoke(args=["cases", "list", "--region", "6301", "--state", "draft"])
    assert [f"{KIND} {case.id} 6301 draft 1 {case.title}"] == [
        " ".join(line.split()) for line in table.output.splitlines()[1:]
    ]

    refused = runner.invoke(args=["cases", "transition", KIND, str(case.id), "submit",
                                  "--as", "drafter.6301"])  # fmt: skip
    assert refused.exit_code == EXIT_REFUSED
    assert "Members: at least 3 row(s) needed, 1 given" in refused.output
    assert "Signed decree is not filled in" in refused.output
    hidden = runner.invoke(args=["cases", "transition", KIND, str(case.id), "withdraw",
                                 "--as", "drafter.6304"])  # fmt: skip
    assert hidden.exit_code == EXIT_NOT_FOUND and f"{KIND} {case.id} not found" in hidden.output
    done = runner.invoke(args=["cases", "transition", KIND, str(case.id), "withdraw",
                               "--as", "drafter.6301", "--comment", "dobel"])  # fmt: skip
    assert done.exit_code == 0, done.output
    assert f"{KIND} {case.id}: draft → withdrawn" in done.output
    unknown = runner.invoke(args=["cases", "list", "permits"])
    assert unknown.exit_code != 0 and "unknown kind 'permits'" in unknown.output


def test_the_emails_of_a_declared_kind_name_it_and_link_to_its_page(
    users: dict[str, Any], app_ctx: Flask, drafter: FlaskClient
) -> None:
    agency = factories.agency("6301")
    case = _open(drafter, signed_decree=(io.BytesIO(PDF), "sk.pdf"), **_members(agency.id, 3))
    assert _fire(drafter, case, "submit").status_code == 303
    row = db.session.scalars(
        select(Notification).where(Notification.subject_of(case), Notification.event == "submit")
    ).one()
    email = render_notification(row)
    assert email.subject == "[SK Pokja PKP] Tanah Laut: SK Pokja diajukan ke provinsi"
    assert f"“{case.title}”" in email.text
    assert f"/cases/{KIND}/{case.id}" in email.text and "/plans/" not in email.text
    assert "Pemeriksaan Provinsi" in email.text


def _comment(client: FlaskClient, case: DeclaredCase, **data: str) -> Any:
    url = f"/cases/{KIND}/{case.id}"
    return client.post(f"{url}/comments", data={"csrf_token": csrf_token(client, url), **data})


def test_the_reviewer_comments_on_the_case_a_field_and_a_row(
    users: dict[str, Any], app_ctx: Flask, drafter: FlaskClient
) -> None:
    agency = factories.agency("6301")
    case = _open(drafter, signed_decree=(io.BytesIO(PDF), "sk.pdf"), **_members(agency.id, 3))
    provincial = signed_in(app_ctx, "provincial.63")
    # Not yet at the province's stage: its reviewer is told so; the drafter may not comment.
    assert _comment(provincial, case, body="Terlalu awal").status_code == 409
    assert _comment(drafter, case, body="Catatan sendiri").status_code == 403
    assert _fire(drafter, case, "submit").status_code == 303

    assert _comment(provincial, case, body="Lampirkan juga SK lama").status_code == 303
    assert (
        _comment(provincial, case, field="decree_date", body="Tanggal sesuai?").status_code == 303
    )
    on_row = _comment(provincial, case, field="members", row="1", body="Jabatan sekretaris?")
    assert on_row.status_code == 303
    assert _comment(provincial, case, field="members", row="9", body="x").status_code == 400
    assert _comment(provincial, case, field="colour", body="x").status_code == 400
    assert _comment(provincial, case, field="notes", body="   ").status_code == 400

    page = drafter.get(f"/cases/{KIND}/{case.id}").get_data(as_text=True)
    for text in ("Lampirkan juga SK lama", "Tanggal sesuai?", "Jabatan sekretaris?"):
        assert text in page
    assert "Susunan keanggotaan: 2. Anggota 2" in page  # the row, named as it was
    assert 'id="comment-form-members"' not in page  # the drafter reads, does not comment
    reviewer_page = provincial.get(f"/cases/{KIND}/{case.id}").get_data(as_text=True)
    assert 'id="comment-form-members"' in reviewer_page and 'name="row"' in reviewer_page


def test_a_decree_the_province_leaves_unchecked_is_escalated_to_its_head(
    users: dict[str, Any], app_ctx: Flask, drafter: FlaskClient
) -> None:
    agency = factories.agency("6301")
    case = _open(drafter, signed_decree=(io.BytesIO(PDF), "sk.pdf"), **_members(agency.id, 3))
    assert _fire(drafter, case, "submit").status_code == 303
    db.session.expire_all()
    fired = run_sweep(case.due_at + timedelta(days=10))
    assert [(f.step, f.recipients) for f in fired] == [
        ("reminder", ["provincial.63"]),
        ("escalation", ["head.63"]),
    ]
