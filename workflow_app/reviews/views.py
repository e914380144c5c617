"""Review comments on the plan page and the changes since the previous submission.

The routes live on the `plans` blueprint. The plan page (plans/views.py) renders the partials
_comments.html, _item_comments.html and _diff.html, which ask `review_panel(plan)` for what to
show; the panel is built once per request and plan.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import flash, g, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from ..engine import OutOfScope, TransitionRefused
from ..history import CaseTransition
from ..plans import operations as plan_ops
from ..plans.blueprint import blueprint
from ..plans.case_views import Page, Refusal
from ..plans.detail_page import known_without, plan_page
from ..plans.models import ActionPlan
from ..plans.vocabulary import ACTIVITY_TYPES, FUNDING_SOURCES, SUB_SECTORS
from ..refusals import refusal_message
from ..templating import number, rupiah
from ..unit_of_work import unit_of_work
from ..workflows import definition_of, role_label
from . import operations, threads
from .diff import DECIMAL_FIELDS, Change, FieldChange, diff
from .forms import CommentForm, ReplyForm, ResolutionForm
from .models import ReviewComment
from .returns import SinceReturn, pending_return, pending_returns, since_last_return
from .snapshots import last_two_snapshots

SECTION_LABELS = {
    "header": _l("Title and period"),
    "challenges": _l("Challenges"),
    "indicators": _l("Indicators"),
    "activities": _l("Activities"),
}
KIND_LABELS = {"added": _l("added"), "removed": _l("removed"), "changed": _l("changed")}
FIELD_LABELS = {
    "title": _l("Title"),
    "period_start": _l("Period start"),
    "period_end": _l("Period end"),
    "name": _l("Name"),
    "unit": _l("Unit"),
    "baseline_year": _l("Baseline year"),
    "baseline_value": _l("Baseline value"),
    "target": _l("Target"),
    "location": _l("Location"),
    "sub_sector": _l("Sub-sector"),
    "activity_type": _l("Type"),
    "volume": _l("Volume"),
    "agency": _l("Agency"),
    "start_year": _l("Start year"),
    "end_year": _l("End year"),
    "funding": _l("Funding"),
}
ITEM_LABELS = {
    "plan": _l("the plan as a whole"),
    "challenge": _l("Challenge"),
    "indicator": _l("Indicator"),
    "activity": _l("Activity"),
}
CODE_LABELS: dict[str, dict[str, object]] = {
    "sub_sector": SUB_SECTORS,
    "activity_type": ACTIVITY_TYPES,
}


@dataclass
class ShownComment:
    comment: ReviewComment
    previous_round: bool
    can_resolve: bool = False
    # The last word in the thread is the plan editor's: waiting for the reviewer.
    answered: bool = False


@dataclass(frozen=True)
class ChecklistNote:
    """A line of an action's checklist that does not block the action (open comments)."""

    message: str
    detail: str
    href: str


