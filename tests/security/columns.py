"""The columns of the route matrix: one per role the definitions declare, plus the platform's.

The workflow roles are not written down here: they are read from the definitions the app
loads (`workflows/*.yaml`, section `roles:`), so a role added to a definition gets a column
(and a user, see dataset.holders) without anyone touching the security tests. The platform
adds the administrator, the partner and the anonymous visitor. The platform's `system` role
has no column: it is held only by the built-in account that cannot sign in.

Where a column's user holds its role follows from the role's declared scope: a
district-scoped role in the own district (6301), a province-scoped or global one in the
province (63). The partner is the exception: its grant is in 6301, as the demo partner's.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

from workflow_app.engine import Role, RoleCatalogue, RoleScope
from workflow_app.resources import resource_path

OWN_DISTRICT, OTHER_DISTRICT, PROVINCE = "6301", "6304", "63"
ANONYMOUS = "anonymous"

# The group a workflow role's column belongs to in the expectations (`answers(district=...,
# province=...)`): the roles held in the district, and those held in the province, which
# act there or (global) beyond.
DISTRICT_GROUP, PROVINCE_GROUP = "district", "province"


@dataclass(frozen=True)
class Column:
    role: str
    # Where the column's user holds the role (None: the anonymous visitor).
    region: str | None
    # district/province for a workflow role; None for the platform's columns, which the
    # expectations always answer for by name or by default.
    group: str | None = None


def declared_catalogue() -> RoleCatalogue:
    """The roles of the definitions the app loads by default, read without an app (the
    columns must be known when pytest collects the tests). test_route_matrix checks that the
    app under test loads the same ones."""
    from workflow_app.web import load_workflows

    stand_in = SimpleNamespace(config={"WORKFLOWS_DIR": str(resource_path("workflows"))})
    return load_workflows(stand_in).roles  # type: ignore[arg-type]


def columns(catalogue: RoleCatalogue) -> tuple[Column, ...]:
    """The declared workflow roles in the order the definitions declare them, then the
    partner, the administrator and the anonymous visitor."""
    declared = []
    for role in catalogue.workflow_roles():
        if role.scope == RoleScope.DISTRICT:
            declared.append(Column(role.name, OWN_DISTRICT, DISTRICT_GROUP))
        else:
            declared.append(Column(role.name, PROVINCE, PROVINCE_GROUP))
    return (
        *declared,
        Column(Role.PARTNER.value, OWN_DISTRICT),
        Column(Role.ADMIN.value, PROVINCE),
        Column(ANONYMOUS, None),
    )
