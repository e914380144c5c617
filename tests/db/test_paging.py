"""The first items of a long list, read a batch at a time: the order kept, rows the check turns
away skipped across batch boundaries, and the number of candidates counted in SQL."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import event, select
from sqlalchemy.orm import ORMExecuteState

from tests import factories
from workflow_app.extensions import db
from workflow_app.paging import first_accepted
from workflow_app.regions.models import Region


def test_a_page_is_filled_across_batches_and_the_candidates_are_counted(app_ctx: Flask) -> None:
    factories.regions()  # the province and its 13 districts: 14 rows
    query = select(Region).order_by(Region.code)

    # Only the last row passes: the first batch (a row, for a page of 1) holds none of it.
    last = first_accepted(query, lambda r: r.code if r.code == "6372" else None, limit=1)
    assert (last.items, last.total, last.more) == (["6372"], 14, 13)

    even = first_accepted(query, lambda r: r.code if int(r.code) % 2 == 0 else None, limit=3)
    assert even.items == ["6302", "6304", "6306"]
    assert even.total == 14

    everything = first_accepted(query, lambda r: r.code, limit=None)
    assert len(everything.items) == everything.total == 14
    assert everything.more == 0


def test_a_page_whose_rows_all_pass_reads_no_row_beyond_it(app_ctx: Flask) -> None:
    """Rows read past the page become ORM objects nobody sees (My tasks' lists read 60 rows
    to show 50 before): a page of 3 asks the database for 3 rows, in one statement."""
    factories.regions()
    query = select(Region).order_by(Region.code)
    limits: list[object] = []

    def record_limit(state: ORMExecuteState) -> None:
        limits.append(state.statement.compile().params.get("param_1"))

    event.listen(db.session, "do_orm_execute", record_limit)
    try:
        page = first_accepted(query, lambda region: region.code, limit=3)
    finally:
        event.remove(db.session, "do_orm_execute", record_limit)

    assert page.items == ["63", "6301", "6302"]
    assert page.total == 14
    assert limits == [3]
