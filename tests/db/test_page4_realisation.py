"""The plan page's realisation tables, their rows written in Python (monitoring.plan_section):
the markup the template's loops wrote, and template calls that do not grow with the rows."""

# ruff: noqa: E501 -- the loops below are the template's own lines, kept as they were.
from __future__ import annotations

from decimal import Decimal

import pytest
from flask import Flask, render_template, render_template_string
from flask_babel import force_locale
from jinja2.runtime import Context

from workflow_app.accounts.system import system_user
from workflow_app.deadlines.calendar_store import current_calendar
from workflow_app.extensions import db
from workflow_app.monitoring.models import ProgressReport
from workflow_app.monitoring.operations import open_report
from workflow_app.monitoring.plan_section import realisation_section
from workflow_app.monitoring.quarters import Quarter
from workflow_app.plans.detail_page import load_page_contents
from workflow_app.plans.models import ActionPlan

from .. import factories

# templates/monitoring/_plan_realisation.html's three loops before plan_section wrote them.
OLD_REPORTS = """{% from "_macros.html" import state_badge %}{% set status_label, due_label = _("Status"), _("Due") %}
      {% for report in realisation.reports %}{% set due = realisation.dues.get(report.id) %}
      <tr id="plan-report-{{ report.id }}"{% if due and due.status == 'overdue' %} class="overdue" data-overdue="1"{% endif %}>
        <td class="card-title"><a href="{{ url_for('monitoring.report', report_id=report.id) }}">{{ report.period_label }}</a></td>
        <td data-label="{{ status_label }}">{{ state_badge(report) }}</td>
        <td data-label="{{ due_label }}">{% if due %}<span class="due due-{{ due.status }}" data-working-days="{{ due.signed_days }}"><time datetime="{{ due.due_at_wita.isoformat() }}">{{ due.due_at | wita_datetime }}</time> <strong class="due-left">{{ due.text }}</strong></span>{% else %}<span class="muted">—</span>{% endif %}</td>
      </tr>
      {% endfor %}"""
OLD_YEARS = """{% set figures = realisation.realisation %}
          {% for row in figures.years %}
          <tr id="realisation-{{ row.year }}" data-year="{{ row.year }}">
            <th scope="row">{{ row.year }}</th>
            <td>{% if row.reported_in %}{{ row.reported_in.label }}{% else %}<span class="muted">—</span>{% endif %}</td>
            <td class="num year-budget" data-amount="{{ row.budget }}">{{ row.budget | rupiah }}</td>
            <td class="num year-spent" data-amount="{{ row.spent if row.spent is not none else '' }}">{% if row.spent is not none %}{{ row.spent | rupiah }}{% else %}<span class="muted">—</span>{% endif %}</td>
            <td class="num year-spent-percent" data-percent="{{ row.spent_percent if row.spent_percent is not none else '' }}">{% if row.spent_percent is not none %}{{ row.spent_percent | number }}%{% else %}<span class="muted">—</span>{% endif %}</td>
            <td class="num year-physical" data-percent="{{ row.physical_progress if row.physical_progress is not none else '' }}">{% if row.physical_progress is not none %}{{ row.physical_progress | number }}%{% else %}<span class="muted">—</span>{% endif %}</td>
          </tr>
          {% endfor %}"""
OLD_POINTS = """
          {% for point in indicator.points %}
          <tr data-year="{{ point.year }}">
            <th scope="row">{{ point.year }}</th>
            <td class="num indicator-target">{% if point.target is not none %}{{ point.target | number }}{% else %}<span class="muted">—</span>{% endif %}</td>
            <td class="num indicator-achieved">{% if point.achieved is not none %}{{ point.achieved | number }}{% else %}<span class="muted">—</span>{% endif %}</td>
          </tr>
          {% endfor %}"""


def _one_report(users: dict) -> tuple[ActionPlan, ProgressReport]:
    """A submitted report of two activities (the years after it without figures)."""
    return factories.reported_plan(
        users,
        figures=((Decimal("45.5"), 540_000_000), (Decimal("20"), 30_000_000)),
        hygiene_budget=120_000_000,
        safe_sanitation=Decimal("61.25"),
    )


def _next_report(plan: ActionPlan, report: ProgressReport) -> None:
    """The next quarter's report, open and due."""
    quarter = Quarter(report.year, report.quarter).next()
    assert open_report(system_user(), plan, quarter, current_calendar()) is not None
    db.session.commit()


@pytest.mark.parametrize("language", ["id", "en"])
def test_the_rows_written_in_python_are_the_loops_markup(
    app_ctx: Flask, users: dict, language: str
) -> None:
    plan, report = _one_report(users)
    _next_report(plan, report)
    plan_id = plan.id
    with app_ctx.test_request_context(), force_locale(language):
        plan = db.session.get(ActionPlan, plan_id)
        load_page_contents(plan)
        section = realisation_section(plan)
        assert section is not None and len(section.reports) == 2
        context = {"realisation": section}
        assert "\n      " + section.report_rows == render_template_string(OLD_REPORTS, **context)
        assert "\n          " + section.year_rows == render_template_string(OLD_YEARS, **context)
        for chart in section.indicator_charts:
            old = render_template_string(OLD_POINTS, indicator=chart.indicator)
            assert "\n          " + chart.rows == old
        written = section.report_rows + section.year_rows
        assert (
            'class="due due-' in written and "Rp" in written and '<span class="muted">—' in written
        )


def test_the_section_makes_as_many_template_calls_for_two_reports_as_for_one(
    app_ctx: Flask, users: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: a report row called url_for and the badge macro (which called its global)."""
    plan, report = _one_report(users)
    plan_id = plan.id

    def calls(reports: int) -> int:
        with app_ctx.test_request_context(), force_locale("id"):
            plan = db.session.get(ActionPlan, plan_id)
            load_page_contents(plan)
            shown = realisation_section(plan)
            assert shown is not None and len(shown.reports) == reports
            counted: list[object] = []
            original = Context.call

            def counting(self: Context, __obj: object, *args: object, **kwargs: object) -> object:
                counted.append(__obj)
                return original(self, __obj, *args, **kwargs)

            monkeypatch.setattr(Context, "call", counting)
            render_template("monitoring/_plan_realisation.html", realisation=shown)
            monkeypatch.undo()
        return len(counted)

    one = calls(1)
    _next_report(db.session.get(ActionPlan, plan_id), report)
    assert calls(2) == one
