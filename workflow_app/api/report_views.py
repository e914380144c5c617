"""/api/v1 progress reports: a plan's reports; a report's detail (with its lines and its
history) and firing an action on it are those of every kind of case (case_views.py)."""

from __future__ import annotations

from .. import policy
from ..monitoring.models import REPORT_KIND_NAME, ProgressReport
from ..plans.models import PLAN_KIND_NAME
from . import schemas as s
from . import serialize
from .blueprint import endpoint
from .case_views import find, serve
from .paging import page_of, paged


@endpoint(
    "GET",
    "/plans/<int:plan_id>/reports",
    summary="The plan's quarterly progress reports the caller may see, by quarter.",
    tag="reports",
    query=s.PageQuery,
    response=s.ReportList,
    errors=(400, 401, 404),
)
def plan_reports(plan_id: int, query: s.PageQuery) -> s.ReportList:
    user, plan = find(PLAN_KIND_NAME, plan_id)
    reports = (
        policy.visible(user, REPORT_KIND_NAME)
        .where(ProgressReport.plan_id == plan.id)
        .order_by(ProgressReport.year, ProgressReport.quarter, ProgressReport.id)
    )
    rows, total = page_of(reports, query)
    return s.ReportList(items=[serialize.report_summary(r) for r in rows], **paged(query, total))


serve(
    kind=REPORT_KIND_NAME,
    response=s.ReportDetail,
    detail=serialize.report_detail,
    summary="A progress report with its lines, indicator values, history and actions.",
    history="The report's own history, oldest first, a page at a time.",
    actions="The actions the caller may take on the report now.",
)
