"""/api/v1 files of an action plan, as the web serves them: its exports (XLSX, CSV), the
activity import template, and the activity import, which takes the workbook as the request body
and replaces the plan's activities through operations.replace_activities, on the version the
caller read; the workbook is read by the web's reader (spreadsheets/activity_import.py) with
its bounds (size, parts, cells, unpacked bytes, time), and nothing is saved unless every row
is valid."""

from __future__ import annotations

from contextlib import AbstractContextManager

from flask import Response, current_app
from flask_babel import force_locale

from ..accounts.models import User
from ..plans import operations
from ..plans.models import PLAN_KIND_NAME
from ..security.body_limit import FILE_BODY_LIMITS
from ..spreadsheets.activity_import import MAX_BYTES, FileRejected, RowsRejected, read_activities
from ..spreadsheets.plan_export import filename_stem, plan_sheets
from ..spreadsheets.tabular import XLSX_MIMETYPE, download
from ..spreadsheets.template import import_template, template_filename
from ..unit_of_work import unit_of_work
from . import case_views
from . import plan_write_schemas as w
from . import schemas as s
from .blueprint import endpoint
from .errors import error_response, validation_fields
from .plan_write_views import (
    PLAN,
    READ_ERRORS,
    TAG,
    editable_plan,
    invalid,
    plan_detail,
    refused_as,
)

CSV_TYPE = "text/csv"
IMPORT_ENDPOINT = "import_plan_activities"


def _workbook_limit() -> int:
    """The workbook is the body: as large as the web's upload of it takes (the import's own
    limit, within the web's body limit), not the JSON limit."""
    return min(MAX_BYTES, int(current_app.config["MAX_CONTENT_LENGTH"]))


FILE_BODY_LIMITS[f"api.{IMPORT_ENDPOINT}"] = _workbook_limit


def _language_of(user: User) -> AbstractContextManager[None]:
    """A file is for people: in the caller's language, as the web gives it to them (the API's
    own messages stay English)."""
    return force_locale(user.language or current_app.config["BABEL_DEFAULT_LOCALE"])


@endpoint(
    "GET",
    PLAN + "/export",
    summary="The plan as the web exports it: XLSX (every part; its activities import again) or "
    "CSV (one row per funding line; dialect=id for Excel under Indonesian settings).",
    tag=TAG,
    query=w.ExportQuery,
    response=None,
    files=(XLSX_MIMETYPE, CSV_TYPE),
    errors=(400, 401, 404),
)
def export_plan(plan_id: int, query: w.ExportQuery) -> Response:
    user, plan = case_views.find(PLAN_KIND_NAME, plan_id)
    with _language_of(user):
        return download(
            plan_sheets(plan, query.format), query.format, filename_stem(plan), query.dialect
        )


@endpoint(
    "GET",
    PLAN + "/import-template",
    summary="The workbook to fill in for importing the plan's activities (its years, the "
    "agencies of its district and the province, the closed lists as drop-downs).",
    tag=TAG,
    response=None,
    files=(XLSX_MIMETYPE,),
    errors=READ_ERRORS,
)
def plan_import_template(plan_id: int) -> Response:
    user, plan = case_views.find(PLAN_KIND_NAME, plan_id)
    with _language_of(user):
        content = import_template(plan)
    response = Response(content, mimetype=XLSX_MIMETYPE)
    response.headers["Content-Disposition"] = f'attachment; filename="{template_filename(plan)}"'
    return response


def _rows_refused(exc: RowsRejected) -> Response:
    """Every invalid cell, by sheet, row (as Excel numbers it) and column header: under
    `fields` as every field error, and as `problems` (code invalid_cell)."""
    fields: dict[str, list[str]] = {}
    problems = []
    for error in exc.errors:
        where = f"{error.sheet}.{error.row}.{error.column}"
        fields.setdefault(where, []).append(error.reason)
        problems.append({"field": where, "code": "invalid_cell", "message": error.reason})
    return error_response(
        400,
        "validation_error",
        "some rows are invalid; nothing was imported",
        fields=validation_fields(invalid(fields)),
        problems=problems,
    )


@endpoint(
    "POST",
    PLAN + "/activities/import",
    name=IMPORT_ENDPOINT,
    summary="Replace all the plan's activities and their funding by those of a workbook in the "
    "import template's layout (the body, at most 5 MB), on the plan's version (?version=N). "
    "Nothing is saved unless every row is valid: each invalid cell is named by sheet, row and "
    "column.",
    tag=TAG,
    query=w.VersionQuery,
    response=s.PlanDetail,
    raw_body=(XLSX_MIMETYPE,),
    errors=(400, 401, 403, 404, 409, 413, 415),
)
def import_plan_activities(
    plan_id: int, query: w.VersionQuery, body: bytes
) -> s.PlanDetail | Response:
    try:
        with refused_as(("body",)), unit_of_work():
            user, plan = editable_plan(plan_id, query.version)
            activities = read_activities(body, plan)
            operations.replace_activities(
                user, plan, expected_version=query.version, activities=activities
            )
    except FileRejected as exc:
        raise invalid({"body": [exc.message]}) from None
    except RowsRejected as exc:
        return _rows_refused(exc)
    return plan_detail(user, plan)
