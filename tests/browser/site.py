"""Every main page with something on it, for the tests that look at all of them (phones, axe).

`seed_site` fills the database as a working installation would be: plans in several states
(one monitored with a verified quarterly report, one returned with a review comment on an
activity, one of another district waiting for the province), a declared case, a delegation,
API tokens, a failed email and a message in the admin mailbox. `main_pages` names the pages:
the ones of these objects, and every page of the URL map that takes no arguments (so a page
added later is covered without an edit here). Each role visits them all; a page it may not
open (403, 404) is left out for it, and `assert_all_visited` checks each page was seen.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from flask import Flask

from tests import factories
from workflow_app.accounts import delegations
from workflow_app.accounts.models import User, wita_today
from workflow_app.extensions import db
from workflow_app.notifications.mailer import write_eml
from workflow_app.notifications.models import FAILED, Notification
from workflow_app.plans import operations as plan_ops
from workflow_app.reviews import operations as review_ops

# Every role of the standard users, and the anonymous visitor (None).
ROLES: tuple[str | None, ...] = (
    "drafter.6301",
    "reviewer.6301",
    "head.6301",
    "provincial.63",
    "head.63",
    "mitra.demo",
    "admin",
    None,
)
# Pages of the URL map without arguments that are not pages to look at.
NOT_PAGES = ("/", "/healthz", "/readyz", "/logout")
LONG_COMMENT = (
    "Volume layanan LLTT belum sesuai dengan jumlah tangki septik yang terdata di Pelaihari; "
    "mohon dilengkapi dengan rincian per kecamatan dan sumber datanya sebelum diajukan kembali."
)


@dataclass
class Site:
    paths: list[str]
    plans: dict[str, int]  # "monitored", "returned", "waiting" -> plan id
    seen: dict[str, list[str]] = field(default_factory=dict)  # path -> who saw it
    not_pages: set[str] = field(default_factory=set)  # answered with something else than HTML

    def opened(self, path: str, who: str | None, response: object) -> bool:
        """Whether `who` got the page itself (not a refusal, a redirect or another type)."""
        if response.status >= 400 or response.request.redirected_from is not None:  # type: ignore[attr-defined]
            return False
        if not response.headers.get("content-type", "").startswith("text/html"):  # type: ignore[attr-defined]
            self.not_pages.add(path)
            return False
        self.seen.setdefault(path, []).append(who or "anonymous")
        return True

    def assert_all_visited(self) -> None:
        unseen = [p for p in self.paths if p not in self.seen and p not in self.not_pages]
        assert not unseen, f"no role could open {unseen}"


def _returned_plan_with_a_comment(users: dict[str, User]) -> tuple[int, int]:
    plan = factories.complete_plan(users["drafter"], title="Rencana Aksi Perbaikan")
    plan_ops.transition(users["drafter"], plan, "submit")
    activity = plan.activities[0]
    review_ops.add_comment(users["reviewer"], plan, "activity", activity.id, LONG_COMMENT)
    plan_ops.transition(users["reviewer"], plan, "return", comment="Lengkapi rincian volume")
    return plan.id, activity.id


def seed_site(app: Flask, users: dict[str, User], mailbox: Path) -> Site:
    monitored, report = factories.reported_plan(users, report_state="verified")
    returned_id, activity_id = _returned_plan_with_a_comment(users)
    waiting = factories.plan_in_state(
        factories.district_people(users, "6304"), "provincial_sync", "6304"
    )
    proposal = factories.dak_proposal(users["drafter"])
    delegations.create_delegation(
        users["reviewer"],
        delegator=users["reviewer"],
        delegate=users["head"],
        role="district_reviewer",
        region=factories.regions()["6301"],
        starts_on=wita_today(),
        ends_on=wita_today() + timedelta(days=6),
        note="Cuti tahunan",
    )
    for account in users.values():
        factories.api_token(account, "skrip sinkronisasi")
    failed = db.session.scalars(db.select(Notification).limit(1)).one()
    failed.status, failed.last_error = FAILED, "SMTPRecipientsRefused: 550 mailbox unavailable"
    db.session.commit()
    mail = write_eml(
        mailbox,
        b"From: no-reply@example.org\r\nTo: reviewer.6301@example.test\r\n"
        b"Subject: [Rencana Aksi] Tanah Laut: rencana diajukan untuk reviu\r\n"
        b"Date: Sat, 05 Dec 2026 03:08:00 +0000\r\nX-Workflow-Outbox-Id: 1\r\n\r\nIsi pesan.\r\n",
        1,
    )
    admin_id = users["admin"].id
    paths = [
        f"/plans/{monitored.id}",
        f"/plans/{returned_id}",
        f"/plans/{returned_id}/edit",
        f"/plans/{returned_id}/challenges",
        f"/plans/{returned_id}/indicators",
        f"/plans/{returned_id}/activities/new",
        f"/plans/{returned_id}/activities/{activity_id}/edit",
        f"/plans/{returned_id}/import",
        f"/plans/{waiting.id}",
        f"/reports/{report.id}",
        f"/cases/dak_sanitation/{proposal.id}",
        f"/cases/dak_sanitation/{proposal.id}/edit",
        "/cases/dak_sanitation",
        "/cases/dak_sanitation/new",
        "/cases/sk_pokja",
        f"/admin/users/{admin_id}",
        "/admin/regions/6301",
        f"/admin/mailbox/{mail.name}",
    ]
    if "plans.confirm" in app.view_functions:  # the page that asks before a decision
        paths.append(f"/plans/{waiting.id}/confirm/approve")
    plans = {"monitored": monitored.id, "returned": returned_id, "waiting": waiting.id}
    return Site(paths=sorted({*_pages_without_arguments(app), *paths}), plans=plans)


def _pages_without_arguments(app: Flask) -> Iterable[str]:
    for rule in app.url_map.iter_rules():
        if rule.arguments or "GET" not in rule.methods or rule.rule in NOT_PAGES:
            continue
        if rule.rule.startswith("/api/") or rule.endpoint.endswith("static"):
            continue
        yield rule.rule
