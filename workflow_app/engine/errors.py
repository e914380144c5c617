"""Errors raised by the engine. Each maps to one HTTP status and one CLI exit message."""

from __future__ import annotations

from .guards import Problem


class DefinitionError(Exception):
    """A workflow definition file is invalid; names the file, the entry and the problem."""

    def __init__(self, file: str, entry: str, problem: str) -> None:
        self.file = file
        self.entry = entry
        self.problem = problem
        super().__init__(f"{file}: {entry}: {problem}")


class DefinitionErrors(DefinitionError):
    """Several problems at once (one file's, or a directory's): the first names the error,
    `errors` lists them all and `str()` gives one line each."""

    def __init__(self, errors: list[DefinitionError]) -> None:
        flat: list[DefinitionError] = []
        for error in errors:
            flat.extend(error.errors if isinstance(error, DefinitionErrors) else [error])
        self.errors = flat
        first = flat[0]
        super().__init__(first.file, first.entry, first.problem)
        self.args = ("\n".join(f"{e.file}: {e.entry}: {e.problem}" for e in flat),)

    def __str__(self) -> str:
        return self.args[0]


class TransitionRefused(Exception):
    """Base class: a transition was refused and nothing changed."""

    status: int = 400
    code: str = "refused"

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class InvalidInput(TransitionRefused):
    """The data handed to an operation is wrong (a form or import validates before this)."""

    status = 400
    code = "invalid"


class UnknownTrigger(TransitionRefused):
    status = 400
    code = "unknown_trigger"


class CommentRequired(TransitionRefused):
    status = 400
    code = "comment_required"


class NotAllowedFromState(TransitionRefused):
    status = 409
    code = "invalid_state"


class RoleNotAllowed(TransitionRefused):
    status = 403
    code = "forbidden"


class DutiesNotSeparated(RoleNotAllowed):
    """The definition keeps this transition's actor apart from whoever fired an earlier one
    (`actor_differs_from`), and the actor did."""

    code = "duties_not_separated"


class OutOfScope(TransitionRefused):
    """The actor may not see the object at all: reported as 'not found'."""

    status = 404
    code = "not_found"


class GuardFailed(TransitionRefused):
    status = 409
    code = "guard_failed"

    def __init__(self, message: str, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__(message)


class StaleObject(TransitionRefused):
    status = 409
    code = "stale"
