"""The one place a change is committed: views, CLI commands and tasks all go through here."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy.orm.exc import StaleDataError

from .engine import StaleObject
from .extensions import db
from .notifications.dispatch import queue_delivery
from .notifications.outbox import take_new_ids

STALE_MESSAGE = "changed by someone else, reload"

# What features do once a change is stored (`True`) or rolled back (`False`): an evidence file
# written for a change that did not happen is deleted, one removed by a stored change goes.
_settled: list[Callable[[bool], None]] = []


def on_settled(hook: Callable[[bool], None]) -> Callable[[bool], None]:
    """Register `hook(committed)` to run after every commit or rollback of a unit of work."""
    _settled.append(hook)
    return hook


def _run_settled(committed: bool) -> None:
    for hook in _settled:
        hook(committed)


@contextmanager
def unit_of_work() -> Iterator[None]:
    """Commit what the block did, or roll all of it back on any error.

    A lost optimistic-lock race (the row's version moved under us) becomes StaleObject.
    """
    try:
        yield
        db.session.commit()
    except StaleDataError as exc:
        _roll_back()
        raise StaleObject(STALE_MESSAGE) from exc
    except BaseException:
        _roll_back()
        raise
    _run_settled(True)
    # Only now that the change is stored may its emails go; if queuing fails (broker down),
    # the rows stay pending and the relay queues them later.
    queue_delivery(take_new_ids())


def _roll_back() -> None:
    db.session.rollback()
    take_new_ids()
    _run_settled(False)
