"""The plan page's indicators and activities tables, written in Python (plans/detail_rows.py):
the same markup as the template's loops were, and template calls that do not grow with the
rows (counted, never timed)."""

# ruff: noqa: E501 -- the loops below are the template's own lines, kept as they were.
from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest
from flask import Flask, render_template, render_template_string
from flask_babel import force_locale
from flask_login import login_user
from jinja2.runtime import Context

from workflow_app.extensions import db
from workflow_app.plans import operations as ops
from workflow_app.plans.detail_page import (
    load_visible_page_plan,
    trigger_labels_of_plan,
    vocabularies,
)
from workflow_app.reviews.operations import add_comment

from .. import factories
from ..conftest import signed_in

# The two loops as templates/plans/detail.html wrote them before detail_rows.py did.
OLD_INDICATORS = """{% from "plans/_item_comments.html" import item_comments %}{% set unit_label, baseline_label = _('Unit'), _('Baseline') %}
      {% for indicator in plan.indicators %}
      <tr>
        <th scope="row" class="card-title">{{ indicator.name }}</th>
        <td data-label="{{ unit_label }}">{{ indicator.unit }}</td>
        <td class="num" data-label="{{ baseline_label }}">{% if indicator.baseline_value is not none %}{{ indicator.baseline_value | number }} <small class="muted">({{ indicator.baseline_year }})</small>{% else %}<span class="muted">—</span>{% endif %}</td>
        {% for year in plan.years %}{% set target = indicator.target_for(year) %}
        <td class="num" data-label="{{ year }}">{% if target is not none %}{{ target | number }}{% else %}<span class="muted">—</span>{% endif %}</td>
        {% endfor %}
      </tr>
      {{ item_comments(plan, "indicator", indicator, colspan=3 + plan.years | length) }}
      {% endfor %}"""
OLD_ACTIVITIES = """{% from "plans/_item_comments.html" import item_comments %}{% set labels = {"sub_sector": _('Sub-sector'), "type": _('Type'), "edit": _("Edit"), "location": _('Location'), "volume": _('Volume'), "agency": _('Agency'), "not_set": _("not set"), "schedule": _('Schedule'), "funding": _('Funding'), "none": _("none"), "total": _('Total')} %}
      {% for activity in plan.activities %}
      <tr id="activity-{{ activity.id }}">
        <td data-label="{{ labels.sub_sector }}">{{ sub_sectors.get(activity.sub_sector, activity.sub_sector) }}</td>
        <td data-label="{{ labels.type }}">{{ activity_types.get(activity.activity_type, activity.activity_type) }}</td>
        <td class="card-title">
          {{ activity.title }}
          {% if editable %}<br><a href="{{ url_for('plans.edit_activity', plan_id=plan.id, activity_id=activity.id) }}">{{ labels.edit }}</a>{% endif %}
        </td>
        <td data-label="{{ labels.location }}">{{ activity.location }}</td>
        <td class="num" data-label="{{ labels.volume }}">{{ activity.volume | number }} {{ activity.unit }}</td>
        <td data-label="{{ labels.agency }}">{% if activity.agency %}<abbr title="{{ activity.agency.name }}">{{ activity.agency.short_name }}</abbr>{% else %}<span class="problems">{{ labels.not_set }}</span>{% endif %}</td>
        <td data-label="{{ labels.schedule }}">{{ activity.start_year }}{% if activity.end_year != activity.start_year %}–{{ activity.end_year }}{% endif %}</td>
        <td data-label="{{ labels.funding }}">
          {% if activity.funding %}
          <ul class="funding">
            {% for row in activity.funding %}
            <li>{{ row.year }} · {{ funding_sources.get(row.source, row.source) }}: <span class="num">{{ row.amount | rupiah }}</span></li>
            {% endfor %}
          </ul>
          {% else %}<span class="problems">{{ labels.none }}</span>{% endif %}
        </td>
        <td class="num" data-label="{{ labels.total }}">{{ activity.total_funding | rupiah }}</td>
      </tr>
      {{ item_comments(plan, "activity", activity, colspan=9) }}
      {% endfor %}"""
