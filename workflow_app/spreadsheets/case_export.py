"""One case (a plan, a progress report) as XLSX or CSV (`?dialect=id`: for Indonesian
Excel), for the export route of each kind."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from flask import abort
from flask_login import current_user
from werkzeug.wrappers import Response

from ..accounts.models import User
from .tabular import FORMATS, Sheet, csv_dialect, download


def case_download(
    case_id: int,
    fmt: str,
    load: Callable[[User, int], Any],
    sheets: Callable[[Any, str], Sequence[Sheet]],
    stem: Callable[[Any], str],
) -> Response:
    """The case `load(user, case_id)` as `sheets(case, fmt)` in a file named `stem(case)`.
    A case the user may not see is "not found" before the format is looked at; an unknown
    format (or CSV dialect) is 404 too."""
    case = load(current_user, case_id)
    if fmt not in FORMATS:
        abort(404)
    dialect = csv_dialect()
    return download(sheets(case, fmt), fmt, stem(case), dialect)  # type: ignore[arg-type]
