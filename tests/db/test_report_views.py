"""Quarterly progress reports on the web, as the people who use them would: the district drafter
fills one in, the province returns or verifies it, evidence goes up and comes down only to
those who may see it, late reports show as late, and a quarter's reports export to Excel."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from decimal import Decimal
from html import unescape
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from tests import factories
from tests.statements import statements_of_a_get
from workflow_app.accounts.models import User
from workflow_app.accounts.system import system_user
from workflow_app.deadlines.calendar_store import current_calendar
from workflow_app.extensions import db
from workflow_app.history import CaseTransition
from workflow_app.monitoring import operations as reports
from workflow_app.monitoring.models import ProgressReport, ReportAttachment
from workflow_app.monitoring.quarters import Quarter
from workflow_app.plans.models import ActionPlan
from workflow_app.unit_of_work import unit_of_work
from workflow_app.workflows import definition_of

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489")
FORMULA = "=cmd|' /C calc'!A0"


# --- helpers -------------------------------------------------------------------------------


def client_as(app: Flask, username: str) -> FlaskClient:
    """A browser already logged in as `username` (the login form is tested elsewhere)."""
    client = app.test_client()
    user_id = db.session.scalar(select(User.id).where(User.username == username))
    with client.session_transaction() as session:
        session["_user_id"] = str(user_id)
        session["_fresh"] = True
    return client


def text_of(response: TestResponse) -> str:
    return response.get_data(as_text=True)


def token_on(client: FlaskClient, url: str = "/tasks") -> str:
    page = text_of(client.get(url))
    match = re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', page)
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def input_value(page: str, name: str) -> str | None:
    """The value of the input named `name` as the browser would show it."""
    match = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*>', page)
    assert match, f"no input {name}"
    value = re.search(r'value="([^"]*)"', match.group(0))
    return unescape(value.group(1)) if value else None


def textarea_value(page: str, name: str) -> str:
    match = re.search(rf'<textarea[^>]*name="{re.escape(name)}"[^>]*>(.*?)</textarea>', page, re.S)
    assert match, f"no textarea {name}"
    return unescape(match.group(1)).strip()


def stored(report_id: int) -> ProgressReport:
    db.session.expire_all()
    return db.session.get(ProgressReport, report_id)


def line_fields(activity_id: int, **values: str) -> dict[str, str]:
    return {f"line_{activity_id}-{name}": value for name, value in values.items()}


def post_figures(
    client: FlaskClient,
    report: ProgressReport,
    fields: dict[str, str],
    *,
    version: int | None = None,
) -> TestResponse:
    data = {
        "csrf_token": token_on(client),
        "version": str(stored(report.id).version if version is None else version),
        **fields,
    }
    return client.post(f"/reports/{report.id}", data=data)


def act(
    client: FlaskClient, report_id: int, trigger: str, comment: str = "", confirmed: bool = False
) -> TestResponse:
    """An action's POST (`confirmed`: sent from its confirmation page)."""
    data = {
        "csrf_token": token_on(client),
        "trigger": trigger,
        "comment": comment,
        "version": str(stored(report_id).version),
    }
    if confirmed:
        data["confirmed"] = "1"
    return client.post(f"/reports/{report_id}/transition", data=data)


def upload(
    client: FlaskClient, report_id: int, name: str, content: bytes, line_id: int | None = None
) -> TestResponse:
    data: dict[str, object] = {
        "csrf_token": token_on(client),
        "file": (io.BytesIO(content), name),
    }
    if line_id is not None:
        data["line_id"] = str(line_id)
    return client.post(
        f"/reports/{report_id}/attachments", data=data, content_type="multipart/form-data"
    )


def attachment_count() -> int:
    return db.session.scalar(select(func.count()).select_from(ReportAttachment))


def files_in(app: Flask) -> set[str]:
    folder = Path(app.config["ATTACHMENTS_DIR"])
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


def verify(users: dict, report: ProgressReport) -> None:
    """Submitted by the drafter and verified by the province (the report must be filled in)."""
    with unit_of_work():
        reports.report_transition(users["drafter"], stored(report.id), "submit")
    with unit_of_work():
        reports.report_transition(users["provincial"], stored(report.id), "verify")


