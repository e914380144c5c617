"""The emails people receive: in their own language, naming the region, the plan and what
happened, what they must do and by when, with a link to the plan; and the mailbox backend
of the embedded profile writing them as .eml files that carry their outbox id."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest
import time_machine
from flask import Flask
from sqlalchemy import select

from tests import factories
from workflow_app.accounts.models import User
from workflow_app.deadlines.sweep import run_sweep
from workflow_app.engine.calendar import WITA
from workflow_app.extensions import db
from workflow_app.notifications.delivery import deliver
from workflow_app.notifications.models import Notification
from workflow_app.notifications.rendering import RenderedEmail, render_notification
from workflow_app.plans import operations as ops
from workflow_app.plans.models import ActionPlan

# Thursday 29 January 2026, 10.00 WITA: five working days later is Thursday 5 February.
SUBMITTED = datetime(2026, 1, 29, 10, 0, tzinfo=WITA)
BASE_URL = "https://rencana-aksi.example.org"


class RecordingCelery:
    """Stands in for the broker: remembers what was queued, sends nothing."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, list[object]]] = []

    def send_task(self, name: str, args: list[object], **options: object) -> None:
        self.sent.append((name, list(args)))


@pytest.fixture(autouse=True)
def quiet_queue(app: Flask, monkeypatch: pytest.MonkeyPatch) -> RecordingCelery:
    recorder = RecordingCelery()
    monkeypatch.setitem(app.extensions, "celery", recorder)
    monkeypatch.setitem(app.config, "BASE_URL", BASE_URL + "/")
    return recorder


@pytest.fixture
def english_reviewer(users: dict[str, User]) -> User:
    account = factories.user("reviewer.en.6301", ("district_reviewer", "6301"), language="en")
    db.session.commit()
    return account


def _submitted_plan(users: dict[str, User]) -> ActionPlan:
    with time_machine.travel(SUBMITTED, tick=False):
        plan = factories.plan_in_state(users, "district_review")
    return plan


def _notification(event: str, to: User) -> Notification:
    return db.session.scalars(
        select(Notification).where(Notification.event == event, Notification.recipient_id == to.id)
    ).one()


def _render(notification: Notification, now: datetime) -> RenderedEmail:
    return render_notification(notification, now.astimezone(UTC))


def test_the_reviewer_is_told_in_indonesian_what_to_do_and_by_when(
    users: dict[str, User],
) -> None:
    plan = _submitted_plan(users)
    email = _render(_notification("submit", users["reviewer"]), SUBMITTED)

    assert email.subject == "[Rencana Aksi] Tanah Laut: rencana diajukan untuk reviu"
    text = email.text
    assert "Reviewer 6301" in text  # greeted by name
    assert "Drafter 6301" in text  # who acted
    assert "“Draf”" in text and "“Reviu Kabupaten/Kota”" in text  # from → to, in Indonesian
    assert "5 Februari 2026 10.00 WITA" in text
    assert "5 hari kerja lagi" in text
    assert f"{BASE_URL}/plans/{plan.id}" in text
    assert "Yang perlu Anda lakukan" in text
    assert f'href="{BASE_URL}/plans/{plan.id}"' in email.html
    assert "5 Februari 2026 10.00 WITA" in email.html


def test_an_english_speaking_reviewer_gets_the_same_email_in_english(
    users: dict[str, User], english_reviewer: User
) -> None:
    plan = _submitted_plan(users)
    email = _render(_notification("submit", english_reviewer), SUBMITTED)

    assert email.subject == "[Action plan] Tanah Laut: plan submitted for review"
    assert "Dear Reviewer En 6301," in email.text
    assert "from “Draft” to “District review”" in email.text
    assert "5 February 2026 10.00 WITA (5 working days left)" in email.text
    assert f"{BASE_URL}/plans/{plan.id}" in email.text
    assert '<html lang="en">' in email.html


def test_a_returned_plan_tells_the_drafter_the_comment_and_escapes_it_in_html(
    users: dict[str, User],
) -> None:
    plan = _submitted_plan(users)
    comment = "Lengkapi baseline <BABS> & target 2029"
    with time_machine.travel(SUBMITTED, tick=False):
        ops.transition(users["reviewer"], plan, "return", comment=comment)
        db.session.commit()
    email = _render(_notification("return", users["drafter"]), SUBMITTED)

    assert email.subject == "[Rencana Aksi] Tanah Laut: rencana dikembalikan untuk perbaikan"
    assert comment in email.text
    assert "“Reviu Kabupaten/Kota”" in email.text and "“Dikembalikan”" in email.text
    assert "Lengkapi baseline &lt;BABS&gt; &amp; target 2029" in email.html
    assert "<BABS>" not in email.html


