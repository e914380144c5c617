"""Entering a state with a deadline sets the plan's due time and schedules its escalation
steps, in working days; leaving it cancels the steps not yet fired; each transition writes the
emails of the people concerned into the outbox, in the same transaction."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from tests import factories
from workflow_app import clock as app_clock
from workflow_app.accounts.models import User
from workflow_app.deadlines.models import CalendarOverride, ScheduledStep
from workflow_app.engine import GuardFailed
from workflow_app.engine.calendar import WITA
from workflow_app.extensions import db
from workflow_app.history import CaseTransition
from workflow_app.notifications.models import Notification
from workflow_app.plans import operations as ops
from workflow_app.plans.models import ActionPlan
from workflow_app.unit_of_work import unit_of_work


class Clock:
    """The application's clock (`workflow_app.clock.utcnow`), held still and moved by hand."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, at: datetime) -> None:
        self.at = at
        clock = self

        class _Frozen(datetime):
            @classmethod
            def now(cls, tz: object = None) -> datetime:  # type: ignore[override]
                return clock.at.astimezone(UTC)

        monkeypatch.setattr(app_clock, "datetime", _Frozen)

    def set(self, at: datetime) -> None:
        self.at = at


def wita(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=WITA)


# Monday 2 March 2026, 10.00 WITA: an ordinary fortnight follows.
MONDAY = wita(date(2026, 3, 2))


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch, MONDAY)


def steps_of(plan: ActionPlan) -> list[tuple[int, str, str, str, datetime]]:
    """(entry id, state, step, status, fire time in WITA) of every step of `plan`."""
    rows = db.session.scalars(
        select(ScheduledStep)
        .where(ScheduledStep.subject_is("plan", plan.id))
        .order_by(ScheduledStep.id)
    )
    return [(r.entry_id, r.state, r.step, r.status, r.fire_at.astimezone(WITA)) for r in rows]


def pending(plan: ActionPlan) -> dict[str, datetime]:
    return {step: at for _, _, step, status, at in steps_of(plan) if status == "pending"}


def entry_of(plan: ActionPlan) -> int:
    """The history row that entered the plan's current state."""
    return db.session.scalars(
        select(CaseTransition.id)
        .where(CaseTransition.chain_id == plan.id)
        .order_by(CaseTransition.id.desc())
        .limit(1)
    ).one()


def outbox() -> list[Notification]:
    return list(db.session.scalars(select(Notification).order_by(Notification.id)))


def recipients(rows: list[Notification]) -> list[str]:
    return sorted(row.recipient.username for row in rows)


def act(users: dict, who: str, plan: ActionPlan, trigger: str, comment: str | None = None) -> None:
    with unit_of_work():
        ops.transition(users[who], plan, trigger, comment=comment)


@pytest.fixture
def draft(users: dict, clock: Clock) -> ActionPlan:
    plan = factories.complete_plan(users["drafter"])
    db.session.commit()
    return plan


# --- due time and steps -------------------------------------------------------------------


def test_a_draft_has_no_due_time_and_no_steps(draft: ActionPlan) -> None:
    assert draft.due_at is None
    assert steps_of(draft) == []


def test_submitting_sets_the_due_time_five_working_days_later(
    users: dict, draft: ActionPlan
) -> None:
    act(users, "drafter", draft, "submit")

    assert draft.due_at == wita(date(2026, 3, 9))
    assert draft.due_at.tzinfo is not None
    assert pending(draft) == {
        "reminder": wita(date(2026, 3, 6)),  # Friday, a working day before
        "due": wita(date(2026, 3, 9)),
        "escalation": wita(date(2026, 3, 11)),  # two working days after: to the head
        "escalation_province": wita(date(2026, 3, 16)),  # five after: to the province
    }
    entry = entry_of(draft)
    assert {(e, state) for e, state, *_ in steps_of(draft)} == {(entry, "district_review")}


