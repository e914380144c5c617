"""A declared kind's cases as XLSX or CSV: its list as the list page shows it (the same
filters, read from the same query string, and the same access rule), or one case. A case the
user may not see, an unknown kind and an unknown format are all "not found"."""

from __future__ import annotations

from flask import abort, request
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from .. import policy
from ..plans.case_views import language
from ..spreadsheets.case_export import case_download
from ..spreadsheets.declared_export import case_sheets, case_stem, list_sheet, list_stem
from ..spreadsheets.tabular import FORMATS, csv_dialect, download
from ..workflows import registry
from .queries import list_cases
from .views import _kind, blueprint


@blueprint.get("/cases/<kind>/export.<fmt>")
@login_required
def export_list(kind: str, fmt: str) -> Response:
    found = _kind(kind)
    if fmt not in FORMATS:
        abort(404)
    dialect = csv_dialect()
    latest = registry().latest(found.workflow)
    assert latest.case is not None
    chosen = {name: request.args.get(name, "").strip() for name in latest.case.filters}
    region_code = request.args.get("region", "").strip() or None
    state = request.args.get("state", "").strip() or None
    cases = list_cases(current_user, kind, region_code, state, chosen, limit=None)
    sheet = list_sheet(latest, cases, language())
    stem = list_stem(kind, region_code, state)
    return download([sheet], fmt, stem, dialect)  # type: ignore[arg-type]


@blueprint.get("/cases/<kind>/<int:case_id>/export.<fmt>")
@login_required
def export_case(kind: str, case_id: int, fmt: str) -> Response:
    _kind(kind)
    return case_download(
        case_id,
        fmt,
        lambda user, found_id: policy.find_visible(user, kind, found_id),
        lambda case, fmt: case_sheets(case, fmt, language()),
        case_stem,
    )
