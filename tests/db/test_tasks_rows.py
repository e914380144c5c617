"""My tasks: what each row of its lists costs, counted (never timed), and the markup built
once per distinct value kept equal to what the templates wrote inline."""

# ruff: noqa: E501 -- the loops below are the templates' own lines, kept as they were.
from __future__ import annotations

from types import SimpleNamespace

import pytest
from flask import Flask, render_template_string
from flask_babel import force_locale
from jinja2 import ChoiceLoader, DictLoader

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


# The two loops as templates/plans/tasks.html and monitoring/_tasks.html wrote them before
# plans/task_rows.py did (their rows, between the loops' first and last line), and the
# templates/plans/_task_returned.html they included for a returned plan.
RETURNED = """{# Why a plan on "My tasks" came back: who returned it (acting for whom), when, the reason.
   Expects `plan` and `returned` (its pending return, a history row). #}
{% set who = _("%(actor)s on behalf of %(principal)s", actor=returned.actor.full_name, principal=returned.acting_for.full_name) if returned.acting_for else returned.actor.full_name %}
<div class="task-returned" id="task-returned-{{ plan.id }}">
  <small>{{ _("Returned by %(who)s, %(when)s:", who=who, when=returned.created_at | wita_datetime) }}</small>
  {% if returned.comment %}<q class="comment returned-comment">{{ returned.comment | truncate(200) }}</q>{% endif %}
</div>
"""
PLAN_LOOP = """{% set l_region, l_period, l_status, l_due, l_waiting, l_action = _('Region'), _('Period'), _('Status'), _('Due'), _('Waiting since'), _('Your action') %}{% set locale, back, br = current_locale(), url_for('plans.tasks'), '<br>' | safe %}{% set plan_link = row_link('plans.detail', 'plan_id') %}
      {% for task in tasks %}{% set plan = task.plan %}
      <tr id="task-{{ plan.id }}">
        <td data-label="{{ l_region }}">{{ plan.region.name }} <small class="muted">{{ plan.region.code }}</small></td>
        <td class="card-title"><a href="{{ plan_link(plan.id) }}">{{ plan.title }}</a>{% set returned = returns.get(plan.id) %}{% if returned %}{% include "returned" %}{% endif %}</td>
        <td data-label="{{ l_period }}">{{ plan.period_label }}</td>
        <td data-label="{{ l_status }}">{{ state_badge_html(plan, locale) }}</td>
        <td data-label="{{ l_due }}">{% set due = dues.get(plan.id) %}{% if due %}{{ due_cell(due, locale, br) }}{% else %}<span class="muted">—</span>{% endif %}</td>
        <td data-label="{{ l_waiting }}">{{ plan.state_entered_at | wita_datetime(locale) }}</td>
        <td data-label="{{ l_action }}">
          {% for action in task.actions %}
          <a class="task-action" href="{% if action.confirm %}{{ confirm_url(plan, action.trigger, back) }}{% else %}{{ plan_link(plan.id) }}#action-{{ action.trigger }}{% endif %}">{{ action.label.get(locale) }}</a>{% if not loop.last %} · {% endif %}
          {% endfor %}
        </td>
      </tr>
      {% endfor %}"""
REPORT_LOOP = """{% set l_region, l_quarter, l_status, l_due, l_action = _('Region'), _('Quarter'), _('Status'), _('Due'), _('Your action') %}{% set locale, back, br = current_locale(), url_for('plans.tasks'), '<br>' | safe %}{% set plan_link, report_link = row_link('plans.detail', 'plan_id'), row_link('monitoring.report', 'report_id') %}{% for task in report_tasks %}{% set report = task.report %}{% set plan = report.plan %}{% set due = report_dues.get(report.id) %}
      <tr id="report-task-{{ report.id }}"{% if due and due.status == 'overdue' %} class="overdue" data-overdue="1"{% endif %}>
        <td data-label="{{ l_region }}">{{ plan.region.name }} <small class="muted">{{ plan.region.code }}</small></td>
        <td class="card-title"><a href="{{ plan_link(plan.id) }}">{{ plan.title }}</a></td>
        <td data-label="{{ l_quarter }}"><a href="{{ report_link(report.id) }}">{{ report.period_label }}</a></td>
        <td data-label="{{ l_status }}">{{ state_badge_html(report, locale) }}</td>
        <td data-label="{{ l_due }}">{% if due %}{{ due_cell(due, locale, br) }}{% else %}<span class="muted">—</span>{% endif %}</td>
        <td data-label="{{ l_action }}">
          {% for action in task.actions %}
          <a class="task-action" href="{% if action.confirm %}{{ confirm_url(report, action.trigger, back) }}{% else %}{{ report_link(report.id) }}#action-{{ action.trigger }}{% endif %}">{{ action.label.get(locale) }}</a>{% if not loop.last %} · {% endif %}
          {% endfor %}
        </td>
      </tr>
      {% endfor %}"""


