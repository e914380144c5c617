"""Monitoring: approved plans enter monitoring when their period begins, each ended quarter
opens a report due ten working days later, and the report moves due → submitted → verified
(or returned) through the same checks, history, deadlines and emails as a plan."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from tests import factories
from tests.db.test_scheduling import Clock, wita
from workflow_app.accounts.system import SYSTEM_USERNAME, system_user
from workflow_app.deadlines import operations as calendar_ops
from workflow_app.deadlines.models import ScheduledStep
from workflow_app.deadlines.sweep import run_sweep
from workflow_app.engine import (
    CommentRequired,
    GuardFailed,
    InvalidInput,
    NotAllowedFromState,
    OutOfScope,
    RoleNotAllowed,
    StaleObject,
)
from workflow_app.engine.calendar import WITA
from workflow_app.extensions import db
from workflow_app.history import CaseTransition
from workflow_app.monitoring import operations as reports
from workflow_app.monitoring.models import ProgressReport, ReportAttachment
from workflow_app.monitoring.quarters import Quarter
from workflow_app.monitoring.rounds import run_round
from workflow_app.notifications.models import Notification
from workflow_app.notifications.rendering import render_notification
from workflow_app.plans import operations as plan_ops
from workflow_app.plans.models import ActionPlan
from workflow_app.unit_of_work import unit_of_work

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489")


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    # Wednesday 15 July 2026, 10.00 WITA: in the third quarter.
    return Clock(monkeypatch, wita(date(2026, 7, 15)))


@pytest.fixture
def approved(users: dict, clock: Clock) -> ActionPlan:
    plan = factories.plan_in_state(users, "approved")
    db.session.commit()
    return plan


@pytest.fixture
def monitored(users: dict, approved: ActionPlan) -> ActionPlan:
    run_round()
    db.session.refresh(approved)
    assert approved.state == "monitored"
    return approved


def report_of(plan: ActionPlan, quarter: Quarter) -> ProgressReport:
    return db.session.scalars(
        select(ProgressReport).where(
            ProgressReport.plan_id == plan.id,
            ProgressReport.year == quarter.year,
            ProgressReport.quarter == quarter.number,
        )
    ).one()


def outbox(event: str | None = None) -> list[Notification]:
    query = select(Notification).order_by(Notification.id)
    if event:
        query = query.where(Notification.event == event)
    return list(db.session.scalars(query))


def recipients(rows: list[Notification]) -> list[str]:
    return sorted(row.recipient.username for row in rows)


def fill_in(users: dict, report: ProgressReport, progress: str = "45", spent: int = 540_000_000):
    with unit_of_work():
        reports.save_report(
            users["drafter"],
            report,
            expected_version=report.version,
            lines=[
                reports.LineData(
                    activity_id=line.activity_id,
                    physical_progress=Decimal(progress),
                    spent=spent,
                    output_achieved=Decimal(500),
                    obstacles="Tender ulang",
                    follow_up="Percepat lelang",
                )
                for line in report.lines
            ],
        )


def act(users: dict, who: str, report: ProgressReport, trigger: str, comment: str | None = None):
    with unit_of_work():
        reports.report_transition(users[who], report, trigger, comment=comment)


# --- monitoring starts --------------------------------------------------------------------------


def test_an_approved_plan_enters_monitoring_by_itself_once_its_period_has_begun(
    users: dict, approved: ActionPlan
) -> None:
    later = factories.plan_in_state(users, "approved")
    later.period_start, later.period_end = 2027, 2031  # test data: a plan for a later period
    db.session.commit()

    result = run_round()

    assert result.started == [approved.id]
    db.session.refresh(approved)
    db.session.refresh(later)
    assert (approved.state, later.state) == ("monitored", "approved")
    last = approved.history[-1]
    assert (last.trigger, last.actor.username, last.role) == (
        "start_monitoring",
        SYSTEM_USERNAME,
        "system",
    )
    assert last.comment  # the reason is written in the history
    # The district hears that reports will now be due every quarter.
    assert {"drafter.6301", "reviewer.6301"} <= set(recipients(outbox("start_monitoring")))
    # A second round changes nothing.
    assert run_round().started == []


def test_the_system_account_cannot_log_in_and_holds_no_assignable_role(
    app_ctx: Flask, users: dict
) -> None:
    account = system_user()
    db.session.commit()
    assert not account.is_active
    assert not account.check_password("")
    assert not account.check_password(SYSTEM_USERNAME)
    client = app_ctx.test_client()
    from tests.conftest import csrf_token

    token = csrf_token(client, "/login")
    response = client.post(
        "/login", data={"username": SYSTEM_USERNAME, "password": "x" * 12, "csrf_token": token}
    )
    assert response.status_code != 302


def test_the_provincial_reviewer_may_start_monitoring_by_hand_but_a_district_may_not(
    users: dict, approved: ActionPlan
) -> None:
    with pytest.raises(RoleNotAllowed), unit_of_work():
        plan_ops.transition(users["reviewer"], approved, "start_monitoring")
    with unit_of_work():
        plan_ops.transition(users["provincial"], approved, "start_monitoring")
    assert approved.state == "monitored"


# --- reports open when a quarter ends -----------------------------------------------------------


def test_a_report_opens_when_the_quarter_ends_due_ten_working_days_later(
    users: dict, monitored: ActionPlan, clock: Clock
) -> None:
    assert run_round().opened == []  # the third quarter has not ended yet

    clock.set(wita(date(2026, 10, 1), 7))
    assert run_round().opened == [(monitored.id, "TW III 2026")]

    report = report_of(monitored, Quarter(2026, 3))
    assert report.state == "due"
    # Ten working days after Wednesday 30 September: Wednesday 14 October, end of the day.
    assert report.due_at == datetime(2026, 10, 14, 23, 59, 59, tzinfo=WITA)
    # One line per activity scheduled in 2026, with that year's budget.
    assert [(line.activity.title, line.budget) for line in report.lines] == [
        ("Layanan LLTT", 850_000_000)
    ]
    opened = report.history[0]
    assert (opened.trigger, opened.to_state, opened.actor.username) == ("open", "due", "sistem")
    assert recipients(outbox("report_open")) == ["drafter.6301"]
    steps = db.session.scalars(
        select(ScheduledStep.step).where(ScheduledStep.subject_is("report", report.id))
    ).all()
    assert sorted(steps) == ["due", "escalation", "escalation_province", "reminder"]
    # The plan's own history is not mixed with the report's rows.
    assert all(row.subject_kind == "plan" for row in monitored.history)

    assert run_round().opened == []  # idempotent


def test_a_report_opened_late_keeps_the_deadline_of_its_quarter(
    users: dict, monitored: ActionPlan, clock: Clock
) -> None:
    clock.set(wita(date(2026, 10, 20)))  # the beat was down for three weeks
    run_round()
    report = report_of(monitored, Quarter(2026, 3))
    assert report.due_at.date() == date(2026, 10, 14)


def test_only_quarters_ending_after_monitoring_began_are_asked_for(
    users: dict, monitored: ActionPlan, clock: Clock
) -> None:
    clock.set(wita(date(2027, 4, 2)))
    opened = run_round().opened
    assert [label for _, label in opened] == ["TW III 2026", "TW IV 2026", "TW I 2027"]


def test_the_second_report_of_a_year_carries_over_the_cumulative_figures(
    users: dict, monitored: ActionPlan, clock: Clock
) -> None:
    clock.set(wita(date(2026, 10, 1)))
    run_round()
    third = report_of(monitored, Quarter(2026, 3))
    fill_in(users, third)
    clock.set(wita(date(2027, 1, 2)))
    run_round()
    fourth = report_of(monitored, Quarter(2026, 4))
    line = fourth.lines[0]
    assert (line.physical_progress, line.spent, line.obstacles) == (Decimal(45), 540_000_000, "")


# --- filling in and the workflow ----------------------------------------------------------------


@pytest.fixture
def due_report(users: dict, monitored: ActionPlan, clock: Clock) -> ProgressReport:
    clock.set(wita(date(2026, 10, 1)))
    run_round()
    db.session.commit()
    return report_of(monitored, Quarter(2026, 3))


def test_the_quarterly_story_submit_return_resubmit_verify(
    users: dict, due_report: ProgressReport, clock: Clock
) -> None:
    with pytest.raises(GuardFailed) as refused, unit_of_work():
        reports.report_transition(users["drafter"], due_report, "submit")
    assert refused.value.problems[0].anchor == f"line-{due_report.lines[0].activity_id}"
    assert due_report.state == "due"

    fill_in(users, due_report)
    assert due_report.lines[0].spent_percent == Decimal("63.5")  # 540 of 850 million
    act(users, "drafter", due_report, "submit")
    assert due_report.state == "submitted"
    assert due_report.submitted_at is not None
    assert recipients(outbox("report_submit")) == ["provincial.63", "reviewer.6301"]

    with pytest.raises(NotAllowedFromState), unit_of_work():
        reports.save_report(users["drafter"], due_report, expected_version=None, lines=[])
    with pytest.raises(CommentRequired), unit_of_work():
        reports.report_transition(users["provincial"], due_report, "return")
    act(users, "provincial", due_report, "return", "Lampirkan foto progres")
    assert due_report.state == "returned"
    assert recipients(outbox("report_return")) == ["drafter.6301"]
    # Five working days to correct it, from now.
    assert due_report.due_at.date() == date(2026, 10, 8)

    act(users, "drafter", due_report, "submit")
    act(users, "provincial", due_report, "verify")
    assert due_report.state == "verified"
    assert due_report.due_at is None
    assert {"drafter.6301", "head.6301", "reviewer.6301"} <= set(
        recipients(outbox("report_verify"))
    )
    trail = [(r.trigger, r.to_state) for r in due_report.history]
    assert trail == [
        ("open", "due"),
        ("submit", "submitted"),
        ("return", "returned"),
        ("submit", "submitted"),
        ("verify", "verified"),
    ]
    # Nothing is left to chase.
    assert not db.session.scalars(
        select(ScheduledStep).where(
            ScheduledStep.subject_is("report", due_report.id), ScheduledStep.status == "pending"
        )
    ).all()


def test_a_stale_save_is_refused_and_changes_nothing(
    users: dict, due_report: ProgressReport
) -> None:
    old_version = due_report.version
    fill_in(users, due_report, progress="10")
    with pytest.raises(StaleObject), unit_of_work():
        reports.save_report(
            users["drafter"],
            due_report,
            expected_version=old_version,
            lines=[reports.LineData(due_report.lines[0].activity_id, Decimal(99), 1)],
        )
    db.session.refresh(due_report)
    assert due_report.lines[0].physical_progress == Decimal(10)


@pytest.mark.parametrize(
    ("progress", "spent"), [(Decimal(150), 1), (Decimal(-1), 1), (Decimal(50), -5)]
)
def test_impossible_figures_are_refused(
    users: dict, due_report: ProgressReport, progress: Decimal, spent: int
) -> None:
    with pytest.raises(InvalidInput), unit_of_work():
        reports.save_report(
            users["drafter"],
            due_report,
            expected_version=due_report.version,
            lines=[reports.LineData(due_report.lines[0].activity_id, progress, spent)],
        )
    db.session.refresh(due_report)
    assert due_report.lines[0].physical_progress is None


def test_other_people_cannot_fill_in_or_see_the_report(
    users: dict, due_report: ProgressReport
) -> None:
    with pytest.raises(OutOfScope):
        reports.load_visible_report(users["other_drafter"], due_report.id)
    with pytest.raises(RoleNotAllowed), unit_of_work():
        reports.save_report(users["reviewer"], due_report, expected_version=None, lines=[])
    with pytest.raises(OutOfScope), unit_of_work():
        reports.report_transition(users["other_reviewer"], due_report, "submit")
    # A partner reads the report once the province has verified it, not before.
    with pytest.raises(OutOfScope):
        reports.load_visible_report(users["partner"], due_report.id)
    fill_in(users, due_report)
    act(users, "drafter", due_report, "submit")
    act(users, "provincial", due_report, "verify")
    assert reports.load_visible_report(users["partner"], due_report.id) is due_report


# --- deadlines: reminders, escalation, calendar changes ---------------------------------------


def test_a_late_report_is_chased_like_a_late_plan(users: dict, due_report: ProgressReport) -> None:
    fired = run_sweep(wita(date(2026, 10, 10)))  # three working days before the due day
    assert [(f.step, f.facts["quarter"]) for f in fired] == [("reminder", "TW III 2026")]
    assert recipients(outbox("reminder")) == ["drafter.6301"]

    fired = run_sweep(wita(date(2026, 10, 17)))  # two working days late
    assert [f.step for f in fired] == ["due", "escalation"]
    assert recipients(outbox("escalation")) == ["head.6301", "reviewer.6301"]

    email = render_notification(outbox("escalation")[0])
    assert "TW III 2026" in email.subject
    assert f"/reports/{due_report.id}" in email.text
    assert "Tanah Laut" in email.text


def test_closing_the_plan_stops_the_chase_of_its_reports(
    users: dict, due_report: ProgressReport
) -> None:
    plan = due_report.plan
    with unit_of_work():
        plan_ops.transition(users["provincial_head"], plan, "close")
    assert run_sweep(wita(date(2026, 12, 31))) == []


def test_a_holiday_declared_later_moves_the_report_deadline(
    users: dict, due_report: ProgressReport
) -> None:
    with unit_of_work():
        moved = calendar_ops.add_holiday(users["admin"], date(2026, 10, 12), "Libur daerah")
    assert moved.plans >= 1
    db.session.refresh(due_report)
    assert due_report.due_at.date() == date(2026, 10, 15)


# --- evidence -----------------------------------------------------------------------------------


def attach(users: dict, report: ProgressReport, name: str, data: bytes) -> ReportAttachment:
    with unit_of_work():
        return reports.add_attachment(
            users["drafter"], report, line_id=report.lines[0].id, filename=name, data=data
        )


def test_evidence_is_stored_under_a_generated_name_inside_the_attachments_folder(
    app_ctx: Flask, users: dict, due_report: ProgressReport
) -> None:
    attachment = attach(users, due_report, "../../etc/Berita Acara.pdf", PDF)
    folder = Path(app_ctx.config["ATTACHMENTS_DIR"])
    stored = folder / attachment.stored_name
    assert stored.read_bytes() == PDF
    assert stored.resolve().parent == folder.resolve()
    assert attachment.original_name == "Berita Acara.pdf"
    assert attachment.stored_name.endswith(".pdf") and "Berita" not in attachment.stored_name
    assert attachment.content_type == "application/pdf"


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("foto.pdf", PNG),  # an image under a PDF name
        ("laporan.pdf", b"MZ\x90\x00 not a pdf at all"),  # a program under a PDF name
        ("laporan.pdf", b""),
        ("skrip.html", b"<script>alert(1)</script>"),
        ("", PDF),
    ],
)
def test_bad_evidence_is_refused_and_nothing_is_stored(
    app_ctx: Flask, users: dict, due_report: ProgressReport, name: str, data: bytes
) -> None:
    folder = Path(app_ctx.config["ATTACHMENTS_DIR"])
    before = set(folder.glob("*")) if folder.exists() else set()
    with pytest.raises(InvalidInput):
        attach(users, due_report, name, data)
    assert set(folder.glob("*")) == before
    assert db.session.scalars(select(ReportAttachment)).all() == []


def test_oversized_evidence_is_refused(
    app_ctx: Flask, users: dict, due_report: ProgressReport, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app_ctx.config, "ATTACHMENT_MAX_BYTES", 100)
    with pytest.raises(InvalidInput) as refused:
        attach(users, due_report, "besar.pdf", PDF + b"0" * 200)
    assert "besar.pdf" in refused.value.message


def test_a_file_written_for_a_change_that_rolls_back_is_deleted(
    app_ctx: Flask, users: dict, due_report: ProgressReport
) -> None:
    folder = Path(app_ctx.config["ATTACHMENTS_DIR"])
    before = set(folder.glob("*"))
    with pytest.raises(RuntimeError), unit_of_work():
        reports.add_attachment(
            users["drafter"], due_report, line_id=None, filename="a.pdf", data=PDF
        )
        assert len(set(folder.glob("*")) - before) == 1
        raise RuntimeError("the commit never happens")
    assert set(folder.glob("*")) == before


def test_removing_evidence_deletes_the_file_after_the_commit(
    app_ctx: Flask, users: dict, due_report: ProgressReport
) -> None:
    attachment = attach(users, due_report, "a.pdf", PDF)
    path = Path(app_ctx.config["ATTACHMENTS_DIR"]) / attachment.stored_name
    with unit_of_work():
        reports.remove_attachment(users["drafter"], due_report, attachment.id)
    assert not path.exists()


def test_a_report_history_row_is_append_only(users: dict, due_report: ProgressReport) -> None:
    row = db.session.scalars(
        select(CaseTransition).where(CaseTransition.subject_is("report", due_report.id))
    ).first()
    row.comment = "rewritten"
    with pytest.raises(PermissionError):
        db.session.flush()
    db.session.rollback()


def test_the_monitoring_command_runs_a_round_at_a_given_time(
    app_ctx: Flask, users: dict, approved: ActionPlan
) -> None:
    runner = app_ctx.test_cli_runner()
    first = runner.invoke(args=["monitoring", "run", "--at", "2026-07-15T09:00"])
    assert first.exit_code == 0, first.output
    assert f"plan {approved.id}: monitoring started" in first.output
    db.session.rollback()
    # The plan entered monitoring at the clock's time (15 July): the third quarter ends later.
    second = runner.invoke(args=["monitoring", "run", "--at", "2026-10-01T08:00"])
    assert f"plan {approved.id}: report TW III 2026 opened" in second.output
    again = runner.invoke(args=["monitoring", "run", "--at", "2026-10-01T08:00"])
    assert "0 plan(s) started, 0 report(s) opened" in again.output
    bad = runner.invoke(args=["monitoring", "run", "--at", "kemarin"])
    assert bad.exit_code == 2 and "not an ISO time" in bad.output
