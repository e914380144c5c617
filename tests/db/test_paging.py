"""The first items of a long list, read a batch at a time: the order kept, rows the check turns
away skipped across batch boundaries, and the number of candidates counted in SQL."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from tests import factories
from tests.statements import recorded_statements
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
    to show 50 before): a page of 3 reads 3 rows, in one statement."""
    factories.regions()
    query = select(Region).order_by(Region.code)
    seen: list[str] = []

    def accept(region: Region) -> str:
        seen.append(region.code)
        return region.code

    with recorded_statements() as statements:
        page = first_accepted(query, accept, limit=3)

    assert page.items == seen == ["63", "6301", "6302"]
    assert (page.total, len(statements)) == (14, 1)