def render_plan_loop(app: Flask, **context: object) -> str:
    """PLAN_LOOP as the page rendered it, its include of a returned plan's template too."""
    loader = ChoiceLoader([DictLoader({"returned": RETURNED}), app.jinja_env.loader])
    return app.jinja_env.overlay(loader=loader).from_string(PLAN_LOOP).render(**context)


def test_the_rows_written_in_python_are_the_loops_markup_in_both_languages(
    app_ctx: Flask, users: dict
) -> None:
    """Plans in several states (one returned, with its reason; one titled with markup), a due
    report, an action that asks for confirmation: the rows equal what the loops wrote."""
    from dataclasses import replace

    from workflow_app.deadlines.display import due_statuses
    from workflow_app.monitoring.queries import ReportTask, report_task_page
    from workflow_app.plans.queries import Task, my_task_page
    from workflow_app.plans.task_rows import plan_task_rows, report_task_rows
    from workflow_app.reviews.returns import pending_returns

    draft = factories.plan_in_state(users, "draft")
    draft.title = 'Sanitasi <b>"Tanah" & Laut\'s</b>'
    factories.plan_in_state(users, "returned", period=(2031, 2035))
    factories.reported_plan(factories.district_people(users, "6304"), "6304", report_state="due")
    db.session.commit()
    drafters = (users["drafter"], users["other_drafter"])
    tasks = [task for user in drafters for task in my_task_page(user).items]
    reports = [task for user in drafters for task in report_task_page(user).items]
    assert len(tasks) >= 2 and reports
    # A transition declared `confirm` links to its confirmation page instead.
    first = tasks[0]
    tasks[0] = Task(first.plan, [replace(first.actions[0], confirm=True), *first.actions[1:]])
    first_report = reports[0]
    confirming = [replace(action, confirm=True) for action in first_report.actions]
    reports.append(ReportTask(first_report.report, confirming))
    plans = [task.plan for task in tasks]
    returns = pending_returns(plans)
    assert returns, "a returned plan shows why"
    dues = due_statuses(plans)
    report_dues = due_statuses(task.report for task in reports)
    for language in ("id", "en"):
        with app_ctx.test_request_context(), force_locale(language):
            inline = render_plan_loop(app_ctx, tasks=tasks, dues=dues, returns=returns)
            written = str(plan_task_rows(tasks, dues, returns, language))
            assert "\n      " + written == inline
            inline = render_template_string(
                REPORT_LOOP, report_tasks=reports, report_dues=report_dues
            )
            assert str(report_task_rows(reports, report_dues, language)) == inline
            assert "/confirm/" in inline and "&lt;b&gt;" in written


