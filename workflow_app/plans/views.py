"""Reading and acting on plans: my tasks, the plans list, the plan page and its actions.

Changes go through `operations` inside `unit_of_work()`; these views only read, render and
translate refusals into pages with the right status code.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from ..accounts.views import is_local_path
from ..deadlines.display import due_statuses
from ..engine import OutOfScope, TransitionRefused
from ..monitoring.plan_section import realisation_section
from ..monitoring.queries import overseen_reports, report_task_page
from ..refusals import refusal_details, refusal_message
from ..templating import state_label
from ..unit_of_work import unit_of_work
from ..workflows import definition_of
from . import operations
from .access import scope_of
from .blueprint import blueprint
from .forms_actions import Action, TransitionForm, offered_actions
from .models import ActionPlan
from .queries import (
    TASKS_SHOWN,
    list_plans,
    my_task_page,
    overseen_plans,
    state_options,
    visible_regions,
)
from .vocabulary import ACTIVITY_TYPES, FUNDING_SOURCES, SUB_SECTORS

__all__ = ["blueprint"]

Page = str | tuple[str, int]


def _language() -> str:
    return str(get_locale() or "id")


@dataclass
class Refusal:
    """Why the last action was refused, shown at the top of the plan page."""

    status: int
    message: str
    details: list[str] = field(default_factory=list)
    # The typed comment, when the refused action is no longer offered on the page.
    unsent_comment: str | None = None


def _actions(plan: ActionPlan, sent: TransitionForm | None) -> list[Action]:
    return offered_actions(plan, current_user.grants(), scope_of(plan), sent)


def _trigger_labels(plan: ActionPlan) -> dict[str, str]:
    labels = {operations.CREATE_TRIGGER: _("Created")}
    for step in definition_of(plan).transitions:
        labels.setdefault(step.trigger, step.label.get(_language()))
    return labels


def _plan_page(
    plan: ActionPlan,
    *,
    status: int = 200,
    refusal: Refusal | None = None,
    sent: TransitionForm | None = None,
) -> Page:
    actions = _actions(plan, sent)
    offered = {a.transition.trigger for a in actions}
    if refusal is not None and sent is not None and sent.trigger.data not in offered:
        refusal.unsent_comment = sent.comment.data or None
    page = render_template(
        "plans/detail.html",
        plan=plan,
        definition=definition_of(plan),
        actions=actions,
        refusal=refusal,
        due=due_statuses([plan]).get(plan.id),
        editable=operations.can_edit(current_user, plan),
        trigger_labels=_trigger_labels(plan),
        sub_sectors=SUB_SECTORS,
        activity_types=ACTIVITY_TYPES,
        funding_sources=FUNDING_SOURCES,
        language=_language(),
        realisation=realisation_section(plan),
    )
    return page, status


@blueprint.get("/tasks")
@login_required
def tasks() -> Page:
    # The earliest due first, a page of each; `?all=1` lists everything.
    limit = None if request.args.get("all") == "1" else TASKS_SHOWN
    waiting = my_task_page(current_user, limit)
    overseen = overseen_plans(current_user)
    dues = due_statuses([*(task.plan for task in waiting.items), *overseen])
    # Reports apart: their ids are not plan ids, so their deadlines get a mapping of their own.
    reports = report_task_page(current_user, limit)
    late_reports = overseen_reports(current_user)
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
        report_dues=due_statuses([*(task.report for task in reports.items), *late_reports]),
        overseen_reports=late_reports,
    )


@blueprint.get("/plans")
@login_required
def index() -> Page:
    region_code = request.args.get("region", "").strip()
    state = request.args.get("state", "").strip()
    plans = list_plans(current_user, region_code=region_code or None, state=state or None)
    return render_template(
        "plans/index.html",
        plans=plans,
        regions=visible_regions(current_user),
        states=state_options(_language()),
        selected_region=region_code,
        selected_state=state,
    )


@blueprint.get("/plans/<int:plan_id>")
@login_required
def detail(plan_id: int) -> Page:
    return _plan_page(operations.load_visible_plan(current_user, plan_id))


@blueprint.post("/plans/<int:plan_id>/transition")
@login_required
def transition(plan_id: int) -> Page | Response:
    plan = operations.load_visible_plan(current_user, plan_id)
    form = TransitionForm()
    if not form.validate():
        refusal = Refusal(400, _("The data sent is not valid."))
        return _plan_page(plan, status=400, refusal=refusal, sent=form)
    try:
        with unit_of_work():
            record = operations.transition(
                current_user,
                plan,
                form.trigger.data,
                comment=form.comment.data,
                expected_version=form.version.data,
            )
    except OutOfScope:
        raise  # the app's error page: "not found", never a hint that the plan exists
    except TransitionRefused as exc:
        # unit_of_work rolled back, which expired every loaded object: reading the plan
        # again shows its current state, not what the refused attempt did to it.
        plan = operations.load_visible_plan(current_user, plan_id)
        refusal = Refusal(exc.status, refusal_message(exc), refusal_details(exc))
        return _plan_page(plan, status=exc.status, refusal=refusal, sent=form)
    flash(
        _("Done: the plan is now “%(state)s”.", state=state_label(plan, record.to_state)),
        "success",
    )
    # A same-site `next` (the sync workspace's forms) brings the user back where they acted.
    target = request.form.get("next")
    back = target if target and is_local_path(target) else None
    return redirect(back or url_for("plans.detail", plan_id=plan_id), code=303)