def test_idul_fitri_inside_the_window_moves_every_date(
    users: dict, draft: ActionPlan, clock: Clock
) -> None:
    # Submitted Monday 16 March 2026: 18–24 March are Nyepi and Idul Fitri with their cuti
    # bersama, and 3 April is Good Friday.
    clock.set(wita(date(2026, 3, 16), 14, 30))
    act(users, "drafter", draft, "submit")

    assert draft.due_at == wita(date(2026, 3, 30), 14, 30)
    assert pending(draft) == {
        "reminder": wita(date(2026, 3, 27), 14, 30),
        "due": wita(date(2026, 3, 30), 14, 30),
        "escalation": wita(date(2026, 4, 1), 14, 30),
        "escalation_province": wita(date(2026, 4, 7), 14, 30),
    }


def test_a_day_off_declared_by_an_admin_moves_every_date(users: dict, draft: ActionPlan) -> None:
    db.session.add(CalendarOverride(day=date(2026, 3, 4), is_holiday=True, note="Banjir"))
    db.session.commit()

    act(users, "drafter", draft, "submit")

    assert draft.due_at == wita(date(2026, 3, 10))
    assert pending(draft) == {
        "reminder": wita(date(2026, 3, 9)),
        "due": wita(date(2026, 3, 10)),
        "escalation": wita(date(2026, 3, 12)),
        "escalation_province": wita(date(2026, 3, 17)),
    }


def test_a_package_holiday_made_a_working_day_shortens_the_wait(
    users: dict, draft: ActionPlan, clock: Clock
) -> None:
    db.session.add(CalendarOverride(day=date(2026, 3, 20), is_holiday=False, note="Masuk"))
    db.session.commit()
    clock.set(wita(date(2026, 3, 16), 14, 30))

    act(users, "drafter", draft, "submit")

    # 17, 20, 25, 26, 27 March.
    assert draft.due_at == wita(date(2026, 3, 27), 14, 30)


def test_submitting_on_a_saturday_counts_from_monday_morning(
    users: dict, draft: ActionPlan, clock: Clock
) -> None:
    clock.set(wita(date(2026, 3, 7), 16))
    act(users, "drafter", draft, "submit")

    assert draft.due_at == wita(date(2026, 3, 16), 8)
    assert pending(draft)["reminder"] == wita(date(2026, 3, 13), 8)


def test_leaving_the_state_cancels_its_pending_steps_and_schedules_the_next(
    users: dict, draft: ActionPlan, clock: Clock
) -> None:
    act(users, "drafter", draft, "submit")
    review_entry = entry_of(draft)
    clock.set(wita(date(2026, 3, 4), 9))

    act(users, "reviewer", draft, "forward")

    sync_entry = entry_of(draft)
    assert draft.state == "provincial_sync"
    # 10 working days; Nyepi and Idul Fitri (18–24 March) fall inside the window.
    assert draft.due_at == wita(date(2026, 3, 25), 9)
    by_entry = {(e, step): status for e, _, step, status, _ in steps_of(draft)}
    assert {k: v for k, v in by_entry.items() if k[0] == review_entry} == {
        (review_entry, "reminder"): "cancelled",
        (review_entry, "due"): "cancelled",
        (review_entry, "escalation"): "cancelled",
        (review_entry, "escalation_province"): "cancelled",
    }
    assert pending(draft) == {
        "reminder": wita(date(2026, 3, 16), 9),  # two working days before: Tuesday 17, Monday 16
        "due": wita(date(2026, 3, 25), 9),
        "escalation": wita(date(2026, 3, 30), 9),
    }
    assert {e for e, *_, status, _ in steps_of(draft) if status == "pending"} == {sync_entry}


