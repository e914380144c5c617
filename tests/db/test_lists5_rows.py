"""The plans list's and the reports list's rows written in Python (plans/search.py's
`plan_list_rows`, monitoring/views.py's `report_list_rows`): the same markup as the
templates' loops were, and translations per page that do not grow with the rows (counted,
never timed)."""

# ruff: noqa: E501 -- the loops below are the templates' own lines, kept as they were.
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from unittest import mock

import pytest
from flask import Flask, render_template_string
from flask_babel import force_locale
from flask_login import login_user
from sqlalchemy import event

from tests import factories
from tests.conftest import signed_in
from workflow_app import templating
from workflow_app.accounts.models import User
from workflow_app.accounts.system import system_user
from workflow_app.deadlines.calendar_store import current_calendar
from workflow_app.deadlines.display import due_statuses
from workflow_app.extensions import db
from workflow_app.monitoring.operations import open_report
from workflow_app.monitoring.quarters import Quarter
from workflow_app.monitoring.queries import ReportFilters, reports_page
from workflow_app.plans import operations as ops
from workflow_app.plans.models import ActionPlan
from workflow_app.plans.search import Filters, search_page
from workflow_app.plans.vocabulary import SUB_SECTORS
from workflow_app.regions.models import Region

# The loops as templates/plans/index.html and templates/monitoring/index.html wrote them.
OLD_PLANS = """{% from "_macros.html" import state_badge %}
      {% for result in results %}{% set plan = result.plan %}
      <tr id="plan-{{ plan.id }}">
        <td data-label="{{ _('Region') }}">{{ plan.region.name }} <small class="muted">{{ plan.region.code }}</small></td>
        <td class="card-title"><a href="{{ url_for('plans.detail', plan_id=plan.id) }}">{{ plan.title }}</a>
          {% if result.activities %}
          <ul class="matched-activities small" aria-label="{{ _('Matching activities') }}">
            {% for activity in result.activities[:5] %}
            <li id="match-{{ activity.id }}">{{ activity.title }} <span class="muted">· {{ activity.location }}{% if activity.agency %} · {{ activity.agency.short_name }}{% endif %} · {{ sub_sectors.get(activity.sub_sector, activity.sub_sector) }}</span></li>
            {% endfor %}
            {% if result.activities | length > 5 %}<li class="muted">{{ _("and %(count)d more", count=result.activities | length - 5) }}</li>{% endif %}
          </ul>
          {% endif %}
        </td>
        <td data-label="{{ _('Period') }}">{{ plan.period_label }}</td>
        <td data-label="{{ _('Status') }}">{{ state_badge(plan) }}</td>
        <td data-label="{{ _('Last updated') }}">{{ plan.updated_at | wita_datetime }}</td>
      </tr>
      {% endfor %}
"""
OLD_REPORTS = """{% from "_macros.html" import state_badge %}
      {% for report in reports %}{% set plan = report.plan %}{% set due = dues.get(report.id) %}
      <tr id="report-{{ report.id }}" data-state="{{ report.state }}"{% if due and due.status == 'overdue' %} class="overdue" data-overdue="1"{% endif %}>
        <td data-label="{{ _('District') }}">{{ plan.region.name }} <small class="muted">{{ plan.region.code }}</small></td>
        <td class="card-title"><a href="{{ url_for('plans.detail', plan_id=plan.id) }}">{{ plan.title }}</a> <small class="muted">{{ plan.period_label }}</small></td>
        <td data-label="{{ _('Quarter') }}"><a class="report-link" href="{{ url_for('monitoring.report', report_id=report.id) }}">{{ report.period_label }}</a></td>
        <td data-label="{{ _('Status') }}">{{ state_badge(report) }}</td>
        <td data-label="{{ _('Due') }}">{% if due %}<span class="due due-{{ due.status }}" data-working-days="{{ due.signed_days }}"><time datetime="{{ due.due_at_wita.isoformat() }}">{{ due.due_at | wita_datetime }}</time><br><strong class="due-left">{{ due.text }}</strong></span>{% else %}<span class="muted">—</span>{% endif %}</td>
        <td data-label="{{ _('Submitted') }}">{% if report.submitted_at %}{{ report.submitted_at | wita_datetime }}{% else %}<span class="muted">—</span>{% endif %}</td>
      </tr>
      {% endfor %}
"""
NEW_PLANS = "\n      {{ plan_list_rows(results, sub_sectors) }}\n"
NEW_REPORTS = "\n      {{ report_list_rows(reports, dues) }}\n"


def _plans_with_matches(users: dict[str, User]) -> None:
    """A plan with seven matching activities (two counted, not named), one without an agency,
    markup in titles and places; a plan matching by its title alone; one in another state."""
    drafter = users["drafter"]
    factories.plan_in_state(users, "district_review")
    plan = factories.complete_plan(drafter, title='Rencana <b>"Sanitasi"</b> & air')
    agency = factories.agency("6301")
    agency.short_name = "Dinas <PU>"
    for n in range(7):
        data = ops.ActivityData(
            sub_sector="wastewater" if n % 2 else "unknown-code",
            activity_type="iplt",
            title=f"Sanitasi <i>{n}</i>",
            location="Desa & kota",
            volume=None,
            unit="unit",
            agency_id=None if n == 3 else agency.id,
            start_year=plan.period_start,
            end_year=plan.period_start,
            funding=[],
        )
        ops.add_activity(drafter, plan, expected_version=None, data=data)
    db.session.commit()


