"""/api/v1 writes on a progress report, through the operations the report page calls
(monitoring/operations.py): its figures, its evidence files, and its spreadsheet exports.

Who may do what is the web's: the district drafter fills in and attaches while the report can
be filled in (403 another role, 409 another state); whoever may see the report reads and
downloads it; a report the caller may not see is 404. Reports are opened by the system when
a quarter ends (monitoring/rounds.py), never by a person: a client finds a new one with
GET /plans/{plan_id}/reports or GET /tasks.
"""

from __future__ import annotations

from decimal import Decimal

from flask import Response, current_app, send_file, url_for

from ..deadlines.display import due_statuses
from ..engine import InvalidInput
from ..monitoring import evidence, operations
from ..monitoring.evidence import TooManyBytes
from ..monitoring.export import filename_stem, report_filename_stem, report_sheets
from ..monitoring.models import REPORT_KIND_NAME, ProgressReport, ReportAttachment
from ..monitoring.queries import (
    ReportFilters,
    only_overdue,
    report_state_names,
    reports_for_export,
)
from ..number_input import NumberError, check_number
from ..plans.vocabulary import indicator_value_kind
from ..security.body_limit import FILE_BODY_LIMITS
from ..spreadsheets.tabular import CSV_MIMETYPE, XLSX_MIMETYPE, download
from ..unit_of_work import unit_of_work
from ..uploads import FileTooLarge
from . import report_write_schemas as w
from . import schemas as s
from . import serialize
from .auth import api_user
from .blueprint import created, endpoint
from .case_views import find
from .errors import ApiError

TAG = "reports"
WRITE_ERRORS = (400, 401, 403, 404, 409, 415)
SPREADSHEETS = (XLSX_MIMETYPE, CSV_MIMETYPE)
EVIDENCE_TYPES = tuple(evidence.ALLOWED_TYPES)


def _invalid(fields: dict[str, list[str]]) -> ApiError:
    return ApiError(400, "validation_error", "the request is not valid", fields=fields)


# --- the figures ------------------------------------------------------------------------


def _lines(report: ProgressReport, body: w.ReportLinesRequest) -> list[operations.LineData]:
    known = {line.activity_id for line in report.lines}
    unknown = {key for key in body.lines if int(key) not in known}
    if unknown:
        raise _invalid(
            {f"lines.{k}": ["the report has no line for this activity"] for k in unknown}
        )
    return [
        operations.LineData(
            activity_id=int(key),
            physical_progress=line.physical_progress,  # type: ignore[arg-type]
            spent=line.spent,
            output_achieved=line.output_achieved,  # type: ignore[arg-type]
            obstacles=line.obstacles,
            follow_up=line.follow_up,
        )
        for key, line in body.lines.items()
    ]


def _indicator_values(
    report: ProgressReport, body: w.ReportLinesRequest
) -> dict[int, Decimal | None] | None:
    """The values by indicator id, each held to its unit's bounds (400 naming the field)."""
    if not body.indicator_values:
        return None
    indicators = {i.id: i for i in report.plan.indicators}
    fields: dict[str, list[str]] = {}
    values: dict[int, Decimal | None] = {}
    for key, text in body.indicator_values.items():
        indicator = indicators.get(int(key))
        if indicator is None:
            fields[f"indicator_values.{key}"] = ["the report's plan has no such indicator"]
            continue
        try:
            kind = indicator_value_kind(indicator.unit)
            values[indicator.id] = None if text is None else check_number(Decimal(text), kind)
        except NumberError as exc:
            fields[f"indicator_values.{key}"] = [str(exc)]
    if fields:
        raise _invalid(fields)
    return values


@endpoint(
    "PUT",
    "/reports/<int:report_id>/lines",
    summary=(
        "Save the report's figures (lines by activity, indicator values), on the version the "
        "caller read: the district drafter, while the report can be filled in."
    ),
    tag=TAG,
    response=s.ReportDetail,
    body=w.ReportLinesRequest,
    errors=WRITE_ERRORS,
)
def save_report_lines(report_id: int, body: w.ReportLinesRequest) -> s.ReportDetail:
    with unit_of_work():
        user, report = find(REPORT_KIND_NAME, report_id)
        # As the page: who may not fill it in learns so (403, 409) before the figures count.
        operations.check_fillable(user, report)
        operations.save_report(
            user,
            report,
            expected_version=body.version,
            lines=_lines(report, body),
            indicator_values=_indicator_values(report, body),
        )
    return serialize.report_detail(user, report)


# --- evidence ---------------------------------------------------------------------------


def _attachment_out(attachment: ReportAttachment) -> w.AttachmentOut:
    line = attachment.line
    return w.AttachmentOut(
        id=attachment.id,
        report_id=attachment.report_id,
        name=attachment.original_name,
        size=attachment.size,
        content_type=attachment.content_type,
        sha256=attachment.sha256,
        line_id=attachment.line_id,
        activity_id=line.activity_id if line is not None else None,
        uploaded_by=serialize._user(attachment.uploaded_by),
        uploaded_at=attachment.uploaded_at,
        download_url=url_for(
            "api.report_attachment", report_id=attachment.report_id, attachment_id=attachment.id
        ),
    )


def _attachment_of(report: ProgressReport, attachment_id: int) -> ReportAttachment:
    """The report's attachment; another report's (or none) is 404, as on the web."""
    found = next((a for a in report.attachments if a.id == attachment_id), None)
    if found is None:
        raise ApiError(404, "not_found", "attachment not found")
    return found


