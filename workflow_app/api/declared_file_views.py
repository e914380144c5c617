"""/api/v1/cases/<kind>: the files of a kind declared as data. A file field's stored file (the
web's cases.download, with its checks: a kind declared as data, a case the caller may see, a
field declared as a file and holding one; anything else is 404 not_found), and the case or
the list as XLSX or CSV, built by the same sheets as the web's exports (cases/export_views.py)
from the same query and access rule."""

from __future__ import annotations

from flask import Response, current_app, send_file
from flask_babel import force_locale

from ..cases import operations
from ..cases.kinds import spec_of
from ..cases.queries import list_cases
from ..engine import InvalidInput, RoleNotAllowed, StaleObject
from ..security.body_limit import FILE_BODY_LIMITS
from ..spreadsheets.declared_export import case_sheets, case_stem, list_sheet, list_stem
from ..spreadsheets.tabular import download
from ..unit_of_work import STALE_MESSAGE, unit_of_work
from ..uploads import FileTooLarge, path_of
from . import case_views
from . import schemas as s
from .auth import api_user
from .blueprint import endpoint
from .declared_file_schemas import CaseFileUpload, CaseListExportQuery
from .declared_views import (
    CASE_RULE,
    RULE,
    TAG,
    WRITE_ERRORS,
    _declared,
    _detail,
    _filters,
    _latest,
    _refuse_fields,
    _spec,
)
from .errors import ApiError
from .export_query import EXPORT_TYPES, ExportQuery
from .vocabulary import check_state_filter

FILE_ERRORS = (400, 401, 404)


@endpoint(
    "GET",
    CASE_RULE + "/files/<field>",
    summary=(
        "The file stored in a file field of a case (its bytes, with the type and name it was "
        "uploaded with), as the case's page offers it."
    ),
    tag=TAG,
    response=None,
    files=("*/*",),
    errors=(401, 404),
)
def case_file(kind: str, case_id: int, field: str) -> Response:
    _declared(kind)
    _, case = case_views.find(kind, case_id)
    stored = (case.values or {}).get(field)
    declared = spec_of(case).fields.get(field)
    if declared is None or declared.type != "file" or not stored:
        raise ApiError(404, "not_found", "the case holds no file in a field of this name")
    response = send_file(
        path_of(stored["stored"]),
        mimetype=stored["type"],
        as_attachment=True,
        download_name=stored["name"],
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@endpoint(
    "PUT",
    CASE_RULE + "/files/<field>",
    summary=(
        "Upload the file of a file field (multipart/form-data: file, version), as the case's "
        "edit form does: whoever may change the field now, on the version read (409 stale "
        "if not); the field's declared types (judged by content) and size apply (400 "
        "file_type_not_allowed, 413 file_too_large). Answers the case as GET does."
    ),
    tag=TAG,
    body=CaseFileUpload,
    multipart=True,
    response=s.CaseDetail,
    errors=(*WRITE_ERRORS, 413),
)
def upload_case_file(kind: str, case_id: int, field: str, body: CaseFileUpload) -> s.CaseDetail:
    _declared(kind)
    try:
        with unit_of_work():
            user, case = case_views.find(kind, case_id)
            declared = spec_of(case).fields.get(field)
            if declared is None or declared.type != "file":
                raise ApiError(404, "not_found", "the case has no file field of this name")
            editable = operations.editable_fields(user, case)
            if not editable:
                raise RoleNotAllowed("You cannot change this case in its current state.")
            _refuse_fields([field] if field not in editable else [], "now")
            if body.version != case.version:
                raise StaleObject(STALE_MESSAGE)
            operations.save_values(
                user, case, {}, {field: body.file}, expected_version=body.version
            )
    except FileTooLarge as exc:
        raise ApiError(413, exc.code, exc.message, fields={"file": [exc.message]}) from None
    except InvalidInput as exc:
        code = exc.code if exc.code != InvalidInput.code else "validation_error"
        raise ApiError(400, code, exc.message, fields={"file": [exc.message]}) from None
    return _detail(user, case)


def _upload_limit() -> int:
    """An upload's body may be as large as the web's form (the file and the fields)."""
    return int(current_app.config["MAX_CONTENT_LENGTH"])


FILE_BODY_LIMITS["api.upload_case_file"] = _upload_limit


@endpoint(
    "GET",
    CASE_RULE + "/export",
    summary=(
        "The case as the web exports it: XLSX (its facts and fields, a sheet per table, its "
        "history) or CSV (the same tables one after the other)."
    ),
    tag=TAG,
    query=ExportQuery,
    response=None,
    files=EXPORT_TYPES,
    errors=FILE_ERRORS,
)
def export_case(kind: str, case_id: int, query: ExportQuery) -> Response:
    _declared(kind)
    _, case = case_views.find(kind, case_id)
    with force_locale(query.language):
        sheets = case_sheets(case, query.format, query.language)
        return download(sheets, query.format, case_stem(case), query.dialect)


@endpoint(
    "GET",
    RULE + "/export",
    summary=(
        "Every case of the kind the caller may see, as the web's list exports them (the same "
        "filters as GET /cases/{kind}, no paging), newest change first, as XLSX or CSV."
    ),
    tag=TAG,
    query=CaseListExportQuery,
    response=None,
    files=EXPORT_TYPES,
    errors=FILE_ERRORS,
)
def export_cases(kind: str, query: CaseListExportQuery) -> Response:
    found = _declared(kind)
    latest = _latest(found)
    check_state_filter(found.workflow, query.state)
    chosen = _filters(_spec(latest), query)  # type: ignore[arg-type]  # reads model_extra only
    cases = list_cases(api_user(), kind, query.region, query.state, chosen, limit=None)
    with force_locale(query.language):
        sheet = list_sheet(latest, cases, query.language)
        stem = list_stem(kind, query.region, query.state)
        return download([sheet], query.format, stem, query.dialect)