def test_returning_and_resubmitting_schedules_the_new_stay_afresh(
    users: dict, draft: ActionPlan, clock: Clock
) -> None:
    act(users, "drafter", draft, "submit")
    first_entry = entry_of(draft)
    clock.set(wita(date(2026, 3, 3), 11))
    act(users, "reviewer", draft, "return", "Lengkapi baseline")
    returned_entry = entry_of(draft)
    assert draft.due_at == wita(date(2026, 3, 17), 11)  # 10 working days
    assert set(pending(draft)) == {"reminder", "due", "escalation", "escalation_province"}

    clock.set(wita(date(2026, 3, 5), 15))
    act(users, "drafter", draft, "submit")

    second_entry = entry_of(draft)
    assert len({first_entry, returned_entry, second_entry}) == 3
    assert draft.due_at == wita(date(2026, 3, 12), 15)
    statuses = {(e, step): status for e, _, step, status, _ in steps_of(draft)}
    assert {k: v for k, v in statuses.items() if k[0] == second_entry} == {
        (second_entry, name): "pending"
        for name in ("reminder", "due", "escalation", "escalation_province")
    }
    # Every step of the first stay in review and of the stay in `returned` is cancelled.
    assert all(status == "cancelled" for (e, _), status in statuses.items() if e != second_entry)
    assert len(statuses) == 4 + 4 + 4


@pytest.mark.parametrize("state", ["approved", "monitored", "closed", "withdrawn"])
def test_a_state_without_deadline_clears_the_due_time(users: dict, state: str) -> None:
    plan = factories.plan_in_state(users, state)
    assert plan.due_at is None
    assert pending(plan) == {}
    assert steps_of(plan) == [] or all(status == "cancelled" for *_, status, _ in steps_of(plan))


def test_a_refused_transition_schedules_and_writes_nothing(users: dict, clock: Clock) -> None:
    incomplete = ops.create_plan(
        users["drafter"],
        factories.regions()["6301"],
        title="Kosong",
        period_start=2025,
        period_end=2029,
    )
    db.session.commit()

    with pytest.raises(GuardFailed), unit_of_work():
        ops.transition(users["drafter"], incomplete, "submit")

    db.session.expire_all()
    assert incomplete.state == "draft" and incomplete.due_at is None
    assert steps_of(incomplete) == []
    assert outbox() == []


# --- outbox rows written by each transition -------------------------------------------------


@pytest.fixture
def more_people(users: dict) -> dict[str, User]:
    """A second provincial reviewer, an English-speaking district head, and people of the
    other district holding every district role."""
    people = {
        "provincial_b": factories.user("provincial.b", ("provincial_reviewer", "63")),
        "head_en": factories.user("head.en", ("district_head", "6301"), language="en"),
        "other_head": factories.user("head.6304", ("district_head", "6304")),
    }
    db.session.commit()
    return people


def rows_of(trigger: str) -> list[Notification]:
    return [row for row in outbox() if row.event == trigger]


OTHER_DISTRICT = {"drafter.6304", "reviewer.6304", "head.6304"}


def test_submitting_emails_the_district_reviewer_only(
    users: dict, draft: ActionPlan, more_people: dict
) -> None:
    act(users, "drafter", draft, "submit")

    rows = rows_of("submit")
    assert recipients(rows) == ["reviewer.6301"]
    [row] = rows
    assert (row.subject_id, row.step_id, row.status) == (draft.id, None, "pending")
    assert row.to_address == "reviewer.6301@example.test"
    assert row.language == "id"
    facts = row.payload
    assert facts["plan_id"] == draft.id
    assert facts["plan_title"] == "Rencana Aksi"
    assert (facts["region_code"], facts["region_name"]) == ("6301", "Tanah Laut")
    assert (facts["from_state"], facts["to_state"], facts["state"]) == (
        "draft",
        "district_review",
        "district_review",
    )
    assert facts["trigger"] == "submit"
    assert facts["actor_name"] == str(users["drafter"])
    assert datetime.fromisoformat(facts["due_at"]) == wita(date(2026, 3, 9))
    assert datetime.fromisoformat(facts["at"]) == MONDAY


def test_forwarding_emails_every_provincial_reviewer(
    users: dict, draft: ActionPlan, more_people: dict
) -> None:
    act(users, "drafter", draft, "submit")
    act(users, "reviewer", draft, "forward")

    assert recipients(rows_of("forward")) == ["provincial.63", "provincial.b"]