# templates/plans/_history.html before detail_rows.history_rows wrote its entries.
OLD_HISTORY = """{# The plan's history as a timeline, oldest step first. Expects `plan` and `trigger_labels`. #}
{% macro person(user) -%}
<strong>{{ user.full_name }}</strong> <small class="muted">({{ user.username }})</small>
{%- endmacro %}
<ol class="timeline history">
  {% for row in plan.history %}
  <li class="history-entry" id="history-{{ row.id }}">
    <div class="history-head">
      <time datetime="{{ row.created_at.isoformat() }}">{{ row.created_at | wita_datetime }}</time>
      · <span class="history-trigger">{{ trigger_labels.get(row.trigger, row.trigger) }}</span>
      · <span class="history-states">{% if row.from_state %}{{ state_label(plan, row.from_state) }} → {% endif %}{{ state_label(plan, row.to_state) }}</span>
    </div>
    <div class="history-who">
      {% if row.acting_for %}
        {{ _("%(actor)s on behalf of %(principal)s", actor=person(row.actor), principal=person(row.acting_for)) }}
      {% else %}
        {{ person(row.actor) }}
      {% endif %}
    </div>
    {% if row.comment %}<div class="comment">{{ row.comment }}</div>{% endif %}
  </li>
  {% else %}
  <li class="muted">{{ _("No history yet.") }}</li>
  {% endfor %}
</ol>
"""
NEW = """{% from "plans/_item_comments.html" import item_comments %}
      {{ plan_indicator_rows(plan, review_panel(plan), item_comments) }}
      {{ plan_activity_rows(plan, review_panel(plan), item_comments, (sub_sectors, activity_types, funding_sources), editable) }}"""


def _varied_plan(users: dict) -> int:
    """Comments on an activity and an indicator, then returned and edited: activities with and
    without agency, funding and volume, one of a single year; an indicator without baseline,
    with a missing target and markup in its texts (the one commented on: same name, new row)."""
    drafter, reviewer = users["drafter"], users["reviewer"]
    plan = factories.complete_plan(drafter, title="Rencana <b>&</b>")
    ops.transition(drafter, plan, "submit")
    db.session.commit()
    add_comment(reviewer, plan, "activity", plan.activities[0].id, "Lokasi <b>?</b>")
    add_comment(reviewer, plan, "indicator", plan.indicators[0].id, "Baseline?")
    ops.transition(reviewer, plan, "return", comment="Lengkapi")
    db.session.commit()
    first, years = plan.indicators[0], plan.years
    ops.replace_indicators(
        drafter,
        plan,
        expected_version=None,
        indicators=[
            ops.IndicatorData(
                name=first.name,
                unit=first.unit,
                baseline_year=first.baseline_year,
                baseline_value=first.baseline_value,
                targets={years[0]: Decimal("12.50"), years[-1]: Decimal("99.5")},
            ),
            ops.IndicatorData(
                name='Akses "aman" <i>&</i>',
                unit="<%>",
                baseline_year=None,
                baseline_value=None,
                targets={year: Decimal(411_522 * index) for index, year in enumerate(years)},
            ),
        ],
    )
    ops.add_activity(
        drafter,
        plan,
        expected_version=None,
        data=ops.ActivityData(
            sub_sector="hygiene",
            activity_type="regulation",
            title="Perbup <b>air</b> limbah",
            location="Kabupaten & desa",
            volume=None,
            unit="",
            agency_id=None,
            start_year=years[1],
            end_year=years[1],
            funding=[],
        ),
    )
    db.session.commit()
    return plan.id


def _both(app: Flask, user: object, plan_id: int, language: str) -> tuple[str, str]:
    """The old loops' markup and the rows' functions', for `user` in `language`."""
    with app.test_request_context(f"/plans/{plan_id}"), force_locale(language):
        login_user(user)
        plan = load_visible_page_plan(user, plan_id)
        sub_sectors, activity_types, funding_sources = vocabularies(language)
        context = {
            "plan": plan,
            "editable": ops.can_edit(user, plan),
            "sub_sectors": sub_sectors,
            "activity_types": activity_types,
            "funding_sources": funding_sources,
        }
        old = render_template_string(OLD_INDICATORS, **context)
        old += render_template_string(OLD_ACTIVITIES, **context)
        return old, render_template_string(NEW, **context)


@pytest.mark.parametrize("language", ["id", "en"])
def test_the_rows_written_in_python_are_the_loops_markup(
    app_ctx: Flask, users: dict, language: str
) -> None:
    plan_id = _varied_plan(users)  # returned: the drafter edits, sees and answers comments
    in_review = factories.plan_in_state(users, "district_review").id
    seen = set()
    for who, case in (
        ("drafter", plan_id),
        ("reviewer", plan_id),  # comments, may not comment now
        ("provincial", plan_id),  # may not see the comments' forms
        ("reviewer", in_review),  # may comment: a form under every row
    ):
        old, new = _both(app_ctx, users[who], case, language)
        assert new == old
        for mark in ("comment-form-activity", "review-comment-", "/edit", "&lt;i&gt;", "problems"):
            if mark in new:
                seen.add(mark)
    assert len(seen) == 5  # every branch was compared


