"""Roles: the platform's own few, and the workflow roles every definition declares.

A workflow role is data: its labels, its scope (where a holder acts) and whether a holder may
hand it to a colleague for a while (Plt/Plh). The platform roles are not part of any workflow:
the administrator, the partner (mitra, who reads what is published) and the app itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """The platform's roles. Workflow roles are declared by the definitions (`roles:`)."""

    ADMIN = "admin"
    PARTNER = "partner"
    # The app itself, for what happens on a date (monitoring starts when a plan's period
    # does). Held only by the built-in `sistem` account, which cannot log in.
    SYSTEM = "system"


class RoleScope(StrEnum):
    """Where a holder of a role acts, from the region their role is held in."""

    DISTRICT = "district"  # only in that district
    PROVINCE = "province"  # in that region and, held in a province, in all its districts
    GLOBAL = "global"  # everywhere


@dataclass(frozen=True)
class Label:
    id: str
    en: str

    def get(self, language: str) -> str:
        return self.en if language == "en" else self.id


@dataclass(frozen=True)
class RoleDef:
    name: str
    label: Label
    scope: RoleScope
    delegable: bool = False
    # A person can be given it (the app's own `system` role cannot).
    assignable: bool = True
    # Sees the cases of its region still in the workflow on its task page.
    oversees: bool = False
    # Reads only what is published (a case in a published state), never a case still being
    # drafted or reviewed, and opens no workspace of the insiders: the partner (mitra).
    published_only: bool = False

    @property
    def district_only(self) -> bool:
        return self.scope == RoleScope.DISTRICT


PLATFORM_ROLES: dict[str, RoleDef] = {
    Role.ADMIN: RoleDef(
        Role.ADMIN, Label("administrator", "administrator"), RoleScope.GLOBAL, delegable=False
    ),
    Role.PARTNER: RoleDef(
        Role.PARTNER, Label("mitra", "partner"), RoleScope.PROVINCE, published_only=True
    ),
    Role.SYSTEM: RoleDef(
        Role.SYSTEM, Label("sistem", "system"), RoleScope.PROVINCE, assignable=False
    ),
}


class RoleCatalogue(Mapping[str, RoleDef]):
    """Every role the app knows: the platform's and those the loaded definitions declare."""

    def __init__(self, declared: Iterable[RoleDef] = ()) -> None:
        self._roles: dict[str, RoleDef] = dict(PLATFORM_ROLES)
        for role in declared:
            self._roles.setdefault(role.name, role)

    def __getitem__(self, name: str) -> RoleDef:
        return self._roles[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._roles)

    def __len__(self) -> int:
        return len(self._roles)

    def scope_of(self, name: str) -> RoleScope | None:
        role = self._roles.get(name)
        return role.scope if role is not None else None

    def published_only(self, name: str) -> bool:
        """Whether a holder of `name` reads only published cases (see RoleDef)."""
        role = self._roles.get(name)
        return role is not None and role.published_only

    def label(self, name: str, language: str) -> str:
        role = self._roles.get(name)
        return role.label.get(language) if role is not None else name

    def assignable(self) -> list[RoleDef]:
        return [role for role in self._roles.values() if role.assignable]

    def delegable(self) -> list[RoleDef]:
        return [role for role in self._roles.values() if role.delegable]

    def overseeing(self) -> frozenset[str]:
        return frozenset(name for name, role in self._roles.items() if role.oversees)

    def workflow_roles(self) -> list[RoleDef]:
        return [role for name, role in self._roles.items() if name not in PLATFORM_ROLES]

    def with_scope(self, scope: RoleScope) -> frozenset[str]:
        return frozenset(name for name, role in self._roles.items() if role.scope == scope)
