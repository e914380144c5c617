"""Named guard functions. Definitions refer to guards by name; the registry resolves them.

A guard takes the subject (e.g. an action plan) and returns the problems that block the
transition, as human-readable strings; an empty list means the transition may go ahead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Guard = Callable[[Any], list[str]]


class GuardRegistry:
    def __init__(self) -> None:
        self._guards: dict[str, Guard] = {}

    def register(self, name: str) -> Callable[[Guard], Guard]:
        def decorator(func: Guard) -> Guard:
            if name in self._guards and self._guards[name] is not func:
                raise ValueError(f"guard {name!r} is already registered")
            self._guards[name] = func
            return func

        return decorator

    def __contains__(self, name: object) -> bool:
        return name in self._guards

    def get(self, name: str) -> Guard:
        return self._guards[name]

    def names(self) -> list[str]:
        return sorted(self._guards)


#: The application's guards register here (see workflow_app/plans/guards.py).
guards = GuardRegistry()
