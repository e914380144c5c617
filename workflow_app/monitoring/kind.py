"""Quarterly progress reports as a kind of case the core knows (subjects.register_kind)."""

from __future__ import annotations

from ..deadlines.models import ScheduledStep
from ..subjects import CaseKind, register_kind
from ..workflows import REPORT_WORKFLOW
from .models import ProgressReport

REPORT_KIND = register_kind(
    CaseKind(
        name="report",
        model=ProgressReport,
        workflow=REPORT_WORKFLOW,
        steps_of=lambda: ScheduledStep.report_id == ProgressReport.id,
        row_keys=lambda report: {"plan_id": report.plan_id, "report_id": report.id},
    )
)
