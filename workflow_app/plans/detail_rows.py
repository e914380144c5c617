"""The rows of the plan page's indicators and activities tables, written in Python.

The template's loops cost a few dozen template calls per row (attribute lookups, filters,
autoescape, the `item_comments` macro called for every row though most rows have no comment
and most readers may not comment): about half of the page's template time. Here a row is one
f-string of the same markup, every value escaped as autoescape would (`escape`, which writes
None as "None" as Jinja does); the column labels are translated once per table, and the
review comments' macro is called only for a row that shows something (a comment on it, or a
form for the reader who may comment now). tests/db/test_page4_rows.py keeps the output equal
to the template's loops.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from markupsafe import Markup, escape

from ..templating import number, page_language, row_link, rupiah, state_label, wita_datetime
from ..templating import page_gettext as _
from .blueprint import blueprint

# What `item_comments` writes for an item without comments, for a reader who may not comment.
_NO_COMMENTS = "\n"
_DASH = '<span class="muted">—</span>'


class _Comments:
    """The review comments block of each row: the macro only where it writes more than a
    line break (`panel`: reviews.views.ReviewPanel of the page)."""

    def __init__(self, panel: Any, macro: Callable[..., str], plan: Any, item_type: str) -> None:
        self.panel, self.macro, self.plan, self.item_type = panel, macro, plan, item_type

    def of(self, item: Any, colspan: int) -> str:
        panel = self.panel
        if not panel.can_comment and (self.item_type, item.id) not in panel.by_item:
            return _NO_COMMENTS
        return str(self.macro(self.plan, self.item_type, item, colspan=colspan))


@blueprint.app_template_global("plan_indicator_rows")
def plan_indicator_rows(plan: Any, panel: Any, item_comments: Callable[..., str]) -> Markup:
    """The body rows of the indicators table (each indicator, its comments below it)."""
    unit_label, baseline_label = _("Unit"), _("Baseline")
    years = plan.years
    year_cells = [f'\n        <td class="num" data-label="{year}">' for year in years]
    comments, colspan = _Comments(panel, item_comments, plan, "indicator"), 3 + len(years)
    rows = []
    for indicator in plan.indicators:
        if indicator.baseline_value is not None:
            baseline = (
                f"{escape(number(indicator.baseline_value))} "
                f'<small class="muted">({escape(indicator.baseline_year)})</small>'
            )
        else:
            baseline = _DASH
        targets = {target.year: target.value for target in indicator.targets}
        cells = "".join(
            f"{cell}{_DASH if value is None else escape(number(value))}</td>\n        "
            for cell, value in zip(year_cells, map(targets.get, years), strict=True)
        )
        rows.append(
            '\n      <tr>\n        <th scope="row" class="card-title">'
            f"{escape(indicator.name)}</th>\n"
            f'        <td data-label="{unit_label}">{escape(indicator.unit)}</td>\n'
            f'        <td class="num" data-label="{baseline_label}">{baseline}</td>\n'
            f"        {cells}\n      </tr>\n      {comments.of(indicator, colspan)}\n      "
        )
    return Markup("".join(rows))


def _funding_cell(activity: Any, sources: Mapping[str, object], none: str) -> str:
    if not activity.funding:
        return f'<span class="problems">{none}</span>'
    lines = "".join(
        f"\n            <li>{escape(row.year)} · {escape(sources.get(row.source, row.source))}:"
        f' <span class="num">{escape(rupiah(row.amount))}</span></li>\n            '
        for row in activity.funding
    )
    return f'\n          <ul class="funding">\n            {lines}\n          </ul>\n          '


@blueprint.app_template_global("plan_activity_rows")
def plan_activity_rows(
    plan: Any,
    panel: Any,
    item_comments: Callable[..., str],
    vocabularies: tuple[Mapping[str, object], ...],
    editable: bool,
) -> Markup:
    """The body rows of the activities table; `vocabularies`: the sub-sectors', activity
    types' and funding sources' names in the page's language (detail_page.vocabularies)."""
    sub_sectors, activity_types, sources = vocabularies
    # The labels each row repeats (the table's cards on phones), literal for the extraction.
    sub_sector, kind, edit, location, volume = (
        _("Sub-sector"),
        _("Type"),
        _("Edit"),
        _("Location"),
        _("Volume"),
    )
    agency, not_set, schedule, funding, none, total = (
        _("Agency"),
        _("not set"),
        _("Schedule"),
        _("Funding"),
        _("none"),
        _("Total"),
    )
    edit_link = None
    if editable:
        edit_link = row_link("plans.edit_activity", "activity_id", plan_id=plan.id)
    comments = _Comments(panel, item_comments, plan, "activity")
    rows = []
    for activity in plan.activities:
        link = f'<br><a href="{escape(edit_link(activity.id))}">{edit}</a>' if edit_link else ""
        held_by = activity.agency
        agency_cell = (
            f'<abbr title="{escape(held_by.name)}">{escape(held_by.short_name)}</abbr>'
            if held_by
            else f'<span class="problems">{not_set}</span>'
        )
        start, end = activity.start_year, activity.end_year
        years = f"{escape(start)}–{escape(end)}" if end != start else str(escape(start))
        code, type_code = activity.sub_sector, activity.activity_type
        rows.append(
            f'\n      <tr id="activity-{escape(activity.id)}">\n'
            f'        <td data-label="{sub_sector}">{escape(sub_sectors.get(code, code))}</td>\n'
            f'        <td data-label="{kind}">'
            f"{escape(activity_types.get(type_code, type_code))}</td>\n"
            f'        <td class="card-title">\n          {escape(activity.title)}\n'
            f"          {link}\n        </td>\n"
            f'        <td data-label="{location}">{escape(activity.location)}</td>\n'
            f'        <td class="num" data-label="{volume}">'
            f"{escape(number(activity.volume))} {escape(activity.unit)}</td>\n"
            f'        <td data-label="{agency}">{agency_cell}</td>\n'
            f'        <td data-label="{schedule}">{years}</td>\n'
            f'        <td data-label="{funding}">\n          '
            f"{_funding_cell(activity, sources, none)}\n        </td>\n"
            f'        <td class="num" data-label="{total}">'
            f"{escape(rupiah(activity.total_funding))}</td>\n"
            f"      </tr>\n      {comments.of(activity, 9)}\n      "
        )
    return Markup("".join(rows))


