"""The daily digest: at 07.00 WITA on a working day, one email per user who chose it, telling
of their cases' events since their last digest; nothing on a weekend, a national holiday or a
day the admin declared off; a run repeated the same day writes nothing more; users who chose
"each event" get none."""

from __future__ import annotations

from datetime import date, datetime

import pytest
import time_machine
from flask import Flask
from sqlalchemy import select

from tests import factories
from workflow_app.accounts.models import User
from workflow_app.deadlines.operations import add_holiday
from workflow_app.engine.calendar import WITA
from workflow_app.extensions import db
from workflow_app.notifications.digest import DIGEST_EVENT, send_digests
from workflow_app.notifications.models import Notification
from workflow_app.notifications.rendering import render_notification
from workflow_app.plans import operations as ops
from workflow_app.plans.models import ActionPlan
from workflow_app.unit_of_work import unit_of_work

# February 2026: Thursday 12 and Friday 13 are working days, 14–15 a weekend, Monday 16 (cuti
# bersama) and Tuesday 17 (Imlek) national holidays, Wednesday 18 a working day again.
THURSDAY = datetime(2026, 2, 12, 10, 0, tzinfo=WITA)
FRIDAY = datetime(2026, 2, 13, 14, 0, tzinfo=WITA)


def seven(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 7, 0, tzinfo=WITA)


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


def _digests(user: User) -> list[Notification]:
    query = (
        select(Notification)
        .where(Notification.event == DIGEST_EVENT, Notification.recipient_id == user.id)
        .order_by(Notification.id)
    )
    return list(db.session.scalars(query))


def _told(digest: Notification) -> list[int]:
    query = select(Notification.id).where(Notification.digest_id == digest.id)
    return sorted(db.session.scalars(query))


def _events(user: User) -> list[int]:
    query = select(Notification.id).where(
        Notification.recipient_id == user.id, Notification.subject_kind.is_not(None)
    )
    return sorted(db.session.scalars(query))


def _digest_at(moment: datetime) -> list[int]:
    with time_machine.travel(moment, tick=False):
        return send_digests()


@pytest.fixture
def week(users: dict[str, User]) -> ActionPlan:
    """The reviewer chose the digest only, the drafter each event. Thursday the drafter
    submits (the reviewer's event); Friday afternoon the reviewer returns the plan (the
    drafter's event) and the drafter submits it again (the reviewer's second event)."""
    users["reviewer"].email_delivery = "digest"
    db.session.commit()
    with time_machine.travel(THURSDAY, tick=False):
        plan = factories.plan_in_state(users, "district_review")
    with time_machine.travel(FRIDAY, tick=False):
        ops.transition(users["reviewer"], plan, "return", comment="Lengkapi baseline")
        ops.transition(users["drafter"], plan, "submit")
        db.session.commit()
    return plan


def test_a_digest_at_seven_on_working_days_only_once_a_day(
    app_ctx: Flask, users: dict[str, User], week: ActionPlan, queue: RecordingCelery
) -> None:
    reviewer = users["reviewer"]
    thursdays, fridays = _events(reviewer)

    # Friday 07.00: Thursday's event. Emailed like every outbox row, after the commit.
    (first,) = _digest_at(seven(date(2026, 2, 13)))
    (digest,) = _digests(reviewer)
    assert digest.id == first
    assert digest.to_address == reviewer.email
    assert _told(digest) == [thursdays]
    assert ("workflow_app.notifications.deliver_rows", [[first]]) in queue.sent
    # Again the same day (a second beat, another machine): nothing more.
    assert _digest_at(seven(date(2026, 2, 13))) == []
    assert _digest_at(datetime(2026, 2, 13, 16, 0, tzinfo=WITA)) == []

    # The weekend and the two national holidays: nothing, though Friday's event waits.
    for day in (14, 15, 16, 17):
        assert _digest_at(seven(date(2026, 2, day))) == [], f"a digest on 2026-02-{day}"
    assert len(_digests(reviewer)) == 1

    # Wednesday 07.00: Friday's event, and only that.
    (second,) = _digest_at(seven(date(2026, 2, 18)))
    assert _told(db.session.get(Notification, second)) == [fridays]
    # The drafter chose each event: no digest, however many events they had.
    assert _events(users["drafter"])
    assert _digests(users["drafter"]) == []


def test_no_digest_on_a_day_the_admin_declared_off(
    app_ctx: Flask, users: dict[str, User], week: ActionPlan
) -> None:
    with unit_of_work():
        add_holiday(users["admin"], date(2026, 2, 13), "Libur daerah")
    assert _digest_at(seven(date(2026, 2, 13))) == []
    # The next working day tells of both events.
    (digest_id,) = _digest_at(seven(date(2026, 2, 18)))
    assert _told(db.session.get(Notification, digest_id)) == _events(users["reviewer"])


@pytest.mark.parametrize(
    ("delivery", "digested"), [("each", False), ("digest", True), ("both", True)]
)
def test_the_users_choice_decides_the_digest(
    app_ctx: Flask, users: dict[str, User], delivery: str, digested: bool
) -> None:
    users["reviewer"].email_delivery = delivery
    db.session.commit()
    with time_machine.travel(THURSDAY, tick=False):
        factories.plan_in_state(users, "district_review")
    _digest_at(seven(date(2026, 2, 13)))
    assert bool(_digests(users["reviewer"])) is digested


def test_the_digest_email_tells_each_event_as_its_own_email_and_links_the_case(
    app_ctx: Flask, users: dict[str, User], week: ActionPlan
) -> None:
    (digest_id,) = _digest_at(seven(date(2026, 2, 13)))
    digest = db.session.get(Notification, digest_id)
    (event_id,) = _told(digest)
    event_subject = render_notification(db.session.get(Notification, event_id)).subject

    email = render_notification(digest)
    assert "13 Februari 2026" in email.subject
    assert event_subject in email.text
    assert f"/plans/{week.id}" in email.text
    assert f"/plans/{week.id}" in email.html
    assert "/account" in email.text  # where the choice is changed


def test_markup_in_a_comment_is_text_in_the_digest(app_ctx: Flask, users: dict[str, User]) -> None:
    users["drafter"].email_delivery = "digest"
    db.session.commit()
    with time_machine.travel(THURSDAY, tick=False):
        plan = factories.plan_in_state(users, "district_review")
        ops.transition(users["reviewer"], plan, "return", comment="<script>alert(1)</script>")
        db.session.commit()
    (digest_id,) = _digest_at(seven(date(2026, 2, 13)))
    email = render_notification(db.session.get(Notification, digest_id))
    assert "<script>" not in email.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in email.html
    assert "<script>alert(1)</script>" in email.text  # plain text shows it as typed