@dataclass
class ReviewPanel:
    """Everything the plan page shows about reviews, for the current user."""

    plan: ActionPlan
    can_comment: bool
    by_item: dict[tuple[str, int | None], list[ShownComment]] = field(default_factory=dict)
    # Comments on items no longer in the plan, shown with the name the item had.
    detached: list[ShownComment] = field(default_factory=list)
    changes: list[Change] | None = None
    compared: tuple[Any, Any] | None = None  # times of the two submissions compared
    sent: CommentForm | None = None
    can_reply: bool = False
    # The comments no reviewer has marked resolved yet, oldest first.
    open_comments: list[ShownComment] = field(default_factory=list)
    # The return the plan is with its drafter for (the box at the top of the page).
    returned: CaseTransition | None = None
    # After a return and a new submission: what became of the comments open at the return.
    since_return: SinceReturn | None = None
    sent_reply: tuple[int, ReplyForm] | None = None

    item_labels = ITEM_LABELS
    section_labels = SECTION_LABELS
    kind_labels = KIND_LABELS

    def comments_for(self, item_type: str, item: Any = None) -> list[ShownComment]:
        return self.by_item.get((item_type, getattr(item, "id", None)), [])

    def key(self, item_type: str, item: Any = None) -> str:
        item_id = getattr(item, "id", None)
        return f"{item_type}-{item_id}" if item_id is not None else item_type

    def form_for(self, item_type: str, item: Any = None) -> CommentForm:
        item_id = getattr(item, "id", None)
        if self.sent is not None and self.sent.item_key() == (item_type, item_id):
            return self.sent
        return CommentForm(
            formdata=None, item_type=item_type, item_id="" if item_id is None else str(item_id)
        )

    def item_title(self, comment: ReviewComment) -> str:
        """What a comment is about, for the lists of open and followed-up comments."""
        label = str(ITEM_LABELS[comment.item_type])
        if comment.item_type != "plan":
            return f"{label}: {comment.item_label}"
        return label[:1].upper() + label[1:]

    def role_label(self, role: str) -> str:
        return role_label(role)

    def reply_form(self, comment: ReviewComment) -> ReplyForm:
        if self.sent_reply is not None and self.sent_reply[0] == comment.id:
            return self.sent_reply[1]
        return ReplyForm(formdata=None)

    def resolution_form(self, comment: ReviewComment) -> ResolutionForm:
        return ResolutionForm(formdata=None, resolved="0" if comment.resolved_at else "1")

    @property
    def unanswered(self) -> int:
        return sum(1 for shown in self.open_comments if not shown.answered)

    def checklist_notes(self) -> dict[str, list[ChecklistNote]]:
        """Open comments on each submission (a transition that keeps a `snapshot`): shown
        in its checklist instead of "complete", without blocking it (only a reviewer can
        resolve a comment, and only once the plan is back with them)."""
        count = len(self.open_comments)
        if not count:
            return {}
        message = ngettext(
            "%(num)d review comment is still open",
            "%(num)d review comments are still open",
            count,
        )
        unanswered = self.unanswered
        detail = (
            ngettext(
                "(%(num)d without your answer yet; open comments do not block the submission)",
                "(%(num)d without your answer yet; open comments do not block the submission)",
                unanswered,
            )
            if unanswered
            else _("(all answered; open comments do not block the submission)")
        )
        note = ChecklistNote(message, detail, "#open-comments")
        submissions = definition_of(self.plan).transitions_where(snapshot=True)
        return {step.trigger: [note] for step in submissions}

    def field_label(self, change: FieldChange) -> str:
        label = str(FIELD_LABELS.get(change.field, change.field))
        if change.source is not None:
            source = FUNDING_SOURCES.get(change.source, change.source)
            return f"{label} {change.year} · {source}"
        return f"{label} {change.year}" if change.year is not None else label

    def show_value(self, change: FieldChange, value: Any) -> str:
        if value is None or value == "":
            return "—"
        if change.field == "funding":
            return rupiah(value)
        if change.field in DECIMAL_FIELDS:
            return number(value)
        if change.field in CODE_LABELS:
            return str(CODE_LABELS[change.field].get(value, value))
        return str(value)


def _item_rows(plan: ActionPlan) -> dict[str, list[tuple[int, str]]]:
    return {
        "challenge": [(c.id, c.description) for c in plan.challenges],
        "indicator": [(i.id, i.name) for i in plan.indicators],
        "activity": [(a.id, a.title) for a in plan.activities],
    }


def _place(comment: ReviewComment, rows: dict[str, list[tuple[int, str]]]) -> tuple | None:
    """Where a comment belongs on the page now: its item, else the item that has the same
    name (challenges and indicators get new rows on every save), else nowhere."""
    if comment.item_type == "plan":
        return ("plan", None)
    candidates = rows.get(comment.item_type, [])
    if any(item_id == comment.item_id for item_id, _ in candidates):
        return (comment.item_type, comment.item_id)
    same_name = next((item_id for item_id, name in candidates if name == comment.item_label), None)
    return (comment.item_type, same_name) if same_name is not None else None


