"""One page of a list the database orders, with the list's total (PageQuery → Paged)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select

from ..extensions import db
from ..paging import count_of
from .schemas import PageQuery


def page_of(query: Select[Any], page: PageQuery) -> tuple[list[Any], int]:
    """The rows of `query` (which must order them completely, so pages neither overlap nor
    skip) on the page asked for, and how many rows it selects in all."""
    rows = db.session.scalars(query.limit(page.limit).offset(page.offset)).unique().all()
    return list(rows), count_of(query)


def paged(page: PageQuery, total: int) -> dict[str, int]:
    """The fields every paged answer has besides its items."""
    return {"total": total, "limit": page.limit, "offset": page.offset}
