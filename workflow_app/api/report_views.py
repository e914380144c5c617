"""/api/v1 progress reports: a plan's reports, one report with its lines, fire a transition."""

from __future__ import annotations

from ..extensions import db
from ..monitoring import operations
from ..monitoring.access import visible_reports
from ..monitoring.models import ProgressReport
from ..plans.operations import load_visible_plan
from . import schemas as s
from . import serialize
from .auth import api_user
from .blueprint import endpoint
from .firing import fire_transition

TAG = "reports"


@endpoint(
    "GET",
    "/plans/<int:plan_id>/reports",
    summary="The plan's quarterly progress reports the caller may see, by quarter.",
    tag=TAG,
    response=s.ReportList,
    errors=(401, 404),
)
def plan_reports(plan_id: int) -> s.ReportList:
    user = api_user()
    plan = load_visible_plan(user, plan_id)
    query = (
        visible_reports(user)
        .where(ProgressReport.plan_id == plan.id)
        .order_by(ProgressReport.year, ProgressReport.quarter)
    )
    return s.ReportList(
        items=[serialize.report_summary(r) for r in db.session.scalars(query).unique()]
    )


@endpoint(
    "GET",
    "/reports/<int:report_id>",
    summary="A progress report with its lines, indicator values, history and actions.",
    tag=TAG,
    response=s.ReportDetail,
    errors=(401, 404),
)
def report_detail(report_id: int) -> s.ReportDetail:
    user = api_user()
    return serialize.report_detail(user, operations.load_visible_report(user, report_id))


@endpoint(
    "POST",
    "/reports/<int:report_id>/transitions",
    summary="Fire an action on the report, on the version the caller read (409 stale if not).",
    tag=TAG,
    body=s.TransitionRequest,
    response=s.TransitionResult,
    errors=(400, 401, 403, 404, 409, 415),
)
def fire_report_transition(report_id: int, body: s.TransitionRequest) -> s.TransitionResult:
    return fire_transition(
        operations.load_visible_report, operations.report_transition, report_id, body
    )