@pytest.mark.parametrize("language", ["id", "en"])
def test_the_history_written_in_python_is_the_partials_markup(
    app_ctx: Flask, users: dict, language: str
) -> None:
    """Created, submitted and returned with a reason; a step acting for someone, a name and a
    comment with markup, a trigger without a label; and a case without history."""
    plan = factories.plan_in_state(users, "returned")
    users["reviewer"].full_name = "Rev <i>O'Neil</i> & Co"
    db.session.commit()
    steps = [SimpleNamespace(**{c: getattr(r, c) for c in _STEP}) for r in plan.history]
    steps.append(replace_step(steps[-1], id=10**6, acting_for=users["head"], comment="<b>&</b>"))
    steps.append(replace_step(steps[-1], id=10**6 + 1, trigger="unknown_trigger", comment=""))
    for history in (steps, []):
        case = SimpleNamespace(
            workflow_name=plan.workflow_name,
            workflow_version=plan.workflow_version,
            state=plan.state,
            history=history,
        )
        with app_ctx.test_request_context(), force_locale(language):
            context = {"plan": case, "trigger_labels": trigger_labels_of_plan(plan)}
            old = render_template_string(OLD_HISTORY, **context)
            new = render_template("plans/_history.html", **context)
        assert new == old
        assert ("&lt;i&gt;" in new and "unknown_trigger" in new) == bool(history)


def test_the_history_makes_as_many_template_calls_for_five_steps_as_for_one(
    app_ctx: Flask, users: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: each step called state_label once or twice and the person macro (the old
    partial, counted alongside, still does)."""
    plan = factories.plan_in_state(users, "returned")
    steps = [SimpleNamespace(**{c: getattr(r, c) for c in _STEP}) for r in plan.history]
    steps += [replace_step(steps[-1], id=10**6 + n, acting_for=users["head"]) for n in range(2)]
    assert len(steps) == 5

    def calls(source: str | None, history: list[SimpleNamespace]) -> int:
        case = SimpleNamespace(
            workflow_name=plan.workflow_name,
            workflow_version=plan.workflow_version,
            state=plan.state,
            history=history,
        )
        with app_ctx.test_request_context(), force_locale("id"):
            context = {"plan": case, "trigger_labels": trigger_labels_of_plan(plan)}
            counted = _template_calls(monkeypatch)
            if source is None:
                render_template("plans/_history.html", **context)
            else:
                render_template_string(source, **context)
            monkeypatch.undo()
        return len(counted)

    assert calls(None, steps) == calls(None, steps[:1])
    assert calls(OLD_HISTORY, steps) > calls(OLD_HISTORY, steps[:1]) + 4 * 2


_STEP = ("id", "created_at", "trigger", "from_state", "to_state", "actor", "acting_for", "comment")


def replace_step(step: SimpleNamespace, **changes: object) -> SimpleNamespace:
    return SimpleNamespace(**{**vars(step), **changes})


def _template_calls(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    calls: list[object] = []
    original = Context.call

    def counted(self: Context, __obj: object, *args: object, **kwargs: object) -> object:
        calls.append(__obj)
        return original(self, __obj, *args, **kwargs)

    monkeypatch.setattr(Context, "call", counted)
    return calls


def test_the_page_makes_as_many_template_calls_for_three_activities_as_for_one(
    app_ctx: Flask, users: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: each row called the comments macro (and url_for for an editable plan's edit
    link), which called review_panel and the panel's methods: a dozen template calls a row."""
    one = factories.plan_with_activities(users["drafter"], activities=0).id
    three = factories.plan_with_activities(users["drafter"], activities=2).id
    db.session.commit()
    client = signed_in(app_ctx, "drafter.6301")

    def page_calls(plan_id: int) -> int:
        assert client.get(f"/plans/{plan_id}").status_code == 200  # warm
        calls = _template_calls(monkeypatch)
        page = client.get(f"/plans/{plan_id}").get_data(as_text=True)
        monkeypatch.undo()
        assert page.count('<tr id="activity-') == (1 if plan_id == one else 3)
        return len(calls)

    assert page_calls(three) == page_calls(one)
