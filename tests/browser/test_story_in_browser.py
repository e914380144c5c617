"""The whole story of issue 4 in Chromium, with real clicks and typing: a drafter writes a plan
through the forms and submits it; the district reviewer comments on an activity and returns the
plan; the drafter sees the comment next to the activity, fixes it and resubmits; the reviewer
sees what changed and forwards; the provincial reviewer approves from the sync workspace; a
partner reads the approved plan; an acting reviewer (Plt) forwards another plan and the history
says "a.n."; the language switch turns the interface to English and back."""

from __future__ import annotations

import re
from datetime import timedelta

from flask import Flask
from playwright.sync_api import Page, expect

from tests import factories
from workflow_app.accounts.models import wita_today
from workflow_app.extensions import db

from .conftest import log_in, log_out, screenshot

TITLE = "Rencana Aksi Sanitasi Aman Tanah Laut 2025–2029"
ACTIVITY = "Penyedotan lumpur tinja terjadwal Pelaihari"
REVIEW_COMMENT = "Volume LLTT terlalu kecil untuk Pelaihari"
RETURN_COMMENT = "Perbaiki volume dan pendanaan LLTT"


def badge(page: Page) -> object:
    return page.locator("h1 .badge").first


def choose_first_real_option(page: Page, selector: str) -> None:
    """Pick the first option with a value (skips a "choose…" placeholder)."""
    values = page.locator(f"{selector} option").evaluate_all(
        "options => options.map(o => o.value).filter(v => v)"
    )
    page.select_option(selector, values[0])


def drafter_writes_and_submits(page: Page, base: str) -> tuple[str, str]:
    """The plan URL and the activity row's id, after the drafter submitted a complete plan."""
    log_in(page, base, "drafter.6301")
    page.goto(f"{base}/plans/new")
    page.fill("#title", TITLE)
    page.click("button[name=save]:not(.default-submit)")
    page.wait_for_url(re.compile(r"/plans/\d+$"))
    plan_url = page.url
    # An empty plan: the checklist says what still blocks the submission.
    expect(page.locator("#checklist-submit li").first).to_be_visible()

    page.goto(f"{plan_url}/challenges")
    page.fill("#rows-0-description", "Cakupan layanan lumpur tinja masih rendah")
    page.click("button[name=save]:not(.default-submit)")
    page.wait_for_url(plan_url)

    page.goto(f"{plan_url}/indicators")
    page.fill("#rows-0-name", "% rumah tangga dengan akses sanitasi aman")
    page.fill("#rows-0-unit", "%")
    page.fill("#rows-0-baseline_year", "2024")
    page.fill("#rows-0-baseline_value", "6,5")
    for year, value in zip(range(2025, 2030), ("8", "11", "15", "20", "30"), strict=True):
        page.fill(f"#rows-0-target_{year}", value)
    page.click("button[name=save]:not(.default-submit)")
    page.wait_for_url(plan_url)

    page.goto(f"{plan_url}/activities/new")
    page.select_option("#sub_sector", "wastewater")
    page.select_option("#activity_type", "lltt")
    page.fill("#title", ACTIVITY)
    page.fill("#location", "Kec. Pelaihari / Desa Angsau")
    page.fill("#volume", "10")
    page.fill("#unit", "tangki septik")
    choose_first_real_option(page, "#agency_id")
    page.select_option("#start_year", "2026")
    page.select_option("#end_year", "2026")
    page.select_option("#funding-0-year", "2026")
    page.select_option("#funding-0-source", "apbd_district")
    page.fill("#funding-0-amount", "1.500.000")
    page.click("button[name=save]:not(.default-submit)")
    page.wait_for_url(plan_url)

    activity_row = page.locator("table.activities tr[id^=activity-]").first
    expect(activity_row).to_contain_text(ACTIVITY)
    expect(activity_row).to_contain_text("Rp1.500.000")
    # Nothing is missing any more: the checklist is empty and the plan may go.
    expect(page.locator("#checklist-submit")).to_have_count(0)
    expect(page.locator("#action-submit .checklist-ok")).to_be_visible()
    page.click("#action-submit button[type=submit]")
    page.wait_for_url(plan_url)
    expect(badge(page)).to_have_text("Reviu Kabupaten/Kota")
    row_id = activity_row.get_attribute("id")
    assert row_id
    log_out(page)
    return plan_url, row_id


