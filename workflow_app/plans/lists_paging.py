"""Long lists (plans, reports) shown a page at a time: the page number from the query string,
and one page read from the database with the whole total counted in the same statement.

A provincial reviewer sees thousands of plans and reports; rendering them all on each visit was
most of the web workers' CPU. Only the rows of the page asked for are read and rendered.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from flask import request, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func

from ..extensions import db
from ..paging import count_of

PAGE_SIZE = 50  # rows per page of a list

Item = TypeVar("Item")

PAGE_NUMBER_INVALID = _l("The page number must be a whole number of 1 or more.")


class InvalidPageNumber(ValueError):
    """`?page=` is not a positive whole number."""


def page_number(args: Mapping[str, str]) -> int:
    """The 1-based page asked for by `?page=` (1 when absent or empty)."""
    text = (args.get("page") or "").strip()
    if not text:
        return 1
    # At most 9 digits: a page a list could have, and no huge OFFSET sent to the database.
    if not (text.isdigit() and text.isascii() and len(text) <= 9) or int(text) < 1:
        raise InvalidPageNumber(text)
    return int(text)


@dataclass
class ListPage(Generic[Item]):
    """One page of a list: its rows and the total of the whole list (every page)."""

    items: list[Item] = field(default_factory=list)
    total: int = 0
    number: int = 1
    size: int = PAGE_SIZE

    @property
    def count(self) -> int:
        """How many pages the whole list has (1 for an empty list)."""
        return max(1, -(-self.total // self.size))

    @property
    def past_the_end(self) -> bool:
        return self.number > self.count


def read_page(query: Select[tuple[Item]], number: int, size: int = PAGE_SIZE) -> ListPage[Item]:
    """Page `number` of `query` (in its order): LIMIT/OFFSET in SQL, and the total as a window
    count on each row (no second statement, except past the end where no row carries it).

    The query's eager loads must be to-one joins (they do not multiply rows)."""
    counted = query.add_columns(func.count().over())
    rows = db.session.execute(counted.limit(size).offset((number - 1) * size)).unique().all()
    if rows:
        return ListPage([row[0] for row in rows], int(rows[0][1]), number, size)
    total = count_of(query) if number > 1 else 0
    return ListPage([], total, number, size)


@dataclass(frozen=True)
class Pager:
    """What the pager partial shows: the position and the links (None: no such page), each
    keeping every other query argument (the filters)."""

    number: int
    count: int
    first: str | None
    previous: str | None
    next: str | None
    last: str | None


def pager(page: ListPage[object]) -> Pager | None:
    """The pager of `page` for the current request; None when the list fits on one page."""
    if page.count <= 1:
        return None

    number, count = page.number, page.count
    return Pager(
        number,
        count,
        first=_list_url(1) if number > 2 else None,
        previous=_list_url(number - 1) if number > 1 else None,
        next=_list_url(number + 1) if number < count else None,
        last=_list_url(count) if number < count - 1 else None,
    )


def last_page_url(page: ListPage[object]) -> str:
    """The current request's URL on the list's last page (for a page past the end)."""
    return _list_url(page.count)


def _list_url(number: int) -> str:
    """The current list's URL on page `number`, with its other query arguments (the filters).
    Arguments named with a leading underscore are dropped: `url_for` reads those as its own
    options (`_external`, `_scheme`, `_anchor`), which a crafted address must not set."""
    args = {
        name: values
        for name, values in request.args.to_dict(flat=False).items()
        if name != "page" and not name.startswith("_")
    }
    if number > 1:
        args["page"] = [str(number)]
    return url_for(request.endpoint or "", **args)
