"""The admin area: the outbox (failed and stuck emails), the local mailbox of the embedded
profile, the working-day calendar's overrides, and the log of administrative acts."""

from __future__ import annotations

from . import (  # noqa: F401  (the routes register themselves)
    audit_views,
    calendar,
    directory,
    mailbox,
    users,
    views,
)
from .blueprint import blueprint

__all__ = ["blueprint"]
