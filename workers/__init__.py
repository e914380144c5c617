"""The Celery entry point: `celery -A workers worker` and `celery -A workers beat`.

Celery looks up `workers.app`; it is made on first access, by importing workers/entry.py (which
builds the Flask app from the environment, binds Celery to it, registers the tasks and sets the
beat schedule). Importing this package, the tasks (workers/tasks.py) or the schedule
(workers/schedule.py) builds nothing, so they import without a circle through `create_app`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .entry import app, celery, flask_app

_FROM_ENTRY = frozenset({"app", "celery", "flask_app"})


def __getattr__(name: str) -> Any:
    if name in _FROM_ENTRY:
        from . import entry

        return getattr(entry, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["app", "celery", "flask_app"]