def _both_plans(app: Flask, user: User, filters: Filters, language: str) -> tuple[str, str]:
    with app.test_request_context("/plans"), force_locale(language):
        login_user(user)
        context = {"results": search_page(user, filters, 1).items, "sub_sectors": SUB_SECTORS}
        assert context["results"]
        return (
            render_template_string(OLD_PLANS, **context),
            render_template_string(NEW_PLANS, **context),
        )


@pytest.mark.parametrize("language", ["id", "en"])
def test_the_plan_rows_written_in_python_are_the_loops_markup(
    app_ctx: Flask, users: dict[str, User], language: str
) -> None:
    _plans_with_matches(users)
    seen = ""
    for who, filters in (
        ("drafter", Filters()),
        ("drafter", Filters(text="sanitasi")),  # matched activities, five named, two counted
        ("provincial", Filters(text="air")),  # by the plan's title: no activity named
        ("reviewer", Filters(state="district_review")),
    ):
        old, new = _both_plans(app_ctx, users[who], filters, language)
        assert new == old
        seen += new
    for mark in ("&lt;PU&gt;", 'id="match-', '<li class="muted">', "unknown-code", "&lt;b&gt;"):
        assert mark in seen  # every branch was compared


def _varied_reports(users: dict[str, User]) -> None:
    """Reports due in the past (overdue), due later, submitted and verified (no deadline)."""
    plan, _due = factories.monitored_plan_with_report(users)
    plan.title = 'Rencana <b>&</b> "laporan"'
    factories.reported_plan(users, "6304")
    _, verified = factories.reported_plan(users, "6301", report_state="verified")
    db.session.commit()
    assert verified.due_at is None or verified.state == "verified"


def _both_reports(app: Flask, user: User, language: str) -> tuple[str, str]:
    with app.test_request_context("/reports"), force_locale(language):
        login_user(user)
        reports = reports_page(user, ReportFilters(), 1).items
        assert reports
        context = {"reports": reports, "dues": due_statuses(reports)}
        return (
            render_template_string(OLD_REPORTS, **context),
            render_template_string(NEW_REPORTS, **context),
        )


@pytest.mark.parametrize("language", ["id", "en"])
def test_the_report_rows_written_in_python_are_the_loops_markup(
    app_ctx: Flask, users: dict[str, User], language: str
) -> None:
    _varied_reports(users)
    seen = ""
    for who in ("drafter", "reviewer", "provincial", "other_drafter"):
        old, new = _both_reports(app_ctx, users[who], language)
        assert new == old
        seen += new
    for mark in ('data-overdue="1"', "due-left", '<span class="muted">—</span>', "&lt;b&gt;"):
        assert mark in seen  # every branch was compared


@contextmanager
def _translations_counted() -> Iterator[list[str]]:
    """Every message looked up for the page (the templates' `_()` and `page_gettext`)."""
    looked_up: list[str] = []
    real = templating._page_translations

    def counting() -> object:
        translations = real()

        class Counted:
            def ugettext(self, string: str) -> str:
                looked_up.append(string)
                return translations.ugettext(string)

            def ungettext(self, singular: str, plural: str, n: int) -> str:
                looked_up.append(singular)
                return translations.ungettext(singular, plural, n)

        return Counted()

    with mock.patch.object(templating, "_page_translations", counting):
        yield looked_up


def _lookups(app: Flask, username: str, url: str) -> int:
    client = signed_in(app, username)
    client.get(url)  # compiled templates and caches warm
    with _translations_counted() as looked_up:
        assert client.get(url).status_code == 200
    return len(looked_up)


def test_the_lists_translations_do_not_grow_with_their_rows(
    app_ctx: Flask, users: dict[str, User]
) -> None:
    """Two rows, then twelve: the same number of messages looked up per page (the column
    labels once per list, not once per row)."""
    drafter = users["drafter"]
    factories.monitored_plan_with_report(users)
    factories.plan_in_state(users, "draft", "6301")
    few = (
        _lookups(app_ctx, "drafter.6301", "/plans"),
        _lookups(app_ctx, "drafter.6301", "/reports"),
    )
    for year in range(2040, 2050):
        ops.create_plan(
            drafter,
            factories.regions()["6301"],
            title=f"R {year}",
            period_start=year,
            period_end=year,
        )
    plan, _ = factories.monitored_plan_with_report(users)
    for number in (1, 2, 3, 4):
        open_report(system_user(), plan, Quarter(plan.period_start, number), current_calendar())
    db.session.commit()
    more = (
        _lookups(app_ctx, "drafter.6301", "/plans"),
        _lookups(app_ctx, "drafter.6301", "/reports"),
    )
    assert more == few


def test_the_plans_list_reads_its_rows_without_loading_plans(
    app_ctx: Flask, users: dict[str, User]
) -> None:
    """The list's plans come as plain rows of the columns shown: no ActionPlan, no Region is
    loaded for a row (counted by SQLAlchemy's load event), searched or not."""
    _plans_with_matches(users)
    client = signed_in(app_ctx, "provincial.63")
    loaded: list[object] = []

    def count(target: object, context: object) -> None:
        loaded.append(target)

    for model in (ActionPlan, Region):
        event.listen(model, "load", count)
    try:
        for url in ("/plans", "/plans?q=sanitasi", "/plans?state=district_review"):
            page = client.get(url)
            assert page.status_code == 200 and 'id="plan-' in page.get_data(as_text=True)
    finally:
        for model in (ActionPlan, Region):
            event.remove(model, "load", count)
    assert not [t for t in loaded if isinstance(t, ActionPlan)]
