"""/api/v1 progress reports: a plan's reports; a report's detail (with its lines and its
history) and firing an action on it are those of every kind of case (case_views.py)."""

from __future__ import annotations

from .. import policy
from ..extensions import db
from ..monitoring.models import REPORT_KIND_NAME, ProgressReport
from ..plans.models import PLAN_KIND_NAME
from . import schemas as s
from . import serialize
from .blueprint import endpoint
from .case_views import find, serve


@endpoint(
    "GET",
    "/plans/<int:plan_id>/reports",
    summary="The plan's quarterly progress reports the caller may see, by quarter.",
    tag="reports",
    response=s.ReportList,
    errors=(401, 404),
)
def plan_reports(plan_id: int) -> s.ReportList:
    user, plan = find(PLAN_KIND_NAME, plan_id)
    reports = (
        policy.visible(user, REPORT_KIND_NAME)
        .where(ProgressReport.plan_id == plan.id)
        .order_by(ProgressReport.year, ProgressReport.quarter)
    )
    return s.ReportList(
        items=[serialize.report_summary(r) for r in db.session.scalars(reports).unique()]
    )


serve(
    kind=REPORT_KIND_NAME,
    response=s.ReportDetail,
    detail=serialize.report_detail,
    summary="A progress report with its lines, indicator values, history and actions.",
)