def fill_in(users: dict, report: ProgressReport, obstacles: str = "re-tender") -> None:
    """The drafter's figures, through the operation (for tests about what comes after)."""
    line = report.lines[0]
    reports.save_report(
        users["drafter"],
        report,
        expected_version=None,
        lines=[
            reports.LineData(
                activity_id=line.activity_id,
                physical_progress=Decimal(45),
                spent=540_000_000,
                output_achieved=Decimal(300),
                obstacles=obstacles,
                follow_up="tender ulang",
            )
        ],
    )
    db.session.commit()


def other_district_users(users: dict) -> dict:
    return {**users, "drafter": users["other_drafter"], "reviewer": users["other_reviewer"]}


@pytest.fixture
def monitored(users: dict) -> tuple[ActionPlan, ProgressReport]:
    """6301's monitored plan with its TW III 2026 report, due (and by now overdue)."""
    return factories.monitored_plan_with_report(users, Quarter(2026, 3))


@pytest.fixture
def attachments_dir(app_ctx: Flask) -> Iterator[Path]:
    yield Path(app_ctx.config["ATTACHMENTS_DIR"])


# --- filling in -----------------------------------------------------------------------------


def test_the_drafter_fills_in_the_report_and_sees_the_share_of_the_budget(
    app_ctx: Flask, users: dict, monitored: tuple
) -> None:
    plan, report = monitored
    activity_id = report.lines[0].activity_id
    indicator_id = plan.indicators[0].id
    client = client_as(app_ctx, "drafter.6301")

    page = text_of(client.get(f"/reports/{report.id}"))
    assert 'id="report-form"' in page
    assert f'id="line-{activity_id}"' in page
    assert "Rp850.000.000" in page  # the activity's budget for 2026

    response = post_figures(
        client,
        report,
        {
            **line_fields(
                activity_id,
                physical_progress="45",
                spent="Rp540.000.000",
                output_achieved="300",
                obstacles="Re-tender paket IPLT",
                follow_up="Tender ulang Oktober",
            ),
            f"indicator_{indicator_id}": "7,5",
        },
    )

    assert response.status_code == 303
    saved = stored(report.id)
    line = saved.lines[0]
    assert (line.physical_progress, line.spent, line.output_achieved) == (45, 540_000_000, 300)
    assert (line.obstacles, line.follow_up) == ("Re-tender paket IPLT", "Tender ulang Oktober")
    assert [(v.indicator_id, v.value) for v in saved.indicator_values] == [
        (indicator_id, Decimal("7.5"))
    ]
    page = text_of(client.get(f"/reports/{report.id}"))
    assert input_value(page, f"line_{activity_id}-spent") == "540.000.000"
    assert textarea_value(page, f"line_{activity_id}-obstacles") == "Re-tender paket IPLT"
    # 540.000.000 of 850.000.000 is 63,5 % of the budget.
    assert f'id="spent-percent-{activity_id}" data-percent="63.5"' in page


@pytest.mark.parametrize(
    ("field", "typed"),
    [("physical_progress", "150"), ("spent", "-5000"), ("physical_progress", "banyak")],
)
def test_invalid_figures_are_refused_with_the_typed_values_kept_and_nothing_saved(
    app_ctx: Flask, users: dict, monitored: tuple, field: str, typed: str
) -> None:
    _plan, report = monitored
    activity_id = report.lines[0].activity_id
    version = report.version
    client = client_as(app_ctx, "drafter.6301")
    figures = {"physical_progress": "45", "spent": "540.000.000", "obstacles": "Banjir"}
    figures[field] = typed

    response = post_figures(client, report, line_fields(activity_id, **figures))

    assert response.status_code == 400
    page = text_of(response)
    assert input_value(page, f"line_{activity_id}-{field}") == typed
    assert textarea_value(page, f"line_{activity_id}-obstacles") == "Banjir"
    assert f'id="line_{activity_id}-{field}-error"' in page  # the error next to its field
    saved = stored(report.id)
    assert saved.version == version
    assert (saved.lines[0].physical_progress, saved.lines[0].spent) == (None, None)
    assert saved.lines[0].obstacles == ""


