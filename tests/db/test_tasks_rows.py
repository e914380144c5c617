"""My tasks: what each row of its lists costs, counted (never timed), and the markup built
once per distinct value kept equal to what the templates wrote inline."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from flask import Flask, render_template_string
from flask_babel import force_locale

from tests import factories
from tests.conftest import signed_in
from workflow_app import policy, templating
from workflow_app.extensions import db
from workflow_app.workflows import registry

# The badge as `_macros.html` wrote it before `templating.state_badge` built it.
INLINE_BADGE = (
    '<span class="badge tone-{{ state_tone(plan) }}" data-state="{{ plan.state }}">'
    "{{ state_label(plan) }}</span>"
)
MACRO_BADGE = '{% from "_macros.html" import state_badge %}{{ state_badge(plan) }}'


def test_a_state_badge_is_the_inline_markup_for_every_state_in_both_languages(
    app_ctx: Flask,
) -> None:
    checked = 0
    for definition in registry().definitions():
        for name in definition.states:
            subject = SimpleNamespace(
                workflow_name=definition.name, workflow_version=definition.version, state=name
            )
            for language in ("id", "en"):
                with app_ctx.test_request_context(), force_locale(language):
                    inline = render_template_string(INLINE_BADGE, plan=subject)
                    assert render_template_string(MACRO_BADGE, plan=subject) == inline
                    assert str(templating.state_badge(subject, language)) == inline
                    checked += 1
    assert checked > 20


def _main(page: str) -> str:
    return page[page.index("<main") : page.index("</main>")]


def _counting(monkeypatch: pytest.MonkeyPatch, module: object, name: str) -> list[object]:
    calls: list[object] = []
    original = getattr(module, name)

    def counted(*args: object, **kwargs: object) -> object:
        calls.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, counted)
    return calls


def test_my_tasks_asks_the_workflow_once_per_state_and_place_not_once_per_row(
    app_ctx: Flask, users: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows in the same state and region share their actions, their ownership, their badge
    and the user's visibility condition: a second view of the page builds none of them again
    (before: available_transitions and holds once per row, the badge macro once per row, the
    visibility subqueries once per list)."""
    for code in ("6301", "6304", "6371"):
        people = factories.district_people(users, code)
        for _ in range(2):
            factories.plan_in_state(people, "provincial_sync", code)
        factories.reported_plan(users, code)
    db.session.commit()
    client = signed_in(app_ctx, "provincial.63")
    first = client.get("/tasks").get_data(as_text=True)
    assert first.count('id="task-') == 6

    transitions = _counting(monkeypatch, policy, "available_transitions")
    owners = _counting(monkeypatch, policy, "holds")
    reaches = _counting(monkeypatch, policy, "_reach")
    tones = _counting(monkeypatch, templating, "state_tone")
    again = client.get("/tasks").get_data(as_text=True)

    assert _main(again) == _main(first)  # (the shell's CSRF token is signed with the time)
    assert (len(transitions), len(owners), len(reaches), len(tones)) == (0, 0, 0, 0)
