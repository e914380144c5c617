"""The quarterly story with the real things: an approved plan enters monitoring, the worker
opens the third quarter's report when the quarter ends, reminds the drafter, and every step
of submit → return → resubmit → verify emails the right people through a real SMTP server."""

from __future__ import annotations

from datetime import datetime

import time_machine
from flask import Flask
from sqlalchemy import delete, select

from tests import factories
from workflow_app.engine.calendar import WITA
from workflow_app.extensions import db
from workflow_app.monitoring import operations as reports
from workflow_app.monitoring.models import ProgressReport
from workflow_app.monitoring.rounds import run_round
from workflow_app.notifications.models import Notification
from workflow_app.notifications.outbox import take_new_ids
from workflow_app.unit_of_work import unit_of_work

from .flows import outbox, send_sweep
from .support import ReceivedEmail, SmtpSink

MONITORING_TASK = "workflow_app.monitoring.round"


def new_mail(smtp: SmtpSink, seen: int, expected: int) -> list[ReceivedEmail]:
    received = smtp.wait_for(seen + expected)[seen:]
    assert len(received) == expected, [m.subject for m in received]
    return received


def addressees(mails: list[ReceivedEmail]) -> list[str]:
    return sorted(address for mail in mails for address in mail.to)


def act(user: object, report_id: int, trigger: str, comment: str | None = None) -> None:
    db.session.rollback()
    with unit_of_work():
        report = db.session.get(ProgressReport, report_id)
        reports.report_transition(user, report, trigger, comment=comment)


def test_a_quarter_from_its_end_to_the_verified_report(
    app_ctx: Flask, services: dict, users: dict
) -> None:
    smtp: SmtpSink = services["smtp"]
    plan = factories.plan_in_state(users, "approved")
    db.session.commit()
    # The approval's own emails are not this story's: never queued, and dropped, so that no
    # pending row is left for the worker to wait on after the test.
    take_new_ids()
    db.session.execute(delete(Notification))
    db.session.commit()
    seen = len(smtp.received)

    # Mid-July 2026: the round (beat's, run here at that date) starts monitoring the plan.
    with time_machine.travel(datetime(2026, 7, 15, 9, 0, tzinfo=WITA)):
        assert run_round().started == [plan.id]
    started = new_mail(smtp, seen, 3)
    assert addressees(started) == [
        "drafter.6301@example.test",
        "provincial.63@example.test",
        "reviewer.6301@example.test",
    ]
    seen += 3

    # 1 October: the worker's round opens the third quarter's report; the drafter hears it is
    # due, by 14 October (ten working days after the quarter).
    app = app_ctx
    app.extensions["celery"].send_task(MONITORING_TASK, kwargs={"at": "2026-10-01T07:00:00+08:00"})
    (opened,) = new_mail(smtp, seen, 1)
    seen += 1
    report = db.session.scalars(
        select(ProgressReport).where(ProgressReport.plan_id == plan.id)
    ).one()
    assert opened.to == ("drafter.6301@example.test",)
    assert "TW III 2026" in opened.subject
    assert "14 Oktober 2026" in opened.text
    assert f"http://plans.example.org/reports/{report.id}" in opened.text
    assert outbox(plan.id)[-1].event == "report_open"

    # Three working days before the deadline: the reminder.
    send_sweep(app, datetime(2026, 10, 10, 9, 0, tzinfo=WITA))
    (reminder,) = new_mail(smtp, seen, 1)
    seen += 1
    assert reminder.to == ("drafter.6301@example.test",)
    assert outbox(plan.id)[-1].event == "reminder"

    # The drafter fills it in and submits: the province must verify, the reviewer is told.
    db.session.rollback()
    report = db.session.get(ProgressReport, report.id)
    with unit_of_work():
        reports.save_report(
            users["drafter"],
            report,
            expected_version=report.version,
            lines=[
                reports.LineData(line.activity_id, physical_progress=45, spent=540_000_000)
                for line in report.lines
            ],
        )
    act(users["drafter"], report.id, "submit")
    assert addressees(new_mail(smtp, seen, 2)) == [
        "provincial.63@example.test",
        "reviewer.6301@example.test",
    ]
    seen += 2

    # Returned with a comment: back to the drafter, who reads the comment in the email.
    act(users["provincial"], report.id, "return", "Lampirkan berita acara kemajuan fisik.")
    (returned,) = new_mail(smtp, seen, 1)
    seen += 1
    assert returned.to == ("drafter.6301@example.test",)
    assert "Lampirkan berita acara kemajuan fisik." in returned.text

    act(users["drafter"], report.id, "submit")
    seen += len(new_mail(smtp, seen, 2))
    act(users["provincial"], report.id, "verify")
    verified = new_mail(smtp, seen, 3)
    assert addressees(verified) == [
        "drafter.6301@example.test",
        "head.6301@example.test",
        "reviewer.6301@example.test",
    ]
    assert all("TW III 2026" in mail.subject for mail in verified)
    # One email per outbox row: nothing was sent twice.
    received = smtp.wait_for(seen + 3)
    assert len({mail.outbox_id for mail in received}) == len(received)
