"""Named guard functions. Definitions refer to guards by name; the registry resolves them.

A guard takes the subject (e.g. an action plan) and returns the problems that block the
transition; an empty list means the transition may go ahead. Each problem is a human-readable
message and, when the application knows one, where to fix it (an endpoint name and its
arguments, resolved by the web layer: the engine knows nothing of Flask).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One thing that blocks a transition. `str()` is the message, for logs, the CLI and
    callers that only show text."""

    message: str
    #: The id of the element to jump to on the fix page (a form field or row).
    anchor: str | None = None
    #: The endpoint of the page where the problem is fixed, e.g. "plans.edit_activity".
    fix_endpoint: str | None = None
    fix_args: dict[str, Any] = field(default_factory=dict, hash=False)
    #: What the problem is about, named as the API's bodies name it (e.g. "activities",
    #: "indicators[2].target_2027"); None: the case as a whole.
    field: str | None = None
    #: A stable machine word for the kind of problem (e.g. "no_activities").
    code: str = "incomplete"

    def __str__(self) -> str:
        return self.message


Guard = Callable[[Any], list[Problem]]
# Reads at once what a guard reads of its subject (rather than one lazy load at a time).
Loader = Callable[[Any], None]


class GuardRegistry:
    def __init__(self) -> None:
        self._guards: dict[str, Guard] = {}
        self._loaders: dict[str, Loader] = {}

    def register(self, name: str, *, loads: Loader | None = None) -> Callable[[Guard], Guard]:
        """Register a guard under `name`; `loads(subject)`, when given, reads what it needs
        in few statements, run before it by `load`."""

        def decorator(func: Guard) -> Guard:
            if name in self._guards and self._guards[name] is not func:
                raise ValueError(f"guard {name!r} is already registered")
            self._guards[name] = func
            if loads is not None:
                self._loaders[name] = loads
            return func

        return decorator

    def __contains__(self, name: object) -> bool:
        return name in self._guards

    def get(self, name: str) -> Guard:
        return self._guards[name]

    def load(self, names: Iterable[str], subject: Any) -> None:
        """Read what the guards `names` need of `subject`, as their loaders do."""
        for name in names:
            loader = self._loaders.get(name)
            if loader is not None:
                loader(subject)

    def names(self) -> list[str]:
        return sorted(self._guards)


#: The application's guards register here (see workflow_app/plans/guards.py).
guards = GuardRegistry()
