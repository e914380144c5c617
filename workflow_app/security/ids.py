"""Ids in URLs bounded to the database's id range.

Werkzeug's `int` converter accepts any number of digits; an id beyond what the id columns
hold (2³¹ − 1 on PostgreSQL, 2⁶³ − 1 on SQLite) reached the database and failed there with a
500 (an overflow). Every route now answers such an id with 404, like any id that does not
exist, before its view or any other check runs. (A bounded converter is not enough: Werkzeug
then answers a POST with 405, as the path still matches the route's GET twin.)
"""

from __future__ import annotations

from typing import Any

from flask import Flask, abort

MAX_ID = 2**31 - 1  # the id columns are 32-bit integers on PostgreSQL


def _refuse_ids_out_of_range(endpoint: str | None, values: dict[str, Any] | None) -> None:
    if values and any(isinstance(v, int) and not 0 <= v <= MAX_ID for v in values.values()):
        abort(404)


def init_bounded_ids(app: Flask) -> None:
    app.url_value_preprocessor(_refuse_ids_out_of_range)