def _answered(plan: ActionPlan, comment: ReviewComment) -> bool:
    return bool(comment.replies) and threads.is_answer(plan, comment.replies[-1])


def build_panel(plan: ActionPlan) -> ReviewPanel:
    # Read once, for the panel and the follow-up; not at all when the page's loader saw none.
    comments = [] if known_without(plan.id, "comments") else operations.comments_of(plan.id)
    panel = ReviewPanel(
        plan=plan,
        can_comment=operations.can_comment(current_user, plan),
        sent=g.get("review_sent_form"),
        can_reply=threads.can_reply(current_user, plan),
        sent_reply=g.get("review_sent_reply"),
        returned=pending_return(plan),
        since_return=since_last_return(plan, comments),
    )
    current_round = operations.submission_count(plan)
    rows = _item_rows(plan)
    for comment in comments:
        shown = ShownComment(
            comment,
            previous_round=comment.round < current_round,
            can_resolve=panel.can_comment and threads.can_resolve(current_user, plan, comment),
            answered=_answered(plan, comment),
        )
        if comment.is_open:
            panel.open_comments.append(shown)
        place = _place(comment, rows)
        if place is None:
            panel.detached.append(shown)
        else:
            panel.by_item.setdefault(place, []).append(shown)
    # Snapshots are kept only by submissions (snapshots._snapshot_on_submission): before the
    # second there is no pair to compare, and no statement to send for it.
    pair = last_two_snapshots(plan.id) if current_round >= 2 else None
    if pair is not None:
        previous, latest = pair
        panel.changes = diff(previous.data, latest.data)
        panel.compared = (previous.created_at, latest.created_at)
    return panel


@blueprint.app_template_global("review_panel")
def review_panel(plan: ActionPlan) -> ReviewPanel:
    """The review panel of `plan` for this request (built on first use)."""
    panels = g.setdefault("review_panels", {})
    if plan.id not in panels:
        panels[plan.id] = build_panel(plan)
    return panels[plan.id]


@blueprint.app_template_global("pending_returns")
def review_pending_returns(plans: list[ActionPlan]) -> dict[int, CaseTransition]:
    """For a list of plans (Tugas Saya): the return each is still with its drafter for."""
    return pending_returns(plans)


@blueprint.post("/plans/<int:plan_id>/comments")
@login_required
def add_comment(plan_id: int) -> Page | Response:
    plan = plan_ops.load_visible_plan(current_user, plan_id)
    form = CommentForm()
    try:
        operations.check_can_comment(current_user, plan)
    except OutOfScope:
        raise
    except TransitionRefused as exc:
        refusal = Refusal(exc.status, refusal_message(exc), unsent_comment=form.body.data or None)
        return plan_page(plan, status=exc.status, refusal=refusal)
    if not form.validate():
        g.review_sent_form = form
        if form.item_type.errors or form.item_id.errors:
            # Hidden fields: only a tampered or outdated page gets here. Say so, keep the text.
            message = _("The item this comment is about is not valid. Reload the page and retry.")
            refusal = Refusal(400, message, unsent_comment=form.body.data or None)
            return plan_page(plan, status=400, refusal=refusal)
        return plan_page(plan, status=400)
    item_type, item_id = form.item_key()
    try:
        with unit_of_work():
            operations.add_comment(current_user, plan, item_type, item_id, form.body.data)
    except OutOfScope:
        raise
    except TransitionRefused as exc:
        plan = plan_ops.load_visible_plan(current_user, plan_id)
        refusal = Refusal(exc.status, refusal_message(exc), unsent_comment=form.body.data or None)
        return plan_page(plan, status=exc.status, refusal=refusal)
    flash(_("Your comment was saved."), "success")
    key = f"{item_type}-{item_id}" if item_id is not None else item_type
    return redirect(url_for("plans.detail", plan_id=plan_id, _anchor=f"comments-{key}"), code=303)


# The thread's routes (replies, resolving) register on the same blueprint.
from . import thread_views as _thread_routes  # noqa: E402, F401
