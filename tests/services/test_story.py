"""The story, end to end with the real things: a plan submitted through the web, the worker
process delivering over SMTP, sweeps at the reminder, due and escalation times (the sweep takes
the time to evaluate at: nothing sleeps), across the Nyepi and Idul Fitri days off of 2026,
each recipient in their own language."""

from __future__ import annotations

from datetime import datetime

import time_machine
from flask import Flask

from tests import factories
from workflow_app.engine.calendar import WITA
from workflow_app.extensions import db

from .flows import act, client_as, outbox, send_sweep, steps_of
from .support import ReceivedEmail, SmtpSink, wait_until

# Monday 16 March 2026, 10.00 WITA. Five working days later is not Monday 23 March: Nyepi
# (18–19 March, with its cuti bersama) and Idul Fitri (20–24 March, with its cuti bersama)
# come first, so the days counted are 17, 25, 26, 27 and 30 March.
SUBMITTED = datetime(2026, 3, 16, 10, 0, tzinfo=WITA)


def at_wita(day: int, month: int = 3, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=WITA)


def sweep_at(app: Flask, day: int, month: int = 3, hour: int = 10) -> None:
    """A sweep a few minutes after the hour (the plan was submitted at 10.00 and a moment)."""
    send_sweep(app, at_wita(day, month, hour, minute=5))


def to_minute(moment: datetime) -> datetime:
    return moment.astimezone(WITA).replace(second=0, microsecond=0)


def new_mail(smtp: SmtpSink, seen: int, expected: int) -> list[ReceivedEmail]:
    """Wait for `expected` more emails after the first `seen`; exactly that many."""
    received = smtp.wait_for(seen + expected)[seen:]
    assert len(received) == expected, [m.subject for m in received]
    return received


def test_submission_reminder_notice_and_escalation_across_idul_fitri(
    app_ctx: Flask, services: dict, users: dict
) -> None:
    smtp: SmtpSink = services["smtp"]
    users["head"].language = "en"  # the district head reads English
    plan = factories.complete_plan(users["drafter"])
    db.session.commit()

    # The browser logs in on that Monday too: its session cookie would not be valid before it
    # was signed.
    with time_machine.travel(SUBMITTED):
        response = act(client_as(app_ctx, "drafter.6301"), plan.id, "submit")
    assert response.status_code == 303, response.get_data(as_text=True)

    # Submitted: the reviewer, who must act now, is emailed.
    (submitted,) = new_mail(smtp, 0, 1)
    (row,) = outbox(plan.id)
    assert submitted.to == ("reviewer.6301@example.test",)
    assert submitted.outbox_id == row.id
    assert row.event == "submit"
    assert submitted.language == "id"
    assert "Tanah Laut" in submitted.subject
    assert "30 Maret 2026 10.00 WITA" in submitted.text  # the due time, past the holidays
    assert f"http://plans.example.org/plans/{plan.id}" in submitted.text

    steps = steps_of(plan.id)
    assert {name: to_minute(step.fire_at) for name, step in steps.items()} == {
        "reminder": at_wita(27),  # one working day before
        "due": at_wita(30),
        "escalation": at_wita(1, 4),  # two working days after
        "escalation_province": at_wita(7, 4),  # five, skipping Good Friday (3 April)
    }

    # Where the days would fall without the holidays (reminder 20 March, due 23, escalation
    # 25), a sweep finds nothing; on 27 March only the reminder is sent. The worker runs the
    # sweeps in order, so the reminder arriving alone shows the first sweep sent nothing.
    sweep_at(app_ctx, 26, hour=12)
    sweep_at(app_ctx, 27)
    (reminder,) = new_mail(smtp, 1, 1)
    assert reminder.to == ("reviewer.6301@example.test",)
    assert reminder.outbox_id == outbox(plan.id)[-1].id
    assert outbox(plan.id)[-1].event == "reminder"
    assert "30 Maret 2026 10.00 WITA" in reminder.text
    assert steps_of(plan.id)["due"].status == "pending"

    # The due time: the notice, to the reviewer again.
    sweep_at(app_ctx, 30)
    (notice,) = new_mail(smtp, 2, 1)
    assert notice.to == ("reviewer.6301@example.test",)
    assert outbox(plan.id)[-1].event == "due"
    assert notice.outbox_id == outbox(plan.id)[-1].id

    # Two working days late: escalated to the head of the district, in English.
    sweep_at(app_ctx, 1, 4)
    (escalation,) = new_mail(smtp, 3, 1)
    assert escalation.to == ("head.6301@example.test",)
    assert outbox(plan.id)[-1].event == "escalation"
    assert escalation.language == "en"
    assert escalation.subject.endswith("Tanah Laut: overdue by 2 working days")
    assert "30 March 2026 10.00 WITA" in escalation.text
    assert "District review" in escalation.text
    # …while the reviewer's Indonesian emails named the state in Indonesian.
    assert "Reviu Kabupaten/Kota" in notice.text
    assert "District review" not in notice.text

    assert {step.step: step.status for step in steps_of(plan.id).values()} == {
        "reminder": "done",
        "due": "done",
        "escalation": "done",
        "escalation_province": "pending",
    }
    # The worker marks a row sent just after the SMTP server took the message: wait for it.
    wait_until(
        lambda: {row.status for row in outbox(plan.id)} == {"sent"},
        what="every outbox row marked sent",
        details=lambda: str([(row.id, row.status) for row in outbox(plan.id)]),
    )
    # One email per step and recipient: nothing was sent twice.
    assert len(smtp.received) == len({mail.outbox_id for mail in smtp.received}) == 4