def test_a_return_from_district_review_emails_the_drafter_once_with_the_comment(
    users: dict, draft: ActionPlan, more_people: dict
) -> None:
    act(users, "drafter", draft, "submit")
    act(users, "reviewer", draft, "return", "Lengkapi baseline")

    # The drafter owns `returned` and is also informed: one email, not two. The reviewer
    # acted, and is not told about it.
    rows = rows_of("return")
    assert recipients(rows) == ["drafter.6301"]
    assert rows[0].payload["comment"] == "Lengkapi baseline"


def test_a_return_from_the_province_also_tells_the_district_reviewer(
    users: dict, draft: ActionPlan, more_people: dict
) -> None:
    act(users, "drafter", draft, "submit")
    act(users, "reviewer", draft, "forward")
    act(users, "provincial", draft, "return", "Belum sinkron dengan RPJMD")

    assert recipients(rows_of("return")) == ["drafter.6301", "reviewer.6301"]


def test_an_approval_tells_the_district_and_the_other_provincial_reviewer(
    users: dict, draft: ActionPlan, more_people: dict
) -> None:
    act(users, "drafter", draft, "submit")
    act(users, "reviewer", draft, "forward")
    act(users, "provincial", draft, "approve")

    rows = rows_of("approve")
    # The province's other reviewer owns `approved`; the actor is never emailed.
    assert recipients(rows) == [
        "drafter.6301",
        "head.6301",
        "head.en",
        "provincial.b",
        "reviewer.6301",
    ]
    languages = {row.recipient.username: row.language for row in rows}
    assert languages["head.en"] == "en" and languages["drafter.6301"] == "id"
    assert all(row.payload["due_at"] is None for row in rows)  # approved has no deadline


def test_no_transition_ever_emails_the_actor_or_another_district(
    users: dict, draft: ActionPlan, more_people: dict
) -> None:
    path = [
        ("drafter", "submit", None),
        ("reviewer", "return", "Perbaiki"),
        ("drafter", "submit", None),
        ("reviewer", "forward", None),
        ("provincial", "return", "Perbaiki lagi"),
        ("drafter", "submit", None),
        ("reviewer", "forward", None),
        ("provincial", "approve", None),
        ("provincial", "start_monitoring", None),
        ("provincial_head", "close", None),
    ]
    for who, trigger, comment in path:
        before = {row.id for row in outbox()}
        act(users, who, draft, trigger, comment)
        new = [row for row in outbox() if row.id not in before]
        names = set(recipients(new))
        assert users[who].username not in names, trigger
        assert not names & OTHER_DISTRICT, trigger
        assert {row.event for row in new} <= {trigger}
    assert draft.state == "closed"


def test_starting_monitoring_and_closing_email_only_who_did_not_act(
    users: dict, draft: ActionPlan, more_people: dict
) -> None:
    for who, trigger in [
        ("drafter", "submit"),
        ("reviewer", "forward"),
        ("provincial", "approve"),
        ("provincial", "start_monitoring"),
        ("provincial_head", "close"),
    ]:
        act(users, who, draft, trigger)

    # The other provincial reviewer owns `monitored`; the district's drafter and reviewer are
    # told that quarterly reports will be due; `closed` is final: nobody must act.
    assert recipients(rows_of("start_monitoring")) == [
        "drafter.6301",
        "provincial.b",
        "reviewer.6301",
    ]
    assert rows_of("close") == []


def test_an_inactive_user_or_one_without_address_gets_no_row(
    users: dict, draft: ActionPlan
) -> None:
    quiet = factories.user("reviewer.quiet", ("district_reviewer", "6301"))
    quiet.email = ""
    gone = factories.user("reviewer.gone", ("district_reviewer", "6301"))
    gone.active = False
    db.session.commit()

    act(users, "drafter", draft, "submit")

    assert recipients(rows_of("submit")) == ["reviewer.6301"]
