"""The rows of the long lists on "My tasks" (plans and quarterly reports waiting for the user;
a district head's plans and reports in progress), written in Python.

The templates looped over up to 50 rows each, and every row cost a few dozen template calls
(filters, globals, attribute lookups, autoescape): most of the page's time. Here a row is one
f-string of the same markup, every value escaped as autoescape would (`escape`); what is the
same on every row (the column labels, the locale, the actions cell of a set of actions) is
built once per page. templates/plans/tasks.html and monitoring/_tasks.html call these where
their loops were; tests/db/test_tasks_rows.py keeps the output equal to those loops.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from flask import current_app, url_for
from flask_babel import gettext
from jinja2.filters import do_truncate
from markupsafe import Markup, escape

from ..engine import TransitionDef
from ..templating import due_cell, row_link, state_badge, wita_datetime
from .blueprint import blueprint
from .confirmation import confirm_url

_NO_DUE = '<span class="muted">—</span>'


class _Actions:
    """The "Your action" cell of a page's rows: a link per action, as the loop wrote it.

    A cell without a confirmation link is the same for every row with the same actions but for
    the case's page link: it is built once per set of actions (and page) and joined around it.
    """

    def __init__(self, locale: str, back: str) -> None:
        self.locale, self.back = locale, back
        self._cells: dict[tuple[int, ...], list[str]] = {}

    def cell(self, case: Any, link: str, actions: Sequence[TransitionDef]) -> str:
        """The cell's markup; `link`: the case's page, escaped."""
        if any(action.confirm for action in actions):
            return self._written(
                actions, lambda action: confirm_url(case, action.trigger, self.back), link
            )
        # By identity: the definitions hold their transitions for longer than a page, and
        # hashing a frozen dataclass hashes every field of it.
        key = tuple(map(id, actions))
        parts = self._cells.get(key)
        if parts is None:
            probe = "\x00"
            written = self._written(actions, lambda action: "", probe)
            parts = self._cells[key] = written.split(probe)
        return link.join(parts)

    def _written(
        self, actions: Sequence[TransitionDef], confirm: Callable[[TransitionDef], str], link: str
    ) -> str:
        last = len(actions) - 1
        links = [
            '\n          <a class="task-action" href="'
            + (
                str(escape(confirm(action)))
                if action.confirm
                else f"{link}#action-{escape(action.trigger)}"
            )
            + f'">{escape(action.label.get(self.locale))}</a>'
            + (" · " if index != last else "")
            + "\n          "
            for index, action in enumerate(actions)
        ]
        return "\n          " + "".join(links) + "\n        </td>"


class _Badges:
    """A page's state badges by (workflow, version, state): the definition is looked up once
    per distinct state, not once per row (`state_badge` keeps them across pages)."""

    def __init__(self, locale: str) -> None:
        self.locale = locale
        self._found: dict[tuple[str, int, str], Markup] = {}

    def of(self, case: Any) -> Markup:
        key = (case.workflow_name, case.workflow_version, case.state)
        badge = self._found.get(key)
        if badge is None:
            badge = self._found[key] = state_badge(case, self.locale)
        return badge


class _Dues:
    """A list's deadline cells, each written once per distinct deadline: many rows fall due at
    the same instant (a quarter's reports all do), and a cell depends only on the instant, its
    status and count of working days, the language and what stands between them."""

    def __init__(self, locale: str, between: str) -> None:
        self.locale, self.between = locale, between
        self._cells: dict[tuple[Any, str, int], str] = {}

    def cell(self, due: Any) -> str:
        if not due:
            return _NO_DUE
        key = (due.due_at, due.status, due.working_days)
        found = self._cells.get(key)
        if found is None:
            found = self._cells[key] = str(due_cell(due, self.locale, self.between))
        return found


class _Times:
    """A list's times in WITA (`wita_datetime`), escaped, each written once per distinct
    instant (rows that entered a state in the same batch share one)."""

    def __init__(self, locale: str) -> None:
        self.locale = locale
        self._written: dict[Any, str] = {}

    def of(self, value: Any) -> str:
        found = self._written.get(value)
        if found is None:
            found = self._written[value] = str(escape(wita_datetime(value, self.locale)))
        return found


def _escaped_link(endpoint: str, key: str) -> Callable[[int], str]:
    """`row_link`, escaped as autoescape would: a row's id is digits (nothing to escape), so
    the link's two halves are escaped once per list, not the whole link once per row."""
    probe = "2147480001"  # as row_link's: an id no route part holds
    written = row_link(endpoint, key)(int(probe))
    head, tail = (str(escape(part)) for part in written.split(probe, 1))
    return lambda row_id: f"{head}{int(row_id)}{tail}"


class _Regions:
    """A list's first cells, each written once per region (a list holds a few districts)."""

    def __init__(self, label: str) -> None:
        self.label = label
        self._cells: dict[tuple[str, str], str] = {}

    def cell(self, place: Any) -> str:
        key = (place.name, place.code)
        found = self._cells.get(key)
        if found is None:
            found = self._cells[key] = _region_cell(self.label, place)
        return found


def _labels(*msgids: str) -> list[str]:
    # As the templates' `_()` gave them: translated, not escaped (newstyle gettext marks its
    # result safe).
    return [gettext(msgid) for msgid in msgids]


def _returned(plan: Any, returned: Any, locale: str) -> str:
    """Why a returned plan came back: who returned it (acting for whom), when, the reason;
    the markup templates/plans/_task_returned.html wrote (rendering it cost a template per
    returned plan)."""
    actor = returned.actor.full_name
    who = (
        Markup(gettext("%(actor)s on behalf of %(principal)s"))
        % {"actor": actor, "principal": returned.acting_for.full_name}
        if returned.acting_for
        else escape(actor)
    )
    when = wita_datetime(returned.created_at, locale)
    said = Markup(gettext("Returned by %(who)s, %(when)s:")) % {"who": who, "when": when}
    reason = (
        '<q class="comment returned-comment">'
        f"{escape(do_truncate(current_app.jinja_env, returned.comment, 200))}</q>"
        if returned.comment
        else ""
    )
    return (
        f'\n\n<div class="task-returned" id="task-returned-{plan.id}">\n'
        f"  <small>{said}</small>\n  {reason}\n</div>"
    )


@blueprint.app_template_global("plan_task_rows")
def plan_task_rows(
    tasks: Iterable[Any], dues: Mapping[int, Any], returns: Mapping[int, Any], locale: str
) -> Markup:
    """The rows of "Plans waiting for your action" (plans.queries.Task)."""
    region, period, status, due_label, waiting, action = _labels(
        "Region", "Period", "Status", "Due", "Waiting since", "Your action"
    )
    plan_link = _escaped_link("plans.detail", "plan_id")
    cells, badges = _Actions(locale, url_for("plans.tasks")), _Badges(locale)
    due_cells, times, places = _Dues(locale, "<br>"), _Times(locale), _Regions(region)
    rows = []
    for task in tasks:
        plan = task.plan
        link, returned = plan_link(plan.id), returns.get(plan.id)
        rows.append(
            f'\n      <tr id="task-{plan.id}">\n'
            f"{places.cell(plan.region)}"
            f'        <td class="card-title"><a href="{link}">{escape(plan.title)}</a>'
            f"{_returned(plan, returned, locale) if returned else ''}</td>\n"
            f'        <td data-label="{period}">{escape(plan.period_label)}</td>\n'
            f'        <td data-label="{status}">{badges.of(plan)}</td>\n'
            f'        <td data-label="{due_label}">{due_cells.cell(dues.get(plan.id))}</td>\n'
            f'        <td data-label="{waiting}">{times.of(plan.state_entered_at)}</td>\n'
            f'        <td data-label="{action}">{cells.cell(plan, link, task.actions)}\n'
            "      </tr>\n      "
        )
    return Markup("".join(rows))


def _region_cell(label: str, place: Any) -> str:
    """A list's first cell: the region's name, its code beside it."""
    return (
        f'        <td data-label="{label}">{escape(place.name)}'
        f' <small class="muted">{escape(place.code)}</small></td>\n'
    )


@blueprint.app_template_global("report_task_rows")
def report_task_rows(tasks: Iterable[Any], dues: Mapping[int, Any], locale: str) -> Markup:
    """The rows of "Quarterly reports" (monitoring.queries.ReportTask)."""
    region, quarter, status, due_label, action = _labels(
        "Region", "Quarter", "Status", "Due", "Your action"
    )
    plan_link = _escaped_link("plans.detail", "plan_id")
    report_link = _escaped_link("monitoring.report", "report_id")
    cells, badges = _Actions(locale, url_for("plans.tasks")), _Badges(locale)
    due_cells, places = _Dues(locale, "<br>"), _Regions(region)
    rows = []
    for task in tasks:
        report = task.report
        plan, due, link = report.plan, dues.get(report.id), report_link(report.id)
        overdue = ' class="overdue" data-overdue="1"' if due and due.status == "overdue" else ""
        rows.append(
            f'\n      <tr id="report-task-{report.id}"{overdue}>\n'
            f"{places.cell(plan.region)}"
            f'        <td class="card-title"><a href="{plan_link(plan.id)}">'
            f"{escape(plan.title)}</a></td>\n"
            f'        <td data-label="{quarter}"><a href="{link}">'
            f"{escape(report.period_label)}</a></td>\n"
            f'        <td data-label="{status}">{badges.of(report)}</td>\n'
            f'        <td data-label="{due_label}">{due_cells.cell(due)}</td>\n'
            f'        <td data-label="{action}">{cells.cell(report, link, task.actions)}\n'
            "      </tr>\n      "
        )
    return Markup("".join(rows))


@blueprint.app_template_global("overseen_plan_rows")
def overseen_plan_rows(plans: Iterable[Any], dues: Mapping[int, Any], locale: str) -> Markup:
    """The rows of "Your district's plans in progress" (a district head's)."""
    status, due_label = _labels("Status", "Due")
    plan_link, badges = _escaped_link("plans.detail", "plan_id"), _Badges(locale)
    due_cells = _Dues(locale, " ")
    rows = [
        f'\n      <tr id="overseen-{plan.id}">\n'
        f'        <td class="card-title"><a href="{plan_link(plan.id)}">'
        f'{escape(plan.title)}</a> <small class="muted">{escape(plan.region.name)}</small></td>\n'
        f'        <td data-label="{status}">{badges.of(plan)}</td>\n'
        f'        <td data-label="{due_label}">{due_cells.cell(dues.get(plan.id))}</td>\n'
        "      </tr>\n      "
        for plan in plans
    ]
    return Markup("".join(rows))


@blueprint.app_template_global("overseen_report_rows")
def overseen_report_rows(reports: Iterable[Any], dues: Mapping[int, Any], locale: str) -> Markup:
    """The rows of "Your district's quarterly reports not yet verified"."""
    quarter, status, due_label = _labels("Quarter", "Status", "Due")
    plan_link = _escaped_link("plans.detail", "plan_id")
    report_link, badges = _escaped_link("monitoring.report", "report_id"), _Badges(locale)
    due_cells = _Dues(locale, " ")
    rows = []
    for report in reports:
        due, plan = dues.get(report.id), report.plan
        overdue = ' class="overdue" data-overdue="1"' if due and due.status == "overdue" else ""
        rows.append(
            f'\n      <tr id="overseen-report-{report.id}"{overdue}>\n'
            f'        <td class="card-title"><a href="{plan_link(report.plan_id)}">'
            f"{escape(plan.title)}</a>"
            f' <small class="muted">{escape(plan.region.name)}</small></td>\n'
            f'        <td data-label="{quarter}"><a href="{report_link(report.id)}">'
            f"{escape(report.period_label)}</a></td>\n"
            f'        <td data-label="{status}">{badges.of(report)}</td>\n'
            f'        <td data-label="{due_label}">{due_cells.cell(due)}</td>\n'
            "      </tr>\n      "
        )
    return Markup("".join(rows))
