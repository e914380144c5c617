"""The dashboard's data stamp runs on every view: its statement is built once, not per view."""

from __future__ import annotations

import pytest
from flask import Flask

from workflow_app.dashboard import cache


def test_the_stamp_builds_no_statement_per_view(
    app_ctx: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[object] = []
    original = cache.select
    monkeypatch.setattr(cache, "select", lambda *a, **k: built.append(a) or original(*a, **k))
    first = cache.data_stamp()
    assert cache.data_stamp() == first
    assert built == []
    assert len(first) == 3  # the last change event, the overrides' count and last id
