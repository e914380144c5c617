"""The plan page: one plan with its contents, history, comments, actions and realisation.

Its own module so that the page's cost can be worked on apart from the task and list pages.
"""

from __future__ import annotations

from flask import render_template
from flask_babel import gettext as _
from flask_login import current_user

from ..deadlines.display import due_statuses
from ..monitoring.plan_section import realisation_section
from ..workflows import definition_of
from . import operations
from .case_views import Page, Refusal, language, page_actions, trigger_labels
from .forms_actions import TransitionForm
from .models import ActionPlan
from .vocabulary import ACTIVITY_TYPES, FUNDING_SOURCES, SUB_SECTORS


def trigger_labels_of_plan(plan: ActionPlan) -> dict[str, str]:
    return trigger_labels(plan, operations.CREATE_TRIGGER, _("Created"))


def plan_page(
    plan: ActionPlan,
    *,
    status: int = 200,
    refusal: Refusal | None = None,
    sent: TransitionForm | None = None,
) -> Page:
    page = render_template(
        "plans/detail.html",
        plan=plan,
        definition=definition_of(plan),
        actions=page_actions(plan, refusal, sent),
        refusal=refusal,
        due=due_statuses([plan]).get(plan.id),
        editable=operations.can_edit(current_user, plan),
        trigger_labels=trigger_labels_of_plan(plan),
        sub_sectors=SUB_SECTORS,
        activity_types=ACTIVITY_TYPES,
        funding_sources=FUNDING_SOURCES,
        language=language(),
        realisation=realisation_section(plan),
    )
    return page, status
