"""The names a client may send or read, taken from the loaded definitions: the states and
triggers of a workflow across all its loaded versions (a case keeps the version it started
under, so an older version's names are still live)."""

from __future__ import annotations

from ..workflows import definitions_of
from .errors import ApiError


def states_of(workflow: str) -> list[str]:
    return sorted({name for d in definitions_of(workflow) for name in d.states})


def triggers_of(workflow: str) -> list[str]:
    return sorted({name for d in definitions_of(workflow) for name in d.triggers})


def check_state_filter(workflow: str, state: str | None) -> None:
    """A state filter naming no state of the workflow is 400, not an empty list."""
    if state is None:
        return
    known = states_of(workflow)
    if state not in known:
        raise ApiError(
            400,
            "validation_error",
            "the request is not valid",
            fields={"state": [f"not a state of {workflow}: one of {', '.join(known)}"]},
        )
