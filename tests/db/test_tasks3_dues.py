"""My tasks writes each distinct deadline cell once per list (plans/task_rows.py `_Dues`):
a quarter's reports all fall due at the same instant, and the cell depends only on the
instant, its status, its working days, the language and the separator."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from tests import factories
from tests.conftest import signed_in
from workflow_app.extensions import db
from workflow_app.plans import task_rows


def test_three_reports_due_together_write_their_deadline_cell_once(
    app_ctx: Flask, users: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    for code in ("6301", "6304", "6371"):
        factories.reported_plan(factories.district_people(users, code), code)
    db.session.commit()
    client = signed_in(app_ctx, "provincial.63")
    before = client.get("/tasks").get_data(as_text=True)
    written: list[object] = []
    original = task_rows.due_cell

    def counted(due: object, locale: str, between: str) -> object:
        written.append(due)
        return original(due, locale, between)

    monkeypatch.setattr(task_rows, "due_cell", counted)
    page = client.get("/tasks").get_data(as_text=True)
    assert page == before
    assert page.count('id="report-task-') == 3
    assert page.count('class="due due-') == 3
    assert len(written) == 1  # before: one per row
