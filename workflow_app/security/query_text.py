"""Query strings with characters no filter can mean: refused before any view runs.

Forms drop NUL characters (forms_base), but list filters read `request.args` directly, and
PostgreSQL refuses a NUL in a text parameter with an error: a 500 for a typo or a probe. No
filter value in this app can contain a control character, so such a request is a bad request.
"""

from __future__ import annotations

from flask import Flask, abort, request


def _has_control_characters(text: str) -> bool:
    return any(ord(ch) < 32 for ch in text)


def refuse_control_characters() -> None:
    for key, values in request.args.lists():
        if _has_control_characters(key) or any(_has_control_characters(v) for v in values):
            abort(400, description="control characters in the query string")


def init_query_text(app: Flask) -> None:
    app.before_request(refuse_control_characters)
