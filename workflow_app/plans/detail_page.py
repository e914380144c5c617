"""The plan page: one plan with its contents, history, comments, actions and realisation.

Its own module so that the page's cost can be worked on apart from the task and list pages.
"""

from __future__ import annotations

from flask import g, render_template
from flask_babel import LazyString
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import exists, inspect, select
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.interfaces import LoaderOption

from .. import policy
from ..accounts.models import User
from ..deadlines.display import due_statuses
from ..engine import OutOfScope
from ..extensions import db
from ..history import CaseTransition
from ..monitoring.models import ProgressReport
from ..monitoring.plan_section import realisation_section
from ..regions.models import Region
from ..reviews.models import ReviewComment
from ..templating import page_gettext as _
from ..templating import page_language
from ..workflows import definition_of
from . import detail_rows as _detail_rows  # noqa: F401 (registers the tables' row writers)
from . import operations
from .case_views import Page, Refusal, page_actions, trigger_labels
from .diagram import diagram_section
from .forms_actions import TransitionForm
from .models import ActionPlan, Activity, Indicator
from .vocabulary import ACTIVITY_TYPES, FUNDING_SOURCES, SUB_SECTORS

# What the page reads of a plan, in as few statements as the shapes allow: the challenges with
# the plan's row (one or two per plan), each indicator with its yearly targets and each
# activity with its funding in one statement each (their own lazy="selectin" would take a
# second), the history with its actors, whose roles the page never reads (User.roles is
# lazy="selectin": one more statement per page for nothing).
_HISTORY_ACTORS = (
    selectinload(ActionPlan.history).joinedload(CaseTransition.actor).lazyload(User.roles),
    selectinload(ActionPlan.history).joinedload(CaseTransition.acting_for).lazyload(User.roles),
)
PAGE_CONTENTS: dict[str, tuple[LoaderOption, ...]] = {
    "challenges": (joinedload(ActionPlan.challenges),),
    "indicators": (selectinload(ActionPlan.indicators).joinedload(Indicator.targets),),
    "activities": (selectinload(ActionPlan.activities).joinedload(Activity.funding),),
    "history": _HISTORY_ACTORS,
}


def load_page_contents(plan: ActionPlan) -> None:
    """Load what the page shows of `plan` and is not loaded yet (after a refused action the
    plan was read again; a plan read for the page has none of it)."""
    missing = [key for key in PAGE_CONTENTS if key in inspect(plan).unloaded]
    if not missing:
        return
    options = [option for key in missing for option in PAGE_CONTENTS[key]]
    query = select(ActionPlan).where(ActionPlan.id == plan.id).options(*options)
    db.session.scalars(query).unique().all()


# The plan's row as operations.load_visible_plan reads it (its region and the region's parent,
# which its scope needs), with the page's contents.
_PAGE_PLAN = (
    joinedload(ActionPlan.region).joinedload(Region.parent),
    *(option for options in PAGE_CONTENTS.values() for option in options),
)


# Whether the plan has progress reports and review comments, read with its row: most plans have
# neither, and the realisation section and the review panel then send no statement of their own
# (two statements, ~1 ms of CPU, less per page).
_HAS_REPORTS = exists().where(ProgressReport.plan_id == ActionPlan.id)
_HAS_COMMENTS = exists().where(ReviewComment.plan_id == ActionPlan.id)


def load_visible_page_plan(actor: User, plan_id: int) -> ActionPlan:
    """operations.load_visible_plan for the plan page: the contents come with the plan's own
    statement (its challenges) and the loads after it, instead of after a second read of the
    plan's row (one statement and ~1 ms of CPU less per page); so does whether it has reports
    and comments (`known_without`). "Not found" as there for a plan `actor` may not see."""
    query = (
        select(ActionPlan, _HAS_REPORTS, _HAS_COMMENTS)
        .where(ActionPlan.id == plan_id)
        .options(*_PAGE_PLAN)
    )
    row = db.session.execute(query).unique().one_or_none()
    if row is None or not policy.may_see(actor, row[0]):
        raise OutOfScope("plan not found")
    plan, has_reports, has_comments = row
    absent = {
        name for name, held in (("reports", has_reports), ("comments", has_comments)) if not held
    }
    g.setdefault("page_plans_without", {})[plan.id] = absent
    return plan


def known_without(plan_id: int, rows: str) -> bool:
    """Whether this request's page loader read that the plan has no `rows` ("reports" or
    "comments"). False when it did not load the plan (a page after a refused action): the
    section or panel then reads them."""
    return rows in g.get("page_plans_without", {}).get(plan_id, ())


# The closed lists' names as the page shows them, per language: a lazy name is translated on
# every render (~17 a page); its translation is the same for every page of that language.
# Markup, as the lazy string rendered (its __html__ is its text); plain names stay as they are.
_VOCABULARIES: dict[str, tuple[dict[str, object], ...]] = {}


def vocabularies(language: str) -> tuple[dict[str, object], ...]:
    """SUB_SECTORS, ACTIVITY_TYPES and FUNDING_SOURCES in `language` (the page's)."""
    found = _VOCABULARIES.get(language)
    if found is None:
        found = _VOCABULARIES[language] = tuple(
            {
                key: Markup(str(name)) if isinstance(name, LazyString) else name
                for key, name in names.items()
            }
            for names in (SUB_SECTORS, ACTIVITY_TYPES, FUNDING_SOURCES)
        )
    return found


def trigger_labels_of_plan(plan: ActionPlan) -> dict[str, str]:
    return trigger_labels(plan, operations.CREATE_TRIGGER, _("Created"))


def plan_page(
    plan: ActionPlan,
    *,
    status: int = 200,
    refusal: Refusal | None = None,
    sent: TransitionForm | None = None,
) -> Page:
    load_page_contents(plan)
    realisation = None if known_without(plan.id, "reports") else realisation_section(plan)
    definition = definition_of(plan)
    language = page_language()
    sub_sectors, activity_types, funding_sources = vocabularies(language)
    page = render_template(
        "plans/detail.html",
        plan=plan,
        definition=definition,
        diagram=diagram_section(plan, definition, language),
        actions=page_actions(plan, refusal, sent),
        refusal=refusal,
        due=due_statuses([plan]).get(plan.id),
        editable=operations.can_edit(current_user, plan),
        trigger_labels=trigger_labels_of_plan(plan),
        sub_sectors=sub_sectors,
        activity_types=activity_types,
        funding_sources=funding_sources,
        language=language,
        realisation=realisation,
    )
    return page, status
