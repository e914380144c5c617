"""The admin area: the outbox (failed and stuck emails), the local mailbox of the embedded
profile, and the working-day calendar's overrides."""

from __future__ import annotations

from . import calendar, directory, mailbox, users, views  # noqa: F401  (the routes register themselves)
from .blueprint import blueprint

__all__ = ["blueprint"]
