"""Quarterly progress reports as a kind of case the core knows (subjects.register_kind).

A report's history rows join its plan's chain, so that one append-only trail tells everything
that happened to a plan and its reports; its deadlines chase people only while the plan is
being monitored."""

from __future__ import annotations

from typing import Any

from ..changes.recording import record_parts_of
from ..firing import Fired, on_entering
from ..plans.access import scope_of
from ..plans.kind import plan_facts
from ..plans.models import PLAN_KIND_NAME
from ..subjects import CaseKind, register_kind
from ..workflows import REPORT_WORKFLOW, definition_of
from . import evidence  # noqa: F401  (registers its files with the unit of work)
from .access import can_view_report, visible_reports
from .models import REPORT_KIND_NAME, ProgressReport, ReportAttachment
from .requirements import MONITORING


def report_facts(report: ProgressReport) -> dict[str, Any]:
    """The plan's facts with the report's own workflow, state and deadline in their place."""
    return plan_facts(report.plan) | {
        "report_id": report.id,
        "quarter": report.period_label,
        "workflow": report.workflow_name,
        "workflow_version": report.workflow_version,
        "state": report.state,
        "due_at": report.due_at.isoformat() if report.due_at else None,
        "item_path": f"/reports/{report.id}",
    }


def plan_is_monitored(report: ProgressReport) -> bool:
    """Whether the report's plan is in a state its definition tags `monitoring`."""
    plan = report.plan
    state = definition_of(plan).states.get(plan.state)
    return state is not None and state.has(MONITORING)


REPORT_KIND = register_kind(
    CaseKind(
        name=REPORT_KIND_NAME,
        model=ProgressReport,
        workflow=REPORT_WORKFLOW,
        scope_of=lambda report: scope_of(report.plan),
        visible_to=can_view_report,
        visible_query=visible_reports,
        facts_of=report_facts,
        describe=lambda report: f"plan {report.plan_id} report {report.period_label}",
        chain_of=lambda report: (PLAN_KIND_NAME, report.plan_id),
        event_prefix="report_",
        is_active=plan_is_monitored,
        incomplete="the report is not complete",
    )
)

# An evidence file added or taken back is a change of its report for the change feed, though
# the report's version stays (figures typed meanwhile are not refused as stale for it).
record_parts_of(ReportAttachment, "report")


@on_entering
def _stamp_submission(fired: Fired) -> None:
    """The transition that hands a report in (`submission`) stamps its submission time."""
    if fired.transition.submission and fired.kind is REPORT_KIND:
        fired.case.submitted_at = fired.case.state_entered_at
