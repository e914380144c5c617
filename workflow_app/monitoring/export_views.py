"""Reports as XLSX or CSV: the reports list as filtered (a quarter's, a district's), or one
report. Only reports the user may see; an unknown format is 404."""

from __future__ import annotations

from flask import abort, request
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from ..deadlines.display import due_statuses
from ..spreadsheets.case_export import case_download
from ..spreadsheets.tabular import FORMATS, csv_dialect, download
from . import operations
from .blueprint import blueprint
from .export import filename_stem, report_filename_stem, report_sheets
from .queries import ReportFilters, only_overdue, reports_for_export


@blueprint.get("/reports/export.<fmt>")
@login_required
def export(fmt: str) -> Response:
    if fmt not in FORMATS:
        abort(404)
    dialect = csv_dialect()
    filters = ReportFilters.from_args(request.args)
    reports = reports_for_export(current_user, filters)
    if filters.overdue:
        reports = only_overdue(reports, due_statuses(reports))
    stem = filename_stem(year=filters.year, quarter=filters.quarter, district=filters.district)
    return download(report_sheets(reports, fmt), fmt, stem, dialect)  # type: ignore[arg-type]


@blueprint.get("/reports/<int:report_id>/export.<fmt>")
@login_required
def export_report(report_id: int, fmt: str) -> Response:
    return case_download(
        report_id,
        fmt,
        operations.load_visible_report,
        lambda report, fmt: report_sheets([report], fmt),  # type: ignore[arg-type]
        report_filename_stem,
    )