def test_a_save_on_a_stale_version_is_a_conflict_and_keeps_what_was_typed(
    app_ctx: Flask, users: dict, monitored: tuple
) -> None:
    _plan, report = monitored
    activity_id = report.lines[0].activity_id
    seen_version = report.version
    client = client_as(app_ctx, "drafter.6301")
    first = post_figures(client, report, line_fields(activity_id, physical_progress="30"))
    assert first.status_code == 303

    late = post_figures(
        client, report, line_fields(activity_id, physical_progress="50"), version=seen_version
    )

    assert late.status_code == 409
    page = text_of(late)
    assert 'id="refusal" data-status="409"' in page
    assert input_value(page, f"line_{activity_id}-physical_progress") == "50"
    assert stored(report.id).lines[0].physical_progress == 30


# --- who may see and do what --------------------------------------------------------------


@pytest.mark.parametrize("username", ["drafter.6304", "reviewer.6304"])
def test_another_district_finds_nothing_anywhere(
    app_ctx: Flask, users: dict, monitored: tuple, username: str
) -> None:
    _plan, report = monitored
    attachment = reports.add_attachment(
        users["drafter"], report, line_id=None, filename="bukti.pdf", data=PDF
    )
    db.session.commit()
    version = report.version
    client = client_as(app_ctx, username)
    token = token_on(client)
    activity_id = report.lines[0].activity_id

    responses = [
        client.get(f"/reports/{report.id}"),
        client.post(
            f"/reports/{report.id}",
            data={"csrf_token": token, "version": str(version)}
            | line_fields(activity_id, physical_progress="10"),
        ),
        client.post(
            f"/reports/{report.id}/transition",
            data={"csrf_token": token, "trigger": "submit", "version": str(version)},
        ),
        client.get(f"/reports/{report.id}/attachments/{attachment.id}"),
        client.post(
            f"/reports/{report.id}/attachments",
            data={"csrf_token": token, "file": (io.BytesIO(PDF), "x.pdf")},
            content_type="multipart/form-data",
        ),
        client.get(f"/reports/{report.id}/export.xlsx"),
    ]

    assert [r.status_code for r in responses] == [404] * len(responses)
    assert stored(report.id).version == version
    assert attachment_count() == 1
    listed = text_of(client.get("/reports"))
    assert f'id="report-{report.id}"' not in listed


def test_a_partner_reads_the_report_of_a_published_plan_but_cannot_save_it(
    app_ctx: Flask, users: dict, monitored: tuple
) -> None:
    _plan, report = monitored
    fill_in(users, report)
    client = client_as(app_ctx, "mitra.demo")
    # Partners read what the province verified, as they read only approved plans.
    assert client.get(f"/reports/{report.id}").status_code == 404
    verify(users, report)
    version = stored(report.id).version

    page = text_of(client.get(f"/reports/{report.id}"))
    assert 'id="report-form"' not in page
    assert f'<tr id="line-{report.lines[0].activity_id}">' in page
    assert "Rp540.000.000" in page
    response = client.post(
        f"/reports/{report.id}",
        data={"csrf_token": token_on(client), "version": str(version)}
        | line_fields(report.lines[0].activity_id, physical_progress="99"),
    )

    assert response.status_code in (403, 409)  # a partner may not, and nobody may now
    assert stored(report.id).version == version
    assert stored(report.id).lines[0].physical_progress == 45


def test_submitting_an_incomplete_report_lists_what_is_missing_with_links_to_the_rows(
    app_ctx: Flask, users: dict, monitored: tuple
) -> None:
    _plan, report = monitored
    activity_id = report.lines[0].activity_id
    client = client_as(app_ctx, "drafter.6301")

    page = text_of(client.get(f"/reports/{report.id}"))
    assert f'href="/reports/{report.id}#line-{activity_id}"' in page  # the checklist
    response = act(client, report.id, "submit")

    assert response.status_code == 409
    assert f'href="/reports/{report.id}#line-{activity_id}"' in text_of(response)
    assert stored(report.id).state == "due"


