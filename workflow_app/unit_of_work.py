"""The one place a change is committed: views, CLI commands and tasks all go through here."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm.exc import StaleDataError

from .engine import StaleObject
from .extensions import db
from .monitoring.evidence import forget_written_files
from .notifications.dispatch import queue_delivery
from .notifications.outbox import take_new_ids

STALE_MESSAGE = "changed by someone else, reload"


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
    forget_written_files(delete=False)
    # Only now that the change is stored may its emails go; if queuing fails (broker down),
    # the rows stay pending and the relay queues them later.
    queue_delivery(take_new_ids())


def _roll_back() -> None:
    db.session.rollback()
    take_new_ids()
    forget_written_files(delete=True)  # evidence files of the change that did not happen