@endpoint(
    "GET",
    "/reports/<int:report_id>/attachments",
    summary="The report's evidence files, and how many more it may hold.",
    tag=TAG,
    response=w.AttachmentList,
    errors=(401, 404),
)
def report_attachments(report_id: int) -> w.AttachmentList:
    _, report = find(REPORT_KIND_NAME, report_id)
    room = evidence.room_of(report.id)
    return w.AttachmentList(
        items=[_attachment_out(a) for a in sorted(report.attachments, key=lambda a: a.id)],
        room=w.EvidenceRoom(
            files=room.files,
            bytes=room.size,
            max_files=room.max_files,
            max_bytes=room.max_size,
            max_file_bytes=evidence.max_bytes(),
        ),
    )


def _upload_limit() -> int:
    """An upload's body may be as large as the web's (a file and the form around it)."""
    return int(current_app.config["MAX_CONTENT_LENGTH"])


@endpoint(
    "POST",
    "/reports/<int:report_id>/attachments",
    summary=(
        "Attach an evidence file (PDF, PNG or JPEG, judged by its content) to the report or "
        "one of its lines: the district drafter, while the report can be filled in. Limits: "
        "413 file_too_large (one file), 400 evidence_files_limit and 413 "
        "evidence_bytes_limit (what one report may hold), 400 file_type_not_allowed."
    ),
    tag=TAG,
    response=w.AttachmentOut,
    body=w.AttachmentUpload,
    multipart=True,
    status=201,
    errors=(*WRITE_ERRORS, 413),
)
def add_report_attachment(report_id: int, body: w.AttachmentUpload) -> Response:
    user, report = find(REPORT_KIND_NAME, report_id)
    operations.check_fillable(user, report)  # 403 (role) or 409 (state) before the file counts
    if body.line_id is not None and all(line.id != body.line_id for line in report.lines):
        raise _invalid({"line_id": ["the report has no such line"]})
    # One byte more than allowed is enough to know the file is too large.
    data = body.file.stream.read(evidence.max_bytes() + 1)
    try:
        with unit_of_work():
            attachment = operations.add_attachment(
                user,
                report,
                line_id=body.line_id,
                filename=body.file.filename or "",
                data=data,
                expected_version=body.version,
            )
            out = _attachment_out(attachment)
    except (FileTooLarge, TooManyBytes) as exc:
        raise ApiError(413, exc.code, exc.message) from None
    except InvalidInput as exc:
        if exc.code != InvalidInput.code:  # a limit or a type with a code of its own
            raise ApiError(400, exc.code, exc.message, fields={"file": [exc.message]}) from None
        raise _invalid({"file": [exc.message]}) from None
    return created(out, out.download_url)


FILE_BODY_LIMITS["api.add_report_attachment"] = _upload_limit


@endpoint(
    "GET",
    "/reports/<int:report_id>/attachments/<int:attachment_id>",
    summary="An evidence file's bytes, as a download, for whoever may see the report.",
    tag=TAG,
    response=None,
    files=EVIDENCE_TYPES,
    errors=(401, 404),
)
def report_attachment(report_id: int, attachment_id: int) -> Response:
    _, report = find(REPORT_KIND_NAME, report_id)
    attachment = _attachment_of(report, attachment_id)
    path = evidence.path_of(attachment.stored_name)
    if not path.is_file():
        raise ApiError(404, "not_found", "the attachment's file is missing")
    # As the web: a download only (never inline), its recorded type, nosniff.
    response = send_file(
        path,
        mimetype=attachment.content_type,
        as_attachment=True,
        download_name=attachment.original_name,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.cache_control.private = True
    return response


@endpoint(
    "DELETE",
    "/reports/<int:report_id>/attachments/<int:attachment_id>",
    summary=(
        "Take an evidence file back, on the version the caller read: the district drafter, "
        "while the report can be filled in."
    ),
    tag=TAG,
    response=s.ReportDetail,
    query=w.AttachmentRemoval,
    errors=WRITE_ERRORS,
)
def delete_report_attachment(
    report_id: int, attachment_id: int, query: w.AttachmentRemoval
) -> s.ReportDetail:
    with unit_of_work():
        user, report = find(REPORT_KIND_NAME, report_id)
        _attachment_of(report, attachment_id)
        operations.remove_attachment(user, report, attachment_id, expected_version=query.version)
    return serialize.report_detail(user, report)


# --- exports ----------------------------------------------------------------------------


@endpoint(
    "GET",
    "/reports/<int:report_id>/export",
    summary="The report as XLSX (its lines and indicator values) or CSV (its lines).",
    tag=TAG,
    response=None,
    query=w.ReportExportQuery,
    files=SPREADSHEETS,
    errors=(400, 401, 404),
)
def export_report(report_id: int, query: w.ReportExportQuery) -> Response:
    _, report = find(REPORT_KIND_NAME, report_id)
    sheets = report_sheets([report], query.format)
    return download(sheets, query.format, report_filename_stem(report), query.dialect)


@endpoint(
    "GET",
    "/reports/export",
    summary=(
        "The reports the caller may see, filtered as the web's reports list, as XLSX or CSV "
        "(one row per report line)."
    ),
    tag=TAG,
    response=None,
    query=w.ReportsExportQuery,
    files=SPREADSHEETS,
    errors=(400, 401),
)
def export_reports(query: w.ReportsExportQuery) -> Response:
    if query.state is not None and query.state not in report_state_names():
        raise _invalid({"state": ["not a state of the progress report workflow"]})
    filters = ReportFilters(
        state=query.state,
        year=query.year,
        quarter=query.quarter,
        district=query.district,
        overdue=query.overdue,
    )
    reports = reports_for_export(api_user(), filters)
    if filters.overdue:
        reports = only_overdue(reports, due_statuses(reports))
    stem = filename_stem(year=filters.year, quarter=filters.quarter, district=filters.district)
    return download(report_sheets(reports, query.format), query.format, stem, query.dialect)