def test_the_province_returns_with_a_comment_and_verifies_after_the_resubmission(
    app_ctx: Flask, users: dict, monitored: tuple
) -> None:
    _plan, report = monitored
    fill_in(users, report)
    drafter = client_as(app_ctx, "drafter.6301")
    province = client_as(app_ctx, "provincial.63")
    assert act(drafter, report.id, "submit").status_code == 303
    assert 'id="action-verify"' in text_of(province.get(f"/reports/{report.id}"))
    version = stored(report.id).version

    refused = act(province, report.id, "return", comment="  ")

    assert refused.status_code == 400
    assert (stored(report.id).state, stored(report.id).version) == ("submitted", version)
    assert act(province, report.id, "return", comment="Lampirkan BAST").status_code == 303
    assert stored(report.id).state == "returned"
    assert act(drafter, report.id, "submit").status_code == 303
    # Verifying cannot be undone: asked first on its confirmation page, nothing changed yet.
    asked = act(province, report.id, "verify")
    assert asked.status_code == 200 and 'id="confirm-form"' in text_of(asked)
    assert stored(report.id).state == "submitted"
    assert act(province, report.id, "verify", confirmed=True).status_code == 303

    assert stored(report.id).state == "verified"
    page = text_of(province.get(f"/reports/{report.id}"))
    history = page[page.index('id="history-title"') :]
    labels = definition_of(stored(report.id)).states
    for state in ("due", "submitted", "returned", "verified"):
        assert labels[state].label.get("id") in history
    assert "Lampirkan BAST" in history
    rows = db.session.scalars(
        select(CaseTransition.to_state)
        .where(CaseTransition.subject_is("report", report.id))
        .order_by(CaseTransition.id)
    ).all()
    assert rows == ["due", "submitted", "returned", "submitted", "verified"]
    assert 'id="report-form"' not in text_of(drafter.get(f"/reports/{report.id}"))


# --- evidence ------------------------------------------------------------------------------


def test_a_pdf_goes_up_and_comes_down_only_to_those_who_may_see_the_report(
    app_ctx: Flask, users: dict, monitored: tuple
) -> None:
    _plan, report = monitored
    line = report.lines[0]
    drafter = client_as(app_ctx, "drafter.6301")

    response = upload(drafter, report.id, "laporan-fisik.pdf", PDF, line_id=line.id)

    assert response.status_code == 303
    attachment = db.session.scalars(select(ReportAttachment)).one()
    assert (attachment.line_id, attachment.original_name) == (line.id, "laporan-fisik.pdf")
    url = f"/reports/{report.id}/attachments/{attachment.id}"
    assert url in text_of(drafter.get(f"/reports/{report.id}"))
    # The partner, before the province verified the report: not found.
    assert client_as(app_ctx, "mitra.demo").get(url).status_code == 404
    for username in ("drafter.6301", "reviewer.6301", "provincial.63"):
        download = client_as(app_ctx, username).get(url)
        assert download.status_code == 200, username
        assert download.data == PDF
        assert download.mimetype == "application/pdf"
        assert download.headers["X-Content-Type-Options"] == "nosniff"
        disposition = download.headers["Content-Disposition"]
        assert disposition.startswith("attachment;") and "laporan-fisik.pdf" in disposition
    assert client_as(app_ctx, "drafter.6304").get(url).status_code == 404


def test_an_attachment_is_not_found_through_another_report(
    app_ctx: Flask, users: dict, monitored: tuple
) -> None:
    plan, report = monitored
    other = reports.open_report(system_user(), plan, Quarter(2026, 2), current_calendar())
    db.session.commit()
    attachment = reports.add_attachment(
        users["drafter"], report, line_id=None, filename="bukti.pdf", data=PDF
    )
    db.session.commit()
    client = client_as(app_ctx, "drafter.6301")

    assert client.get(f"/reports/{other.id}/attachments/{attachment.id}").status_code == 404
    assert client.get(f"/reports/{report.id}/attachments/{attachment.id}").status_code == 200


def test_an_oversized_file_is_refused_and_nothing_is_stored(
    app_ctx: Flask, users: dict, monitored: tuple
) -> None:
    _plan, report = monitored
    before = files_in(app_ctx)
    limit = app_ctx.config["ATTACHMENT_MAX_BYTES"]
    app_ctx.config["ATTACHMENT_MAX_BYTES"] = 50
    try:
        response = upload(client_as(app_ctx, "drafter.6301"), report.id, "besar.pdf", PDF)
    finally:
        app_ctx.config["ATTACHMENT_MAX_BYTES"] = limit

    assert response.status_code == 400
    assert "besar.pdf" in text_of(response)  # the message names the file
    assert attachment_count() == 0
    assert files_in(app_ctx) == before


