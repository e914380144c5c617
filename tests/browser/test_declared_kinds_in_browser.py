"""The two processes declared only in YAML, end to end in Chromium, on a desktop and on a
390×844 phone: a district writes its Pokja decree with its members and signed PDF, the
province acknowledges it; a DAK proposal is signed off by the district's agencies (one objects
first, sending it back) and the province recommends it. Screenshots go to artifacts."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from playwright.sync_api import Page, expect

from tests import factories
from workflow_app.extensions import db
from workflow_app.firing import fire

from .conftest import log_in, log_out, screenshot

PHONE = {"width": 390, "height": 844}


def test_a_pokja_decree_from_the_district_form_to_the_provinces_record(
    app_ctx: Flask, users: dict, live_server: str, page: Page, tmp_path: Path
) -> None:
    log_in(page, live_server, "drafter.6301")
    page.get_by_role("link", name="SK Pokja PKP").first.click()
    page.click("#new-case")
    page.select_option("#decree_kind", "formation")
    page.fill("#decree_number", "188.45/77/KUM/2026")
    page.fill("#decree_date", "2026-03-02")
    page.fill("#valid_until", "2029")
    agency = str(factories.agency("6301").id)
    for index, (name, position) in enumerate(
        [("Ir. Budi Santoso", "chair"), ("Rina Marlina", "secretary"), ("dr. Fajar", "member")]
    ):
        if index:  # the form opens with one row; each further row is added by the button
            page.click("button[name=add_members]")
        page.fill(f"#members-{index}-name", name)
        page.select_option(f"#members-{index}-agency", agency)
        page.select_option(f"#members-{index}-position", position)
    decree = tmp_path / "SK Pokja.pdf"
    decree.write_bytes(factories.MINIMAL_PDF)
    page.set_input_files("#signed_decree", str(decree))
    screenshot(page, "decree-form")
    page.click("button[name=save]:not(.default-submit)")
    expect(page.locator("h1 .badge")).to_contain_text("Draf")
    expect(page.locator("#table-members")).to_contain_text("Rina Marlina")
    expect(page.locator(".checklist-ok")).to_be_visible()
    page.locator("#action-submit button[type=submit]").click()
    expect(page.locator("h1 .badge")).to_contain_text("Pemeriksaan Provinsi")
    log_out(page)

    page.set_viewport_size(PHONE)
    log_in(page, live_server, "provincial.63")
    # Acknowledging cannot be undone: the task's link opens its confirmation page.
    page.locator("[id^=task-sk_pokja-] a.task-action").first.click()
    expect(page.locator("#consequence")).to_contain_text("SK Pokja dicatat untuk seterusnya")
    screenshot(page, "decree-provincial-phone")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the confirmation page is {width}px wide on a phone"
    page.locator("#confirm-button").click()
    # Back on the task list it was opened from, which says what became of the decree.
    page.wait_for_url(f"{live_server}/tasks")
    expect(page.locator(".flash-success")).to_contain_text("Tercatat")


def test_a_dak_proposal_signed_off_by_the_agencies_and_recommended(
    app_ctx: Flask, users: dict, live_server: str, page: Page
) -> None:
    members = factories.pokja_members("6301")
    proposal = factories.dak_proposal(users["drafter"])
    fire(users["drafter"], proposal, "submit")
    db.session.commit()
    url = f"{live_server}/cases/dak_sanitation/{proposal.id}"

    def give(username: str, answer: str, comment: str = "") -> None:
        log_in(page, live_server, username)
        page.goto(url)
        page.check(f"#sign-off-form input[value={answer}]")
        page.fill("#sign-off-comment", comment)
        page.click("#sign-off-form button[type=submit]")
        log_out(page)

    give(members[1].username, "object", "Lokasi TPS3R belum ada surat hibah")
    log_in(page, live_server, "drafter.6301")
    page.goto(url)
    expect(page.locator("h1 .badge")).to_contain_text("Dikembalikan")
    expect(page.locator(".history")).to_contain_text("Lokasi TPS3R belum ada surat hibah")
    page.locator("#action-submit button[type=submit]").click()
    expect(page.locator("h1 .badge")).to_contain_text("Persetujuan OPD")
    log_out(page)

    page.set_viewport_size(PHONE)
    give(members[0].username, "agree")
    log_in(page, live_server, members[1].username)
    page.goto(url)
    expect(page.locator(".sign-off-tally")).to_have_attribute("data-agreed", "1")
    screenshot(page, "dak-sign-off-phone")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the sign-off page is {width}px wide on a phone"
    log_out(page)
    give(members[1].username, "agree", "Sudah dilengkapi")
    give(members[2].username, "agree")

    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, live_server, "provincial.63")
    page.goto(url)
    expect(page.locator("h1 .badge")).to_contain_text("Verifikasi Provinsi")
    screenshot(page, "dak-provincial")
    page.locator("#confirm-link-recommend").click()
    expect(page.locator("#consequence")).to_contain_text("direkomendasikan untuk seterusnya")
    page.locator("#confirm-button").click()
    expect(page.locator("h1 .badge")).to_contain_text("Direkomendasikan")
