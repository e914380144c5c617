"""The first items of a long ordered list, read from the database a batch at a time.

Task lists are ordered in SQL (earliest due first) but each candidate row still passes a check
in Python (the user's role covers it, an action is available). Reading batch by batch until the
page is full keeps a page of 50 from loading thousands of rows; the total is counted in SQL.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from sqlalchemy import Select, func, select

from .extensions import db

Row = TypeVar("Row")
Item = TypeVar("Item")


@dataclass
class Page(Generic[Item]):
    items: list[Item] = field(default_factory=list)
    total: int = 0  # candidates in SQL; a rare one may fail the check in Python

    @property
    def more(self) -> int:
        return max(0, self.total - len(self.items))


def first_accepted(
    query: Select[tuple[Row]],
    accept: Callable[[Row], Item | None],
    limit: int | None,
) -> Page[Item]:
    """Up to `limit` (None: all) rows of `query`, in its order, that `accept` turns into
    items, and the number of candidate rows."""
    page: Page[Item] = Page()
    # Exactly a page: the check in Python rarely turns a candidate away, and when it does the
    # next batch is read (rows read beyond the page cost ORM objects never shown).
    batch = limit or None
    # Each row of a batch carries the number of candidates (a window count, computed before
    # LIMIT): no second query to count them.
    counted = query.add_columns(func.count().over())
    offset = 0
    while True:
        if batch:
            rows = db.session.execute(counted.limit(batch).offset(offset)).unique().all()
        else:
            rows = [(row, None) for row in db.session.scalars(query).unique().all()]
        for row, candidates in rows:
            item = accept(row)
            if item is None:
                continue
            page.items.append(item)
            if limit is not None and len(page.items) == limit:
                page.total = int(candidates)
                return page
        if batch is None or len(rows) < batch:
            page.total = offset + len(rows)  # every candidate has been read
            return page
        offset += batch


def count_of(query: Select[tuple[Row]]) -> int:
    """How many rows `query` selects (its order dropped)."""
    counting = select(func.count()).select_from(query.order_by(None).subquery())
    return int(db.session.scalar(counting) or 0)
