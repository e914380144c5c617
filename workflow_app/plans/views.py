"""Reading and acting on plans: my tasks, the plans list, the plan page and its actions.

Changes go through `operations` inside `unit_of_work()`; these views only read, render and
translate refusals into pages with the right status code.
"""

from __future__ import annotations

from functools import cache

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..cases.queries import case_tasks
from ..deadlines.calendar_store import current_calendar
from ..deadlines.display import due_statuses
from ..monitoring.queries import my_report_rows, overseen_reports_as_rows
from ..templating import rupiah
from ..workspaces import register_workspace
from . import operations
from . import task_rows as _task_rows  # noqa: F401 (registers the lists' row writers)
from .blueprint import blueprint
from .case_views import (
    Page,
    Reply,
    confirm_get,
    language,
    transition_post,
)
from .confirmation import Confirmation, Described, register_confirmation
from .detail_page import load_visible_page_plan, plan_page
from .lists_paging import (
    PAGE_NUMBER_INVALID,
    InvalidPageNumber,
    last_page_url,
    page_number,
    pager,
)
from .models import ActionPlan
from .queries import (
    TASKS_SHOWN,
    state_options,
    visible_regions,
)
from .search import agency_options, region_codes, search_page
from .search_form import read_filters, search_form
from .task_list_rows import PlanRow, my_task_rows, overseen_plans_as_rows
from .vocabulary import SUB_SECTORS

__all__ = ["blueprint"]


@blueprint.get("/tasks")
@login_required
def tasks() -> Page:
    # The earliest due first, a page of each; `?all=1` lists everything.
    limit = None if request.args.get("all") == "1" else TASKS_SHOWN
    waiting = my_task_rows(current_user, limit)  # plain rows: the page reads a few columns
    overseen = overseen_plans_as_rows(current_user)  # plain rows, as the tasks
    calendar = cache(current_calendar)  # read once for both lists (and only if one has dues)
    dues = due_statuses([*(task.plan for task in waiting.items), *overseen], calendar=calendar)
    # Reports apart: their ids are not plan ids, so their deadlines get a mapping of their own.
    reports = my_report_rows(current_user, limit)  # plain rows, as the plans
    late_reports = overseen_reports_as_rows(current_user)
    declared, opinions = case_tasks(current_user, limit)  # one statement when there are none
    return render_template(
        "plans/tasks.html",
        tasks=waiting.items,
        more_tasks=waiting.more,
        total_tasks=waiting.total,
        overseen=overseen,
        dues=dues,
        report_tasks=reports.items,
        more_report_tasks=reports.more,
        total_report_tasks=reports.total,
        report_dues=due_statuses(
            [*(task.report for task in reports.items), *late_reports], calendar=calendar
        ),
        overseen_reports=late_reports,
        declared=declared,
        opinions=opinions,
    )


# Every user may open their tasks: where a role with steps to take lands (workspaces.py).
register_workspace("tasks", "plans.tasks", lambda user: bool(user.is_authenticated))


@blueprint.get("/plans")
@login_required
def index() -> Page:
    # Search and filters from the query string; an invalid value is named next to its field,
    # left out, and the page answers 400 (the rest of the filter still applies).
    form = search_form(
        request.args,
        regions=visible_regions(current_user),
        known_regions=region_codes(),
        agencies=agency_options(current_user),
        states=state_options(language()),
    )
    filters, valid = read_filters(form)
    page_error = None
    try:
        number = page_number(request.args)
    except InvalidPageNumber:
        # The first page, with the message, answered 400 as a filter refused.
        number, valid, page_error = 1, False, PAGE_NUMBER_INVALID
    results = search_page(current_user, filters, number)
    if results.past_the_end:
        return redirect(last_page_url(results))
    page = render_template(
        "plans/index.html",
        results=results.items,
        total=results.total,
        pager=pager(results),
        page_error=page_error,
        form=form,
        filtered=any(value for key, value in request.args.items() if key != "page"),
        sub_sectors=SUB_SECTORS,
    )
    return page, 200 if valid else 400


@blueprint.get("/plans/<int:plan_id>")
@login_required
def detail(plan_id: int) -> Page:
    return plan_page(load_visible_page_plan(current_user, plan_id))


@blueprint.post("/plans/<int:plan_id>/transition")
@login_required
def transition(plan_id: int) -> Reply:
    # A same-site `next` (the sync workspace, My tasks) brings the user back where they acted.
    return transition_post(
        plan_id,
        operations.load_visible_plan,
        plan_page,
        done=lambda state: _("Done: the plan is now “%(state)s”.", state=state),
        back=url_for("plans.detail", plan_id=plan_id),
    )


@blueprint.get("/plans/<int:plan_id>/confirm/<trigger>")
@login_required
def confirm(plan_id: int, trigger: str) -> Page:
    return confirm_get(plan_id, trigger, operations.load_visible_plan, plan_page)


def _described(plan: ActionPlan) -> Described:
    total = sum(activity.total_funding for activity in plan.activities)
    return Described(
        title=plan.title,
        region=plan.region,
        page_url=url_for("plans.detail", plan_id=plan.id),
        facts=[(_("Period"), plan.period_label), (_("Total funding"), rupiah(total))],
    )


PLAN_CONFIRMATION = Confirmation(
    confirm_endpoint="plans.confirm",
    transition_endpoint="plans.transition",
    url_args=lambda plan: {"plan_id": plan.id},
    describe=_described,
)
register_confirmation(ActionPlan, PLAN_CONFIRMATION)
# My tasks links its plain rows' actions to the same page (task_list_rows.py).
register_confirmation(PlanRow, PLAN_CONFIRMATION)