def _person(user: Any) -> Markup:
    return Markup(
        f'<strong>{escape(user.full_name)}</strong> <small class="muted">'
        f"({escape(user.username)})</small>"
    )


@blueprint.app_template_global("history_rows")
def history_rows(case: Any, trigger_labels: Mapping[str, str]) -> Markup:
    """The entries of a case's history (templates/plans/_history.html: the plan, report and
    declared case pages), oldest first; each state's label looked up once."""
    steps = case.history
    if not steps:
        return Markup(f'\n  <li class="muted">{_("No history yet.")}</li>\n  ')
    labels: dict[str, str] = {}

    def label(state: str) -> str:
        found = labels.get(state)
        if found is None:
            found = labels[state] = str(escape(state_label(case, state)))
        return found

    on_behalf, language = _("%(actor)s on behalf of %(principal)s"), page_language()
    rows = []
    for step in steps:
        if step.acting_for:
            who = Markup(on_behalf) % {
                "actor": _person(step.actor),
                "principal": _person(step.acting_for),
            }
        else:
            who = _person(step.actor)
        moved = f"{label(step.from_state)} → " if step.from_state else ""
        comment = f'<div class="comment">{escape(step.comment)}</div>' if step.comment else ""
        trigger = step.trigger
        rows.append(
            f'\n  <li class="history-entry" id="history-{escape(step.id)}">\n'
            '    <div class="history-head">\n'
            f'      <time datetime="{escape(step.created_at.isoformat())}">'
            f"{escape(wita_datetime(step.created_at, language))}</time>\n"
            '      · <span class="history-trigger">'
            f"{escape(trigger_labels.get(trigger, trigger))}</span>\n"
            f'      · <span class="history-states">{moved}{label(step.to_state)}</span>\n'
            '    </div>\n    <div class="history-who">\n      \n'
            f"        {who}\n      \n    </div>\n    {comment}\n  </li>\n  "
        )
    return Markup("".join(rows))
