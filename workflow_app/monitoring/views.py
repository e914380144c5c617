"""Quarterly progress reports on the web: the list, the report page (filled in by the district
drafter, read by everyone else who may see the plan) and its actions.

Changes go through `operations` inside `unit_of_work()`. A report the user may not see is
"not found" (404) on every route; a refused change comes back as the page with what was
typed and the reason: 400 (invalid figures), 403 (role), 409 (status, or changed meanwhile).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup, escape

from ..deadlines.display import DueStatus, due_statuses
from ..engine import OutOfScope, TransitionRefused
from ..plans.case_views import Page, Reply, confirm_get, language, transition_post
from ..plans.confirmation import Confirmation, Described, register_confirmation
from ..plans.lists_paging import (
    PAGE_NUMBER_INVALID,
    InvalidPageNumber,
    last_page_url,
    page_number,
    pager,
)
from ..templating import due_cell, page_gettext, page_language, row_link, state_badge, wita_datetime
from ..unit_of_work import unit_of_work
from . import operations
from .blueprint import blueprint
from .forms import report_form
from .models import ProgressReport
from .page import actor, report_page, report_refusal
from .quarters import ROMAN
from .queries import (
    ListedReport,
    ReportFilters,
    ReportRow,
    report_regions,
    report_state_options,
    report_years,
    reports_page,
)

__all__ = ["blueprint"]


@blueprint.get("/reports")
@login_required
def index() -> Reply:
    filters = ReportFilters.from_args(request.args)
    try:
        number, status = page_number(request.args), 200
    except InvalidPageNumber:
        number, status = 1, 400  # the first page, with the message (as a filter refused)
    page = reports_page(current_user, filters, number)
    dues = due_statuses(page.items)
    if page.past_the_end:
        return redirect(last_page_url(page))
    return render_template(
        "monitoring/index.html",
        reports=page.items,
        total=page.total,
        pager=pager(page),
        page_error=PAGE_NUMBER_INVALID if status == 400 else None,
        dues=dues,
        filters=filters,
        states=report_state_options(language()),
        years=report_years(current_user),
        quarters=ROMAN,
        regions=report_regions(current_user),
    ), status


_NONE = '<span class="muted">—</span>'


@blueprint.app_template_global("report_list_rows")
def report_list_rows(reports: Sequence[ListedReport], dues: Mapping[int, DueStatus]) -> Markup:
    """The body rows of the reports list (templates/monitoring/index.html), written in Python:
    the template's loop cost ~80% of the page (per row a few dozen lookups, two `url_for` and
    five translated labels). Each row is the same markup, every value escaped as autoescape
    would; the labels are translated once per list. test_lists5_rows.py keeps it equal."""
    district, quarter, status = (
        page_gettext("District"),
        page_gettext("Quarter"),
        page_gettext("Status"),
    )
    due_label, submitted_label = page_gettext("Due"), page_gettext("Submitted")
    language = page_language()
    plan_link = row_link("plans.detail", "plan_id")
    report_link = row_link("monitoring.report", "report_id")
    rows = []
    for report in reports:
        plan, due = report.plan, dues.get(report.id)
        overdue = ' class="overdue" data-overdue="1"' if due and due.status == "overdue" else ""
        due_text = due_cell(due, language, "<br>") if due else _NONE
        submitted = report.submitted_at
        sent = escape(wita_datetime(submitted, language)) if submitted else _NONE
        rows.append(
            f'\n      <tr id="report-{escape(report.id)}" data-state="{escape(report.state)}"'
            f"{overdue}>\n"
            f'        <td data-label="{district}">{escape(plan.region.name)} '
            f'<small class="muted">{escape(plan.region.code)}</small></td>\n'
            f'        <td class="card-title"><a href="{escape(plan_link(plan.id))}">'
            f"{escape(plan.title)}</a> "
            f'<small class="muted">{escape(plan.period_label)}</small></td>\n'
            f'        <td data-label="{quarter}"><a class="report-link" '
            f'href="{escape(report_link(report.id))}">{escape(report.period_label)}</a></td>\n'
            f'        <td data-label="{status}">{state_badge(report, language)}</td>\n'
            f'        <td data-label="{due_label}">{due_text}</td>\n'
            f'        <td data-label="{submitted_label}">{sent}</td>\n      </tr>\n      '
        )
    return Markup("".join(rows))


@blueprint.route("/reports/<int:report_id>", methods=["GET", "POST"])
@login_required
def report(report_id: int) -> Reply:
    user = actor()
    report = operations.load_visible_report(user, report_id)
    if request.method != "POST":
        return report_page(report)
    # Someone who may not fill it in gets the app's refusal page: 403 (role) or 409 (status).
    operations.check_fillable(user, report)
    form = report_form(report, posted=True)
    if not form.validate():
        return report_page(report, status=400, form=form)
    try:
        with unit_of_work():
            operations.save_report(
                user,
                report,
                expected_version=form.expected_version(),
                lines=form.lines(),
                indicator_values=form.indicator_values(),
            )
    except OutOfScope:
        raise
    except TransitionRefused as exc:  # stale (409), invalid figures (400), status (409)
        # The rollback expired the report: the page shows it as stored, the form as typed.
        report = operations.load_visible_report(user, report_id)
        return report_page(report, status=exc.status, refusal=report_refusal(exc), form=form)
    flash(_("The report was saved."), "success")
    return redirect(url_for("monitoring.report", report_id=report_id), code=303)


@blueprint.post("/reports/<int:report_id>/transition")
@login_required
def transition(report_id: int) -> Reply:
    return transition_post(
        report_id,
        operations.load_visible_report,
        report_page,
        done=lambda state: _("Done: the report is now “%(state)s”.", state=state),
        back=url_for("monitoring.report", report_id=report_id),
        refusal=report_refusal,
    )


@blueprint.get("/reports/<int:report_id>/confirm/<trigger>")
@login_required
def confirm(report_id: int, trigger: str) -> Page:
    return confirm_get(
        report_id, trigger, operations.load_visible_report, report_page, refusal=report_refusal
    )


def _described(report: ProgressReport) -> Described:
    return Described(
        title=report.plan.title,
        region=report.plan.region,
        page_url=url_for("monitoring.report", report_id=report.id),
        facts=[(_("Quarter"), report.period_label)],
    )


REPORT_CONFIRMATION = Confirmation(
    confirm_endpoint="monitoring.confirm",
    transition_endpoint="monitoring.transition",
    url_args=lambda report: {"report_id": report.id},
    describe=_described,
)
register_confirmation(ProgressReport, REPORT_CONFIRMATION)
# My tasks links its plain rows' actions to the same page (queries.my_report_rows); the page
# describes the report it loads, never the row.
register_confirmation(ReportRow, REPORT_CONFIRMATION)


# The other routes of the blueprint register themselves on import.
from . import evidence_views as _evidence_views  # noqa: E402, F401
from . import export_views as _export_views  # noqa: E402, F401