def test_a_plan_from_first_draft_to_approval_in_the_browser(
    app_ctx: Flask, users: dict, live_server: str, page: Page
) -> None:
    base = live_server
    # Another district's plan waits for its reviewer, who is away: a Plt acts for them.
    other = dict(users, drafter=users["other_drafter"], reviewer=users["other_reviewer"])
    other_plan = factories.plan_in_state(other, "district_review", "6304")
    # An acting official is one of the district's own officials (here its head's deputy).
    factories.user("plt.6304", ("district_head", "6304"))
    db.session.commit()

    plan_url, row_id = drafter_writes_and_submits(page, base)
    plan_path = plan_url.removeprefix(base)
    comments = f"#comments-{row_id}"

    # The district reviewer comments on the activity and returns the plan.
    log_in(page, base, "reviewer.6301")
    screenshot(page, "story-reviewer-tasks")
    expect(page.locator(".mainnav")).to_contain_text("Tugas Saya")
    page.click(f"table.tasks a[href='{plan_path}']")
    page.wait_for_url(plan_url)
    page.click(f"{comments} details.comment-form > summary")
    page.fill(f"{comments} textarea", REVIEW_COMMENT)
    page.click(f"{comments} form button[type=submit]")
    expect(page.locator(f"{comments} .review-comment .comment")).to_have_text(REVIEW_COMMENT)
    page.fill("#comment-return", RETURN_COMMENT)
    page.click("#action-return button[type=submit]")
    expect(badge(page)).to_have_text("Dikembalikan")
    log_out(page)

    # The drafter finds the comment next to the activity, fixes volume and funding, resubmits.
    log_in(page, base, "drafter.6301")
    screenshot(page, "story-drafter-tasks")
    page.click(f"table.tasks a[href='{plan_path}']")
    page.wait_for_url(plan_url)
    expect(badge(page)).to_have_text("Dikembalikan")
    expect(page.locator(f"{comments} .review-comment .comment")).to_have_text(REVIEW_COMMENT)
    expect(page.locator(".timeline")).to_contain_text(RETURN_COMMENT)
    page.click(f"#{row_id} a[href$='/edit']")
    page.fill("#volume", "25")
    page.fill("#funding-0-amount", "4.000.000")
    page.click("button[name=save]:not(.default-submit)")
    page.wait_for_url(plan_url)
    expect(page.locator(f"#{row_id}")).to_contain_text("Rp4.000.000")
    page.click("#action-submit button[type=submit]")
    expect(badge(page)).to_have_text("Reviu Kabupaten/Kota")
    log_out(page)

    # The reviewer sees what changed since the previous submission, and forwards.
    log_in(page, base, "reviewer.6301")
    page.click(f"table.tasks a[href='{plan_path}']")
    page.wait_for_url(plan_url)
    changes = page.locator("#changes")
    expect(changes).to_contain_text(ACTIVITY)
    volume = changes.locator(".change-field[data-field=volume]")
    expect(volume.locator(".old")).to_contain_text("10")
    expect(volume.locator(".new")).to_contain_text("25")
    page.click("#action-forward button[type=submit]")
    expect(badge(page)).to_have_text("Sinkronisasi Provinsi")
    log_out(page)

    # The provincial reviewer approves from the sync workspace and stays there.
    log_in(page, base, "provincial.63")
    page.click("#nav-sync")
    page.wait_for_url(f"{base}/sync")
    screenshot(page, "story-provincial-sync")
    plan_id = plan_path.rsplit("/", 1)[1]
    # Approval cannot be undone: its confirmation page names the plan and takes a comment.
    page.click(f"#sync-action-approve-{plan_id}")
    expect(page.locator("#consequence")).to_contain_text("Pemantauan dimulai dengan sendirinya")
    page.fill("#confirm-comment", "Sesuai program provinsi.")
    page.click("#confirm-button")
    page.wait_for_url(f"{base}/sync")
    expect(page.locator("#row-6301 .badge")).to_have_text("Disetujui")
    expect(page.locator(f"#sync-action-approve-{plan_id}")).to_have_count(0)
    log_out(page)

    # A partner reads the approved plan.
    log_in(page, base, "mitra.demo")
    page.goto(plan_url)
    expect(badge(page)).to_have_text("Disetujui")
    expect(page.locator(f"#{row_id}")).to_contain_text(ACTIVITY)
    screenshot(page, "story-partner-plan")
    log_out(page)

    # The absent reviewer of 6304 hands the role to plt.6304 for a week.
    log_in(page, base, "reviewer.6304")
    page.goto(f"{base}/delegations")
    form = page.locator("#new-delegation form")
    form.locator("input[name=delegate]").fill("plt.6304")
    form.locator("input[name=starts_on]").fill(wita_today().isoformat())
    form.locator("input[name=ends_on]").fill((wita_today() + timedelta(days=7)).isoformat())
    form.locator("button[type=submit]").click()
    page.wait_for_url(f"{base}/delegations")
    expect(page.locator("#delegations-given")).to_contain_text("plt.6304")
    log_out(page)

    # The Plt finds the plan in their tasks, forwards it; the history says "a.n.".
    log_in(page, base, "plt.6304")
    screenshot(page, "story-delegate-tasks")
    page.click(f"table.tasks a[href='/plans/{other_plan.id}']")
    page.click("#action-forward button[type=submit]")
    expect(badge(page)).to_have_text("Sinkronisasi Provinsi")
    last = page.locator(".timeline .history-entry").last
    expect(last.locator(".history-who")).to_contain_text("a.n.")
    expect(last.locator(".history-who")).to_contain_text("plt.6304")
    expect(last.locator(".history-who")).to_contain_text("reviewer.6304")

    # The language switch turns the interface to English, and back.
    page.click("button[name=language][value=en]")
    expect(page.locator(".mainnav")).to_contain_text("My tasks")
    expect(page.locator(".history-who").last).to_contain_text("on behalf of")
    page.click("button[name=language][value=id]")
    expect(page.locator(".mainnav")).to_contain_text("Tugas Saya")
    log_out(page)

    log_in(page, base, "admin")
    page.click(".mainnav a[href^='/admin']")
    page.wait_for_url(f"{base}/admin/")
    expect(page.locator(".mainnav a[aria-current=page]")).to_have_attribute("href", "/admin/")
    screenshot(page, "story-admin")
