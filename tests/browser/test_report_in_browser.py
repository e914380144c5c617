"""A quarter's report in Chromium: the drafter finds it on "Tugas Saya", types the figures,
sees the share of the budget, attaches a PDF as evidence and submits; the provincial reviewer
downloads the evidence and verifies the report. Screenshots of both pages go to artifacts."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from playwright.sync_api import Page, expect

from tests import factories

from .conftest import log_in, log_out, screenshot

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def test_the_drafter_reports_a_quarter_and_the_province_verifies_it(
    app_ctx: Flask, users: dict, live_server: str, page: Page, tmp_path: Path
) -> None:
    _plan, report = factories.monitored_plan_with_report(users)
    [line] = report.lines
    activity_id = line.activity_id

    log_in(page, live_server, "drafter.6301")
    task = page.locator(f"#report-task-{report.id}")
    expect(task).to_contain_text("TW III 2026")
    task.get_by_role("link", name="TW III 2026").click()
    page.wait_for_url(f"{live_server}/reports/{report.id}")

    page.fill(f"#line_{activity_id}-physical_progress", "45")
    page.fill(f"#line_{activity_id}-spent", "Rp425.000.000")
    page.fill(f"#line_{activity_id}-obstacles", "Tender ulang truk tinja")
    page.click("#report-form button[name=save]")
    # 425 of the year's 850 million.
    expect(page.locator(f"#spent-percent-{activity_id}")).to_have_attribute("data-percent", "50.0")

    evidence = tmp_path / "berita-acara.pdf"
    evidence.write_bytes(PDF)
    page.locator(f"#evidence-line-{activity_id} input[type=file]").set_input_files(str(evidence))
    page.locator(f"#evidence-line-{activity_id} button[type=submit]").click()
    expect(page.locator(f"#evidence-line-{activity_id}")).to_contain_text("berita-acara.pdf")
    screenshot(page, "report-drafter")

    page.locator("#action-submit button[type=submit]").click()
    expect(page.locator("h1 .badge").first).to_contain_text("Menunggu Verifikasi")
    log_out(page)

    log_in(page, live_server, "provincial.63")
    page.goto(f"{live_server}/reports/{report.id}")
    with page.expect_download() as download:
        page.get_by_role("link", name="berita-acara.pdf").first.click()
    assert Path(download.value.path()).read_bytes() == PDF
    # Verifying cannot be undone: its confirmation page asks first.
    page.locator("#confirm-link-verify").click()
    expect(page.locator("#consequence")).to_contain_text("diverifikasi untuk seterusnya")
    page.locator("#confirm-button").click()
    expect(page.locator("h1 .badge").first).to_contain_text("Terverifikasi")
    screenshot(page, "report-provincial")

    # The verified figures reach the provincial dashboard (the reporting year chosen).
    page.goto(f"{live_server}/dashboard?year=2026")
    realisation = page.locator("#realisation")
    expect(realisation).to_contain_text("Tanah Laut")
    expect(realisation.locator("svg").first).to_be_visible()
    screenshot(page, "dashboard-provincial")
