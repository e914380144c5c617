"""An admin changes the working-day calendar and the deadlines follow at once: the due time of
a plan in review and its pending escalation steps move, counted again from the plan's entry
into its state; taking the change back moves them back. Plans outside the window stay."""

from __future__ import annotations

from datetime import date, datetime

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from tests import factories
from tests.conftest import csrf_token
from workflow_app.accounts.models import User
from workflow_app.deadlines.models import CalendarOverride, ScheduledStep
from workflow_app.engine.calendar import WITA
from workflow_app.extensions import db
from workflow_app.plans.models import ActionPlan

# Monday 16 March 2026, 10.00 WITA. The five working days of district review skip Nyepi
# (Thu 19) and the cuti bersama of Nyepi and Idul Fitri (Wed 18, Fri 20, Mon 23, Tue 24):
# Tue 17, Wed 25, Thu 26, Fri 27, Mon 30 — due Monday 30 March 10.00 WITA.
SUBMITTED = datetime(2026, 3, 16, 10, 0, tzinfo=WITA)
DUE = datetime(2026, 3, 30, 10, 0, tzinfo=WITA)
STEPS = {  # reminder −1, due 0, escalation +2, escalation_province +5 (Good Friday 3 April)
    "reminder": datetime(2026, 3, 27, 10, 0, tzinfo=WITA),
    "due": DUE,
    "escalation": datetime(2026, 4, 1, 10, 0, tzinfo=WITA),
    "escalation_province": datetime(2026, 4, 7, 10, 0, tzinfo=WITA),
}


class RecordingCelery:
    def __init__(self) -> None:
        self.sent: list[tuple[str, list[object]]] = []

    def send_task(self, name: str, args: list[object], **options: object) -> None:
        self.sent.append((name, list(args)))


@pytest.fixture(autouse=True)
def queue(app: Flask, monkeypatch: pytest.MonkeyPatch) -> RecordingCelery:
    recorder = RecordingCelery()
    monkeypatch.setitem(app.extensions, "celery", recorder)
    return recorder


@pytest.fixture
def plan(users: dict[str, User]) -> ActionPlan:
    with time_machine.travel(SUBMITTED, tick=False):
        submitted = factories.plan_in_state(users, "district_review")
    assert submitted.due_at == DUE
    return submitted


@pytest.fixture
def admin(app: Flask, users: dict[str, User]) -> FlaskClient:
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = str(users["admin"].id)
        session["_fresh"] = True
    return client


def _deadlines(plan_id: int) -> tuple[datetime | None, dict[str, datetime], int]:
    """Due time, pending steps by name, version: read from the database itself."""
    db.session.expire_all()
    plan = db.session.get(ActionPlan, plan_id)
    steps = db.session.scalars(
        select(ScheduledStep).where(
            ScheduledStep.subject_is("plan", plan_id), ScheduledStep.status == "pending"
        )
    )
    return plan.due_at, {s.step: s.fire_at for s in steps}, plan.version


def _change(client: FlaskClient, day: date, kind: str, note: str = "") -> int:
    token = csrf_token(client, "/admin/calendar?year=2026")
    response = client.post(
        "/admin/calendar/overrides",
        data={"csrf_token": token, "day": day.isoformat(), "kind": kind, "note": note},
    )
    return response.status_code


def _delete(client: FlaskClient, day: date) -> int:
    override_id = db.session.scalar(select(CalendarOverride.id).where(CalendarOverride.day == day))
    token = csrf_token(client, "/admin/calendar?year=2026")
    response = client.post(
        f"/admin/calendar/overrides/{override_id}/delete", data={"csrf_token": token}
    )
    return response.status_code


def test_a_day_off_inside_the_window_moves_the_deadline_and_its_steps(
    admin: FlaskClient, plan: ActionPlan
) -> None:
    _, _, version = _deadlines(plan.id)

    assert _change(admin, date(2026, 3, 17), "holiday", "Banjir") == 302

    due_at, steps, new_version = _deadlines(plan.id)
    assert due_at == datetime(2026, 3, 31, 10, 0, tzinfo=WITA)
    assert steps == {
        "reminder": datetime(2026, 3, 30, 10, 0, tzinfo=WITA),
        "due": datetime(2026, 3, 31, 10, 0, tzinfo=WITA),
        "escalation": datetime(2026, 4, 2, 10, 0, tzinfo=WITA),
        "escalation_province": datetime(2026, 4, 8, 10, 0, tzinfo=WITA),
    }
    # A moved deadline is not an edit: open forms on the plan do not turn stale.
    assert new_version == version
    page = admin.get("/admin/calendar?year=2026").get_data(as_text=True)
    assert "Banjir" in page
    assert "1 rencana aksi bergeser" in page