def test_png_content_under_a_pdf_name_is_refused(
    app_ctx: Flask, users: dict, monitored: tuple
) -> None:
    _plan, report = monitored
    before = files_in(app_ctx)

    response = upload(client_as(app_ctx, "drafter.6301"), report.id, "scan.pdf", PNG)

    assert response.status_code == 400
    assert 'id="refusal" data-status="400"' in text_of(response)
    assert "scan.pdf" in text_of(response)
    assert attachment_count() == 0
    assert files_in(app_ctx) == before


def test_a_path_in_the_file_name_is_dropped_and_the_file_stored_under_a_generated_name(
    app_ctx: Flask, users: dict, monitored: tuple, attachments_dir: Path
) -> None:
    _plan, report = monitored
    client = client_as(app_ctx, "drafter.6301")

    response = upload(client, report.id, "../../etc/passwd.pdf", PDF)

    assert response.status_code == 303
    attachment = db.session.scalars(select(ReportAttachment)).one()
    assert attachment.original_name == "passwd.pdf"
    assert "passwd" not in attachment.stored_name and "/" not in attachment.stored_name
    path = attachments_dir / attachment.stored_name
    assert path.resolve().parent == attachments_dir.resolve()
    assert path.read_bytes() == PDF
    page = text_of(client.get(f"/reports/{report.id}"))
    assert ">passwd.pdf</a>" in page
    download = client.get(f"/reports/{report.id}/attachments/{attachment.id}")
    assert re.search(r'filename="?passwd\.pdf"?$', download.headers["Content-Disposition"])


def test_the_drafter_removes_an_attachment_and_its_file_goes(
    app_ctx: Flask, users: dict, monitored: tuple, attachments_dir: Path
) -> None:
    _plan, report = monitored
    client = client_as(app_ctx, "drafter.6301")
    assert upload(client, report.id, "bukti.pdf", PDF).status_code == 303
    attachment = db.session.scalars(select(ReportAttachment)).one()
    path = attachments_dir / attachment.stored_name

    response = client.post(
        f"/reports/{report.id}/attachments/{attachment.id}/delete",
        data={"csrf_token": token_on(client)},
    )

    assert response.status_code == 303
    assert attachment_count() == 0
    assert not path.exists()


def test_no_upload_once_the_report_is_submitted(
    app_ctx: Flask, users: dict, monitored: tuple
) -> None:
    _plan, report = monitored
    fill_in(users, report)
    client = client_as(app_ctx, "drafter.6301")
    assert act(client, report.id, "submit").status_code == 303

    page = text_of(client.get(f"/reports/{report.id}"))
    response = upload(client, report.id, "bukti.pdf", PDF)

    assert f'action="/reports/{report.id}/attachments"' not in page
    assert response.status_code == 409
    assert attachment_count() == 0


# --- the list, my tasks, the plan page ----------------------------------------------------


@pytest.fixture
def three_reports(users: dict) -> dict[str, ProgressReport]:
    """6301: TW III 2026 (overdue by now) and TW IV 2026 (due in January 2027);
    6304: TW III 2026."""
    plan, late = factories.monitored_plan_with_report(users, Quarter(2026, 3))
    ahead = reports.open_report(system_user(), plan, Quarter(2026, 4), current_calendar())
    db.session.commit()
    _other_plan, elsewhere = factories.monitored_plan_with_report(
        other_district_users(users), Quarter(2026, 3), code="6304"
    )
    return {"late": late, "ahead": ahead, "elsewhere": elsewhere}


