"""All workflow definitions of a directory, each with its machine, keyed by name and version.

`NAME.yaml` holds the version new cases get; older versions still used by running cases stay
beside it as `NAME.vN.yaml`. A kept file must be older than the current one, so a stray copy
can never silently become the version new cases start under.
"""

from __future__ import annotations

from pathlib import Path

from .definition import WorkflowDefinition, load_definition
from .errors import DefinitionError, DefinitionErrors
from .guards import GuardRegistry
from .machine import WorkflowMachine
from .roles import PLATFORM_ROLES, RoleCatalogue, RoleDef


class WorkflowRegistry:
    def __init__(self, definitions: list[WorkflowDefinition]) -> None:
        self._machines: dict[tuple[str, int], WorkflowMachine] = {}
        self._latest: dict[str, WorkflowDefinition] = {}
        errors: list[DefinitionError] = []
        current = {d.name: d for d in definitions if d.source_file == f"{d.name}.yaml"}
        for definition in definitions:
            if definition.key in self._machines:
                errors.append(
                    DefinitionError(
                        definition.source_file,
                        "version",
                        f"{definition.name} version {definition.version} is defined twice",
                    )
                )
                continue
            main = current.get(definition.name)
            if main is not None and main is not definition and definition.version > main.version:
                errors.append(
                    DefinitionError(
                        definition.source_file,
                        "version",
                        f"{definition.name} version {definition.version} is newer than "
                        f"{main.source_file} (version {main.version}): new cases get the "
                        f"version in {main.source_file}; put the newest version there",
                    )
                )
                continue
            self._machines[definition.key] = WorkflowMachine(definition)
        for definition in definitions:
            if definition.key not in self._machines:
                continue
            latest = self._latest.get(definition.name)
            if latest is None or definition.version > latest.version:
                self._latest[definition.name] = definition
        for name in self._latest:
            if name in current:
                self._latest[name] = current[name]
            elif self._latest[name].source_file:
                errors.append(
                    DefinitionError(
                        self._latest[name].source_file,
                        "name",
                        f"there is no {name}.yaml holding the version new cases get",
                    )
                )
        self.roles = _merge_roles(definitions, errors)
        if errors:
            raise DefinitionErrors(errors)

    @classmethod
    def from_directory(cls, directory: Path, guards: GuardRegistry) -> WorkflowRegistry:
        files = sorted(directory.glob("*.yaml"))
        if not files:
            raise DefinitionError(str(directory), "(directory)", "holds no *.yaml definitions")
        definitions: list[WorkflowDefinition] = []
        errors: list[DefinitionError] = []
        for path in files:
            try:
                definitions.append(load_definition(path, guards))
            except DefinitionError as exc:
                errors.append(exc)
        if errors:
            raise DefinitionErrors(errors)
        return cls(definitions)

    def latest(self, name: str) -> WorkflowDefinition:
        try:
            return self._latest[name]
        except KeyError:
            raise KeyError(f"no workflow named {name!r}") from None

    def get(self, name: str, version: int) -> WorkflowDefinition:
        return self.machine(name, version).definition

    def find(self, name: str, version: int) -> WorkflowDefinition | None:
        machine = self._machines.get((name, version))
        return machine.definition if machine is not None else None

    def machine(self, name: str, version: int) -> WorkflowMachine:
        try:
            return self._machines[(name, version)]
        except KeyError:
            raise KeyError(f"no workflow {name!r} version {version}") from None

    def definitions(self) -> list[WorkflowDefinition]:
        return [machine.definition for machine in self._machines.values()]

    def versions_of(self, name: str) -> list[WorkflowDefinition]:
        return sorted((d for d in self.definitions() if d.name == name), key=lambda d: d.version)

    def names(self) -> list[str]:
        return sorted(self._latest)


def _merge_roles(
    definitions: list[WorkflowDefinition], errors: list[DefinitionError]
) -> RoleCatalogue:
    """One catalogue of every declared role; two files declaring a role must agree on it."""
    merged: dict[str, tuple[RoleDef, str]] = {}
    for definition in definitions:
        for name, role in definition.roles.items():
            if name in PLATFORM_ROLES:
                continue
            first = merged.get(name)
            if first is None:
                merged[name] = (role, definition.source_file)
            elif first[0] != role:
                errors.append(
                    DefinitionError(
                        definition.source_file,
                        f"roles.{name}",
                        f"differs from its declaration in {first[1]} (label, scope and "
                        "delegable must be the same in every file)",
                    )
                )
    return RoleCatalogue(role for role, _ in merged.values())
