"""Every code an API error can carry is in the ErrorCode enum the OpenAPI document lists,
and the README's list of codes names them."""

from __future__ import annotations

import re
from pathlib import Path

from workflow_app.api.errors import HTTP_CODES, RENAMED_CODES, ErrorCode
from workflow_app.api.openapi import document
from workflow_app.engine import TransitionRefused

ROOT = Path(__file__).resolve().parents[2]


def _refusals(cls: type[TransitionRefused]) -> list[type[TransitionRefused]]:
    return [cls] + [sub for child in cls.__subclasses__() for sub in _refusals(child)]


def test_every_code_the_api_can_answer_is_in_the_enum() -> None:
    known = {code.value for code in ErrorCode}
    engine = {RENAMED_CODES.get(c.code, c.code) for c in _refusals(TransitionRefused)}
    assert engine <= known
    assert set(HTTP_CODES.values()) <= known
    source = "\n".join(p.read_text() for p in (ROOT / "workflow_app" / "api").glob("*.py"))
    raised = set(re.findall(r'ApiError\(\s*\d+,\s*"(\w+)"', source))
    assert raised and raised <= known


def test_the_document_lists_the_codes(app) -> None:
    with app.test_request_context():
        schema = document()["components"]["schemas"]
    code = schema["ErrorBody"]["properties"]["code"]
    listed = schema[code["$ref"].rsplit("/", 1)[-1]]["enum"] if "$ref" in code else code["enum"]
    assert set(listed) == {c.value for c in ErrorCode}


def test_the_readme_names_every_code() -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("Every error is JSON of one shape") :]
    section = section[: section.index("## ")]
    named = set(re.findall(r"`(\w+)`", section))
    assert {c.value for c in ErrorCode} <= named
