"""Rendering the report page, shared by the views that show it again after an action (a save,
an upload, a transition) with the refusal and what the user typed."""

from __future__ import annotations

from flask import render_template
from flask_babel import gettext as _

from .. import policy
from ..accounts.models import User
from ..deadlines.display import due_statuses
from ..engine import GuardFailed, TransitionRefused
from ..plans.case_views import Refusal, actor, language, page_actions, trigger_labels
from ..plans.forms_actions import TransitionForm
from ..plans.vocabulary import SUB_SECTORS
from ..refusals import refusal_details, refusal_message
from ..workflows import definition_of
from . import evidence, operations
from .forms import ReportFormBase, report_form
from .models import ProgressReport, ReportAttachment

Page = tuple[str, int]


def report_refusal(exc: TransitionRefused) -> Refusal:
    """The refusal in words about a report (the shared messages speak of plans)."""
    messages = {
        "invalid_state": _("This is not possible in the report's current status."),
        "guard_failed": _("The report is not complete yet."),
        "stale": _(
            "This report was changed by someone else in the meantime. "
            "Reload the page to see the latest version, then try again."
        ),
    }
    message = messages.get(exc.code) or refusal_message(exc)
    details = refusal_details(exc) if isinstance(exc, GuardFailed) else []
    return Refusal(exc.status, message, details)


def can_fill_in_now(user: User, report: ProgressReport) -> bool:
    return policy.may_edit(user, report)


def _trigger_labels(report: ProgressReport) -> dict[str, str]:
    return trigger_labels(report, operations.OPEN_TRIGGER, _("Report opened"))


def _attachments_by_line(report: ProgressReport) -> dict[int | None, list[ReportAttachment]]:
    grouped: dict[int | None, list[ReportAttachment]] = {}
    for attachment in report.attachments:
        grouped.setdefault(attachment.line_id, []).append(attachment)
    return grouped


def report_page(
    report: ProgressReport,
    *,
    status: int = 200,
    refusal: Refusal | None = None,
    form: ReportFormBase | None = None,
    sent: TransitionForm | None = None,
) -> Page:
    """The report page. `form`: the figures as typed (after a refused save); `sent`: the
    action form of a refused transition, whose comment is kept."""
    fillable = can_fill_in_now(actor(), report)
    if fillable and form is None:
        form = report_form(report, posted=False)
    actions = page_actions(report, refusal, sent)
    page = render_template(
        "monitoring/report.html",
        report=report,
        plan=report.plan,
        definition=definition_of(report),
        language=language(),
        due=due_statuses([report]).get(report.id),
        fillable=fillable,
        form=form if fillable else None,
        actions=actions,
        refusal=refusal,
        trigger_labels=_trigger_labels(report),
        attachments=_attachments_by_line(report),
        max_megabytes=f"{evidence.max_bytes() / 1_000_000:g}",
        evidence_room=evidence.room_of(report.id) if fillable else None,
        accepted_types=",".join(
            [*evidence.ALLOWED_TYPES, *sorted(set().union(*evidence.EXTENSIONS_OF.values()))]
        ),
        sub_sectors=SUB_SECTORS,
    )
    return page, status