def listed_ids(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr id="report-(\d+)"', page)]


def test_the_reports_list_filters_and_marks_the_overdue_ones(
    app_ctx: Flask, users: dict, three_reports: dict
) -> None:
    late, ahead, elsewhere = (three_reports[k].id for k in ("late", "ahead", "elsewhere"))
    province = client_as(app_ctx, "provincial.63")

    page = text_of(province.get("/reports"))
    assert set(listed_ids(page)) == {late, ahead, elsewhere}
    assert listed_ids(page)[-1] == ahead  # the earliest due first
    assert re.search(rf'<tr id="report-{late}"[^>]*data-overdue="1"', page)
    assert not re.search(rf'<tr id="report-{ahead}"[^>]*data-overdue', page)
    assert listed_ids(text_of(province.get("/reports?district=6304"))) == [elsewhere]
    assert listed_ids(text_of(province.get("/reports?quarter=4&year=2026"))) == [ahead]
    assert set(listed_ids(text_of(province.get("/reports?overdue=1")))) == {late, elsewhere}
    assert listed_ids(text_of(province.get("/reports?state=verified"))) == []
    assert province.get("/reports?year=abc&quarter=9&state=%3Cx%3E").status_code == 200
    own = text_of(client_as(app_ctx, "drafter.6301").get("/reports"))
    assert set(listed_ids(own)) == {late, ahead}


def test_the_list_costs_the_same_queries_for_one_report_or_many(
    app_ctx: Flask, users: dict
) -> None:
    plan, _report = factories.monitored_plan_with_report(users, Quarter(2026, 1))
    client = client_as(app_ctx, "provincial.63")
    one = len(statements_of_a_get(app_ctx, client, "/reports"))

    for quarter in (2, 3):
        reports.open_report(system_user(), plan, Quarter(2026, quarter), current_calendar())
    factories.monitored_plan_with_report(other_district_users(users), Quarter(2026, 3), "6304")
    db.session.commit()

    assert len(statements_of_a_get(app_ctx, client, "/reports")) == one


def test_my_tasks_lists_the_reports_waiting_for_me_with_the_late_ones_marked(
    app_ctx: Flask, users: dict, three_reports: dict
) -> None:
    late, ahead = three_reports["late"], three_reports["ahead"]

    page = text_of(client_as(app_ctx, "drafter.6301").get("/tasks"))

    assert 'id="report-tasks"' in page
    tasks = [int(i) for i in re.findall(r'<tr id="report-task-(\d+)"', page)]
    assert tasks == [late.id, ahead.id]
    assert re.search(rf'<tr id="report-task-{late.id}"[^>]*data-overdue="1"', page)
    assert 'id="report-tasks"' not in text_of(client_as(app_ctx, "provincial.63").get("/tasks"))

    fill_in(users, late)
    assert act(client_as(app_ctx, "drafter.6301"), late.id, "submit").status_code == 303
    province = text_of(client_as(app_ctx, "provincial.63").get("/tasks"))
    assert re.findall(r'<tr id="report-task-(\d+)"', province) == [str(late.id)]


def test_the_plan_page_shows_its_reports_and_realisation_against_the_targets(
    app_ctx: Flask, users: dict, monitored: tuple
) -> None:
    plan, report = monitored
    reports.save_report(
        users["drafter"],
        report,
        expected_version=None,
        lines=[
            reports.LineData(
                activity_id=report.lines[0].activity_id,
                physical_progress=Decimal(45),
                spent=425_000_000,
            )
        ],
        indicator_values={plan.indicators[0].id: Decimal("7.5")},
    )
    db.session.commit()

    page = text_of(client_as(app_ctx, "mitra.demo").get(f"/plans/{plan.id}"))

    assert 'id="realisation"' in page
    assert f'href="/reports/{report.id}"' in page
    row = re.search(r'<tr id="realisation-2026".*?</tr>', page, re.S).group(0)
    assert 'data-amount="850000000"' in row and 'data-amount="425000000"' in row
    assert 'data-percent="50.0"' in row and 'data-percent="45.0"' in row
    assert 'class="realisation-chart"' in page and 'class="indicator-chart"' in page
    indicator = page[page.index(f'id="indicator-realisation-{plan.indicators[0].id}"') :]
    assert "7,5" in indicator and ">9<" in indicator  # achieved against the 2026 target


def test_the_plan_page_without_reports_has_no_realisation_section(
    app_ctx: Flask, users: dict
) -> None:
    plan = factories.plan_in_state(users, "monitored")

    page = text_of(client_as(app_ctx, "drafter.6301").get(f"/plans/{plan.id}"))

    assert 'id="realisation"' not in page


def test_names_typed_by_a_district_are_escaped_in_the_charts(
    app_ctx: Flask, users: dict, monitored: tuple
) -> None:
    plan, _report = monitored
    plan.title = '<script>alert("x")</script>'
    plan.indicators[0].name = "<img src=x onerror=alert(1)>"
    db.session.commit()

    page = text_of(client_as(app_ctx, "provincial.63").get(f"/plans/{plan.id}"))

    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_the_menu_links_to_the_reports(app_ctx: Flask, users: dict) -> None:
    page = text_of(client_as(app_ctx, "mitra.demo").get("/tasks"))

    assert re.search(r'<a [^>]*href="/reports"[^>]*id="nav-reports"', page)


# --- export ---------------------------------------------------------------------------------


def test_a_quarters_reports_export_to_xlsx_with_formulas_neutralised(
    app_ctx: Flask, users: dict, three_reports: dict
) -> None:
    fill_in(users, three_reports["late"], obstacles=FORMULA)
    client = client_as(app_ctx, "provincial.63")

    response = client.get("/reports/export.xlsx?year=2026&quarter=3")

    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    sheet = book.worksheets[0]
    headers = [cell.value for cell in sheet[1]]
    rows = [[cell for cell in row] for row in sheet.iter_rows(min_row=2)]
    assert {row[headers.index("Kode")].value for row in rows} == {"6301", "6304"}
    ours = next(row for row in rows if row[headers.index("Kode")].value == "6301")
    assert ours[headers.index("Triwulan")].value == "TW III 2026"
    assert ours[headers.index("Anggaran tahun berjalan (Rp)")].value == 850_000_000
    assert ours[headers.index("Realisasi keuangan (Rp)")].value == 540_000_000
    assert ours[headers.index("% anggaran")].value == pytest.approx(63.5)
    assert ours[headers.index("Progres fisik (%)")].value == 45
    obstacle = ours[headers.index("Kendala")]
    assert (obstacle.value, obstacle.data_type, obstacle.quotePrefix) == (FORMULA, "s", True)


def test_a_quarters_reports_export_to_csv_for_the_reports_one_may_see(
    app_ctx: Flask, users: dict, three_reports: dict
) -> None:
    fill_in(users, three_reports["late"], obstacles=FORMULA)
    client = client_as(app_ctx, "drafter.6301")

    response = client.get("/reports/export.csv?year=2026&quarter=3")

    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert [row["Kode"] for row in rows] == ["6301"]  # not the other district's report
    assert rows[0]["Kendala"] == "'" + FORMULA
    assert client.get("/reports/export.pdf").status_code == 404


def test_one_report_exports_from_its_page(app_ctx: Flask, users: dict, monitored: tuple) -> None:
    _plan, report = monitored
    fill_in(users, report)
    client = client_as(app_ctx, "reviewer.6301")

    assert f'href="/reports/{report.id}/export.xlsx"' in text_of(
        client.get(f"/reports/{report.id}")
    )
    response = client.get(f"/reports/{report.id}/export.csv")

    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert [(row["Kegiatan"], row["Realisasi keuangan (Rp)"]) for row in rows] == [
        ("Layanan LLTT", "540000000")
    ]


def test_the_district_head_sees_the_district_s_unverified_reports_late_ones_marked(
    app_ctx: Flask, users: dict, three_reports: dict
) -> None:
    page = text_of(client_as(app_ctx, "head.6301").get("/tasks"))
    late, ahead = three_reports["late"], three_reports["ahead"]
    rows = re.findall(r'<tr id="overseen-report-(\d+)"([^>]*)>', page)
    # Only the head's district, the earliest due first; the late one marked overdue.
    assert [int(report_id) for report_id, _attrs in rows] == [late.id, ahead.id]
    assert 'data-overdue="1"' in rows[0][1] and 'data-overdue="1"' not in rows[1][1]
    # Nobody else gets the section.
    assert 'id="overseen-reports"' not in text_of(client_as(app_ctx, "drafter.6301").get("/tasks"))