def test_deleting_the_change_moves_everything_back(admin: FlaskClient, plan: ActionPlan) -> None:
    assert _change(admin, date(2026, 3, 17), "holiday") == 302

    assert _delete(admin, date(2026, 3, 17)) == 302

    due_at, steps, _ = _deadlines(plan.id)
    assert due_at == DUE
    assert steps == STEPS
    assert db.session.scalar(select(CalendarOverride.id)) is None


def test_a_cuti_bersama_made_a_working_day_brings_the_deadline_forward(
    admin: FlaskClient, plan: ActionPlan
) -> None:
    assert _change(admin, date(2026, 3, 23), "working_day", "Cuti bersama dibatalkan") == 302

    due_at, steps, _ = _deadlines(plan.id)
    assert due_at == datetime(2026, 3, 27, 10, 0, tzinfo=WITA)
    assert steps["reminder"] == datetime(2026, 3, 26, 10, 0, tzinfo=WITA)
    assert steps["escalation"] == datetime(2026, 3, 31, 10, 0, tzinfo=WITA)


def test_plans_whose_window_does_not_contain_the_day_are_left_alone(
    admin: FlaskClient, plan: ActionPlan, users: dict[str, User]
) -> None:
    with time_machine.travel(datetime(2026, 4, 13, 10, 0, tzinfo=WITA), tick=False):
        later = factories.plan_in_state(users, "district_review")
    draft = factories.plan_in_state(users, "draft")
    before = _deadlines(later.id)

    assert _change(admin, date(2026, 3, 17), "holiday") == 302

    assert _deadlines(later.id) == before
    assert _deadlines(draft.id)[0] is None
    assert _deadlines(plan.id)[0] == datetime(2026, 3, 31, 10, 0, tzinfo=WITA)


def test_fired_steps_stay_fired(admin: FlaskClient, plan: ActionPlan) -> None:
    reminder = db.session.scalars(
        select(ScheduledStep).where(
            ScheduledStep.subject_is("plan", plan.id), ScheduledStep.step == "reminder"
        )
    ).one()
    reminder.status = "done"
    db.session.commit()

    assert _change(admin, date(2026, 3, 17), "holiday") == 302

    db.session.expire_all()
    reminder = db.session.get(ScheduledStep, reminder.id)
    assert reminder.status == "done" and reminder.fire_at == STEPS["reminder"]


def test_the_calendar_lists_the_years_holidays_in_indonesian(admin: FlaskClient) -> None:
    page = admin.get("/admin/calendar?year=2026").get_data(as_text=True)
    assert "Hari Raya Idul Fitri" in page
    assert "Cuti Bersama Hari Raya Idul Fitri" in page
    assert "Hari Suci Nyepi" in page
    # A package holiday on a weekday can be made a working day from its row.
    row = page[page.index('id="day-2026-03-23"') :]
    assert "Jadikan hari kerja" in row[: row.index("</tr>")]


@pytest.mark.parametrize(
    ("day", "kind", "message"),
    [
        ("2026-03-21", "holiday", "sudah merupakan hari libur"),  # Saturday (and Idul Fitri)
        ("2026-03-17", "working_day", "bukan hari libur seperti itu"),  # already a working day
        ("", "holiday", "wajib diisi"),
        ("17-03-2026", "holiday", "Tanggal tidak valid."),
    ],
)
def test_an_impossible_change_is_refused_next_to_the_date(
    admin: FlaskClient, plan: ActionPlan, day: str, kind: str, message: str
) -> None:
    token = csrf_token(admin, "/admin/calendar?year=2026")
    response = admin.post(
        "/admin/calendar/overrides",
        data={"csrf_token": token, "day": day, "kind": kind, "note": "x"},
    )

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    assert f'value="{day}"' in page or not day
    assert db.session.scalar(select(CalendarOverride.id)) is None
    assert _deadlines(plan.id)[1] == STEPS


def test_a_second_change_of_the_same_day_is_refused(admin: FlaskClient, plan: ActionPlan) -> None:
    assert _change(admin, date(2026, 3, 17), "holiday") == 302
    assert _change(admin, date(2026, 3, 17), "holiday") == 400
    assert _deadlines(plan.id)[0] == datetime(2026, 3, 31, 10, 0, tzinfo=WITA)


def test_only_an_admin_changes_the_calendar(
    app: Flask, users: dict[str, User], plan: ActionPlan
) -> None:
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = str(users["provincial"].id)
    token = csrf_token(client, "/tasks")
    response = client.post(
        "/admin/calendar/overrides",
        data={"csrf_token": token, "day": "2026-03-17", "kind": "holiday", "note": ""},
    )
    assert response.status_code == 403
    assert _deadlines(plan.id)[0] == DUE
