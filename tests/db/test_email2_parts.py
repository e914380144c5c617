"""Emails rendered from parts kept per template, language and shape (rendering.py): every kind
of email in both languages is the email its templates render afresh, byte for byte; and the
templates are rendered, and their labels looked up in the catalogue, once per shape, not once
per email."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from flask import Flask
from flask_babel import get_translations
from jinja2 import Template
from sqlalchemy import select

from tests import factories
from workflow_app.accounts.models import User
from workflow_app.accounts.passwords import request_reset
from workflow_app.deadlines.sweep import run_sweep
from workflow_app.engine.calendar import WITA
from workflow_app.extensions import db
from workflow_app.notifications import rendering
from workflow_app.notifications.digest import send_digests
from workflow_app.notifications.models import Notification
from workflow_app.notifications.rendering import (
    RenderedEmail,
    language_of,
    one_calendar,
    render_notification,
)
from workflow_app.plans import operations as ops

NOW = datetime(2026, 2, 20, 3, 0, tzinfo=UTC)
# Markup, braces, a percent sign and a line break: escaped in HTML, indented in the text.
COMMENT = "Lengkapi <baseline> & {target} 100%\nbaris kedua"


class _Queue:
    def send_task(self, name: str, args: list[object], **options: object) -> None:
        pass


@pytest.fixture(autouse=True)
def quiet_queue(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.extensions, "celery", _Queue())


@pytest.fixture
def every_email(users: dict[str, User]) -> list[Notification]:
    """A row of every event: transitions (one with a comment), every deadline step, a report
    that falls due, two days' digests and a password reset."""
    users["reviewer"].email_delivery = "digest"
    db.session.commit()
    with time_machine.travel(datetime(2026, 2, 12, 10, 0, tzinfo=WITA), tick=False):
        plan = factories.plan_in_state(users, "district_review")
    with time_machine.travel(datetime(2026, 2, 13, 14, 0, tzinfo=WITA), tick=False):
        ops.transition(users["reviewer"], plan, "return", comment=COMMENT)
        ops.transition(users["drafter"], plan, "submit")
        db.session.commit()
    run_sweep(datetime(2026, 3, 20, 12, 0, tzinfo=WITA))
    for day in (16, 18):
        with time_machine.travel(datetime(2026, 2, day, 7, 0, tzinfo=WITA), tick=False):
            send_digests()
    with time_machine.travel(datetime(2026, 2, 18, 9, 0, tzinfo=WITA), tick=False):
        request_reset("drafter.6301")
    rows = list(db.session.scalars(select(Notification).order_by(Notification.id)))
    submitted = next(row for row in rows if row.event == "submit")
    opened = Notification(
        **{
            column.name: getattr(submitted, column.name)
            for column in Notification.__table__.columns
            if column.name != "id"
        }
    )
    opened.event = "report_open"
    db.session.add(opened)
    db.session.commit()
    return [*rows, opened]


@pytest.fixture
def fresh_parts(app: Flask) -> Iterator[None]:
    app.extensions.pop("email_parts", None)
    yield
    app.extensions.pop("email_parts", None)


def _emails(rows: list[Notification], language: str) -> list[RenderedEmail]:
    for row in rows:
        row.language = language
    with one_calendar():
        return [render_notification(row, NOW) for row in rows]


@pytest.mark.parametrize("language", ["id", "en"])
def test_every_email_from_kept_parts_is_the_email_rendered_afresh(
    app: Flask,
    every_email: list[Notification],
    fresh_parts: None,
    monkeypatch: pytest.MonkeyPatch,
    language: str,
) -> None:
    events = {row.event for row in every_email}
    assert events >= {"submit", "return", "reminder", "due", "escalation", "report_open"}
    assert events >= {"digest", "password_reset"}
    kept_first = _emails(every_email, language)
    kept_again = _emails(every_email, language)  # every part now kept: filled only
    assert app.extensions["email_parts"]
    monkeypatch.setattr(app.jinja_env, "auto_reload", True)  # the templates, afresh
    afresh = _emails(every_email, language)
    assert kept_again == kept_first == afresh
    returned = next(
        email for row, email in zip(every_email, afresh, strict=True) if row.event == "return"
    )
    assert "    Lengkapi <baseline> & {target} 100%\n    baris kedua" in returned.text
    assert "Lengkapi &lt;baseline&gt; &amp; {target} 100%" in returned.html


def _counting(monkeypatch: pytest.MonkeyPatch, target: Any, name: str) -> list[int]:
    calls = [0]
    original: Callable[..., Any] = getattr(target, name)

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(target, name, counted)
    return calls


def test_a_chunk_renders_the_templates_and_looks_their_labels_up_once_per_shape(
    app: Flask,
    every_email: list[Notification],
    fresh_parts: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    row = next(row for row in every_email if row.event == "return")
    row.language = "en"
    chunk = [row] * 10
    with one_calendar(), app.test_request_context():
        # The catalogue's lookups, from the templates and from Python alike.
        rendering._bound_i18n.clear()
        with rendering.force_locale(language_of(row)):
            translations = type(get_translations())
        renders = _counting(monkeypatch, Template, "render")
        lookups = _counting(monkeypatch, translations, "ugettext")
        render_notification(row, NOW)
        first = (renders[0], lookups[0])
        escapes = _counting(monkeypatch, rendering, "escape")
        summaries = _counting(monkeypatch, rendering, "event_summary")
        for same in chunk[1:]:
            render_notification(same, NOW)
    # The first email renders its text and HTML templates, with their two dozen labels.
    assert first[0] == 2 and first[1] > 20
    # The nine others render no template: each only looks up what Python words (what it is
    # about and its tag; the summary is the definition's, the time left a plural).
    assert renders[0] == 2
    assert lookups[0] - first[1] == 9 * 2
    # Each email's summary worded once (its subject's end and its heading), and each value
    # escaped once into the HTML, however often the email shows it.
    assert summaries[0] == 9
    ((_text, html),) = app.extensions["email_parts"].values()
    assert escapes[0] == 9 * len(html.slots)
    assert html.form.count("{") > len(html.slots)  # the link and what it is about: twice
