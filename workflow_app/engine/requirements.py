"""What the features need a workflow definition to declare, checked when the definitions load.

A feature binds to tags and attributes, never to names; when it needs a definition to declare
one (monitoring needs a transition the system fires when a plan's period starts), it registers
a Requirement here. `check_requirements` runs every requirement against each loaded version of
the workflow it names, so an app whose definitions lack something refuses to start naming the
file and the entry, rather than failing on the day the feature first runs. No Flask in here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from .definition import WorkflowDefinition
from .errors import DefinitionError
from .registry import WorkflowRegistry

#: A check returns the problems of one definition: (entry, problem) pairs, empty when met.
Check = Callable[[WorkflowDefinition], list[tuple[str, str]]]


@dataclass(frozen=True)
class Requirement:
    """`check` runs on every loaded version of `workflow`; `what` names the feature needing
    it, to end each problem it finds."""

    workflow: str
    what: str
    check: Check


class RequirementRegistry:
    def __init__(self) -> None:
        self._requirements: dict[tuple[str, str], Requirement] = {}

    def register(self, requirement: Requirement) -> Requirement:
        key = (requirement.workflow, requirement.what)
        known = self._requirements.get(key)
        if known is not None and known.check is not requirement.check:
            raise ValueError(
                f"a requirement of {requirement.workflow!r} for {requirement.what!r} "
                "is already registered"
            )
        self._requirements[key] = requirement
        return requirement

    def __iter__(self) -> Iterator[Requirement]:
        return iter(list(self._requirements.values()))

    def __len__(self) -> int:
        return len(self._requirements)


#: The features register here (see workflow_app/monitoring/requirements.py).
requirements = RequirementRegistry()


def check_requirements(
    registry: WorkflowRegistry, required: Iterable[Requirement] | None = None
) -> list[DefinitionError]:
    """Every problem of the loaded definitions against `required` (default: the registered
    requirements), each naming the file and the entry. A workflow with no loaded version is
    not checked: nothing runs under it."""
    errors: list[DefinitionError] = []
    for requirement in requirements if required is None else required:
        versions = sorted(
            (d for d in registry.definitions() if d.name == requirement.workflow),
            key=lambda d: d.version,
        )
        for definition in versions:
            for entry, problem in requirement.check(definition):
                errors.append(
                    DefinitionError(
                        definition.source_file or f"{definition.name} v{definition.version}",
                        entry,
                        f"{problem} ({requirement.what})",
                    )
                )
    return errors
