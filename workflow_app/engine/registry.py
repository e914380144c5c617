"""All workflow definitions of a directory, each with its machine, keyed by name and version."""

from __future__ import annotations

from pathlib import Path

from .definition import WorkflowDefinition, load_definition
from .errors import DefinitionError
from .guards import GuardRegistry
from .machine import WorkflowMachine


class WorkflowRegistry:
    def __init__(self, definitions: list[WorkflowDefinition]) -> None:
        self._machines: dict[tuple[str, int], WorkflowMachine] = {}
        self._latest: dict[str, WorkflowDefinition] = {}
        for definition in definitions:
            if definition.key in self._machines:
                raise DefinitionError(
                    definition.source_file,
                    "version",
                    f"{definition.name} version {definition.version} is defined twice",
                )
            self._machines[definition.key] = WorkflowMachine(definition)
            current = self._latest.get(definition.name)
            if current is None or definition.version > current.version:
                self._latest[definition.name] = definition

    @classmethod
    def from_directory(cls, directory: Path, guards: GuardRegistry) -> WorkflowRegistry:
        files = sorted(directory.glob("*.yaml"))
        if not files:
            raise DefinitionError(str(directory), "(directory)", "holds no *.yaml definitions")
        return cls([load_definition(path, guards) for path in files])

    def latest(self, name: str) -> WorkflowDefinition:
        try:
            return self._latest[name]
        except KeyError:
            raise KeyError(f"no workflow named {name!r}") from None

    def get(self, name: str, version: int) -> WorkflowDefinition:
        return self.machine(name, version).definition

    def machine(self, name: str, version: int) -> WorkflowMachine:
        try:
            return self._machines[(name, version)]
        except KeyError:
            raise KeyError(f"no workflow {name!r} version {version}") from None

    def definitions(self) -> list[WorkflowDefinition]:
        return [machine.definition for machine in self._machines.values()]