def _template_calls(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    from jinja2.runtime import Context

    return _counting(monkeypatch, Context, "call")


def test_my_tasks_makes_as_many_template_calls_for_six_rows_as_for_two(
    app_ctx: Flask, users: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rows of both lists are written in Python: the template calls (globals, filters'
    functions, macros) of the page do not grow with its rows (before: a dozen per row)."""
    factories.plan_in_state(users, "provincial_sync")
    factories.reported_plan(users, "6301")
    client = signed_in(app_ctx, "provincial.63")

    def page_calls() -> tuple[int, int]:
        client.get("/tasks")  # warm
        calls = _template_calls(monkeypatch)
        page = client.get("/tasks").get_data(as_text=True)
        monkeypatch.undo()
        return page.count('id="task-') + page.count('id="report-task-'), len(calls)

    rows, few = page_calls()
    for code in ("6304", "6371"):
        people = factories.district_people(users, code)
        factories.plan_in_state(people, "provincial_sync", code)
        factories.reported_plan(people, code)
    db.session.commit()
    more_rows, many = page_calls()
    assert (rows, more_rows) == (2, 6)
    assert many == few


def test_each_shape_of_row_asks_the_policy_once_per_page(
    app_ctx: Flask, users: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nine rows in six (version, state, place) shapes: whether the user owns a row and what
    they may do on it is asked once per shape (before: twice per row, `is_owner` and
    `actions`, each with its definition and catalogue lookups)."""
    for code in ("6301", "6304", "6371"):
        people = factories.district_people(users, code)
        for _ in range(2):
            factories.plan_in_state(people, "provincial_sync", code)
        factories.reported_plan(users, code)
    db.session.commit()
    client = signed_in(app_ctx, "provincial.63")
    client.get("/tasks")
    asked = _counting(monkeypatch, policy, "actions_if_owner")
    page = client.get("/tasks").get_data(as_text=True)
    assert (page.count('id="task-'), page.count('id="report-task-')) == (6, 3)
    assert len(asked) == 6


def test_deadlines_of_a_list_copy_a_status_once_per_day_not_once_per_row(
    app_ctx: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Forty deadlines on two days: a status is worked out and copied (`replace`) once per
    day; each row gets its own by the constructor (before: `replace` once per row too)."""
    from datetime import UTC, datetime, timedelta

    from workflow_app.deadlines import display

    now = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
    rows = [
        SimpleNamespace(id=n, due_at=now + timedelta(days=3 + n % 2, minutes=n)) for n in range(40)
    ]
    copies = _counting(monkeypatch, display, "replace")
    with app_ctx.test_request_context():
        statuses = display.due_statuses(rows, now=now)
    assert len(copies) == 2
    assert [statuses[row.id].due_at for row in rows] == [row.due_at for row in rows]
    # Rows due the same day share their status and its translated texts.
    assert statuses[0].texts is statuses[2].texts
    assert statuses[0].working_days == statuses[2].working_days
    assert (statuses[0].status, statuses[1].status) == ("ahead", "ahead")


OVERSEEN_PLANS_LOOP = """{% set locale = current_locale() %}{% set plan_link = row_link('plans.detail', 'plan_id') %}{% for plan in overseen %}
      <tr id="overseen-{{ plan.id }}">
        <td class="card-title"><a href="{{ plan_link(plan.id) }}">{{ plan.title }}</a> <small class="muted">{{ plan.region.name }}</small></td>
        <td data-label="{{ _('Status') }}">{{ state_badge_html(plan, locale) }}</td>
        <td data-label="{{ _('Due') }}">{% set due = dues.get(plan.id) %}{% if due %}{{ due_cell(due, locale, ' ') }}{% else %}<span class="muted">—</span>{% endif %}</td>
      </tr>
      {% endfor %}"""
OVERSEEN_REPORTS_LOOP = """{% set locale = current_locale() %}{% set plan_link, report_link = row_link('plans.detail', 'plan_id'), row_link('monitoring.report', 'report_id') %}{% for report in overseen_reports %}{% set due = report_dues.get(report.id) %}
      <tr id="overseen-report-{{ report.id }}"{% if due and due.status == 'overdue' %} class="overdue" data-overdue="1"{% endif %}>
        <td class="card-title"><a href="{{ plan_link(report.plan_id) }}">{{ report.plan.title }}</a> <small class="muted">{{ report.plan.region.name }}</small></td>
        <td data-label="{{ _('Quarter') }}"><a href="{{ report_link(report.id) }}">{{ report.period_label }}</a></td>
        <td data-label="{{ _('Status') }}">{{ state_badge_html(report, locale) }}</td>
        <td data-label="{{ _('Due') }}">{% if due %}{{ due_cell(due, locale, ' ') }}{% else %}<span class="muted">—</span>{% endif %}</td>
      </tr>
      {% endfor %}"""


def test_the_heads_rows_written_in_python_are_the_loops_markup_in_both_languages(
    app_ctx: Flask, users: dict
) -> None:
    """A district head's plans in progress (one titled with markup, one without a deadline)
    and reports not yet verified: the rows equal what the loops wrote."""
    from workflow_app.deadlines.display import due_statuses
    from workflow_app.monitoring.queries import overseen_reports
    from workflow_app.plans.queries import overseen_plans
    from workflow_app.plans.task_rows import overseen_plan_rows, overseen_report_rows

    review = factories.plan_in_state(users, "district_review")
    review.title = 'Sanitasi <b>"Tanah" & Laut\'s</b>'
    factories.plan_in_state(users, "draft", period=(2031, 2035))
    factories.reported_plan(users, "6301", report_state="due")
    db.session.commit()
    plans, reports = overseen_plans(users["head"]), overseen_reports(users["head"])
    assert len(plans) >= 3 and reports
    assert any(plan.id not in due_statuses(plans) for plan in plans), "a plan without deadline"
    dues, report_dues = due_statuses(plans), due_statuses(reports)
    for language in ("id", "en"):
        with app_ctx.test_request_context(), force_locale(language):
            inline = render_template_string(OVERSEEN_PLANS_LOOP, overseen=plans, dues=dues)
            written = str(overseen_plan_rows(plans, dues, language))
            assert written == inline and "&lt;b&gt;" in written
            inline = render_template_string(
                OVERSEEN_REPORTS_LOOP, overseen_reports=reports, report_dues=report_dues
            )
            assert str(overseen_report_rows(reports, report_dues, language)) == inline


def test_a_heads_tasks_make_as_many_template_calls_for_five_rows_as_for_three(
    app_ctx: Flask, users: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The head's lists (plans in progress, reports not yet verified) are written in Python
    too: the page's template calls do not grow with their rows."""
    factories.plan_in_state(users, "district_review")
    factories.reported_plan(users, "6301", report_state="due")
    client = signed_in(app_ctx, "head.6301")

    def page_calls() -> tuple[int, int]:
        client.get("/tasks")  # warm
        calls = _template_calls(monkeypatch)
        page = client.get("/tasks").get_data(as_text=True)
        monkeypatch.undo()
        return page.count('<tr id="overseen-'), len(calls)

    rows, few = page_calls()
    factories.plan_in_state(users, "draft")
    factories.plan_in_state(users, "district_review")
    db.session.commit()
    more_rows, many = page_calls()
    assert (rows, more_rows) == (3, 5)  # the monitored plan, its report, one in review; +2
    assert many == few