def test_the_html_email_stands_alone(users: dict[str, User]) -> None:
    _submitted_plan(users)
    html = _render(_notification("submit", users["reviewer"]), SUBMITTED).html
    assert "<link" not in html and "src=" not in html and "url(" not in html
    assert "<script" not in html


def _fire_every_step(users: dict[str, User]) -> None:
    _submitted_plan(users)
    fired = run_sweep(datetime(2026, 3, 2, 12, 0, tzinfo=WITA))
    assert {f.step for f in fired} == {"reminder", "due", "escalation", "escalation_province"}


def test_the_reminder_says_how_many_working_days_are_left(users: dict[str, User]) -> None:
    _fire_every_step(users)
    row = _notification("reminder", users["reviewer"])
    email = _render(row, datetime(2026, 2, 4, 10, 0, tzinfo=WITA))
    assert email.subject == "[Rencana Aksi] Tanah Laut: pengingat: jatuh tempo dalam 1 hari kerja"
    assert "5 Februari 2026 10.00 WITA" in email.text
    assert "1 hari kerja lagi" in email.text


def test_the_due_notice_says_the_deadline_is_now(users: dict[str, User]) -> None:
    _fire_every_step(users)
    row = _notification("due", users["reviewer"])
    row.language = "en"
    email = _render(row, datetime(2026, 2, 5, 10, 0, tzinfo=WITA))
    assert email.subject == "[Action plan] Tanah Laut: deadline today"
    assert "it is due now, 5 February 2026 10.00 WITA" in email.text
    assert "(today)" in email.text


def test_the_escalation_says_how_late_and_in_which_role_the_recipient_is_told(
    users: dict[str, User],
) -> None:
    _fire_every_step(users)
    head = _render(
        _notification("escalation", users["head"]), datetime(2026, 2, 9, 10, 0, tzinfo=WITA)
    )
    assert head.subject == "[Rencana Aksi] Tanah Laut: terlambat 2 hari kerja"
    assert "sebagai pimpinan kabupaten/kota" in head.text
    assert "terlambat 2 hari kerja" in head.text
    assert "pereviu kabupaten/kota" in head.text  # who still has to act

    province = _notification("escalation", users["provincial"])
    province.language = "en"
    email = _render(province, datetime(2026, 2, 12, 10, 0, tzinfo=WITA))
    assert email.subject == "[Action plan] Tanah Laut: overdue by 5 working days"
    assert "You are informed as provincial reviewer." in email.text
    assert "The district reviewer has to review the plan" in email.text
    assert "Please follow this up" in email.text


@pytest.fixture
def mailbox(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The embedded profile's mailbox, in a folder of this test's own."""
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    assert app.config["MAIL_BACKEND"] == "mailbox"
    yield tmp_path / "mailbox"


def _read_eml(path: Path) -> EmailMessage:
    with path.open("rb") as handle:
        return BytesParser(policy=policy.default).parse(handle)  # type: ignore[return-value]


def test_the_mailbox_backend_writes_a_parseable_eml_with_the_outbox_id(
    users: dict[str, User], mailbox: Path
) -> None:
    plan = _submitted_plan(users)
    row = _notification("submit", users["reviewer"])

    assert deliver(row.id).status == "sent"

    files = list(mailbox.glob("*.eml"))
    assert [f.name.endswith(f"-{row.id}.eml") for f in files] == [True]
    message = _read_eml(files[0])
    assert message["X-Workflow-Outbox-Id"] == str(row.id)
    assert message["Message-ID"] == f"<outbox-{row.id}@example.org>"
    assert message["To"] == "reviewer.6301@example.test"
    assert message["Subject"] == "[Rencana Aksi] Tanah Laut: rencana diajukan untuk reviu"
    assert "no-reply@example.org" in message["From"]
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert f"{BASE_URL}/plans/{plan.id}" in text
    assert f"{BASE_URL}/plans/{plan.id}" in html
    db.session.expire_all()
    assert db.session.get(Notification, row.id).status == "sent"
