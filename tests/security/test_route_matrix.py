"""Every route of the app, as every role, on its own district's objects and on another's:
the status each answers is the one in expectations.py, a refused POST changes nothing, and a
route nobody has written an expectation for fails here, named.

The roles are those the definitions declare (columns.py): a role declared in a definition that
has no column, no user or no status in some case fails here, named, as does a column for a
role the app no longer knows."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

import pytest
from flask import Flask
from sqlalchemy import select

from workflow_app.accounts.models import User
from workflow_app.engine import Label, RoleCatalogue, RoleDef, RoleScope
from workflow_app.extensions import db
from workflow_app.workflows import roles

from . import columns, expectations
from .dataset import build, holders
from .expectations import ANONYMOUS, CATALOGUE, EXPECTATIONS, REGION_OF, ROLES, WORKFLOW_ROLES
from .matrix import API_PREFIX, STATE_CHANGING, Seen, routes, seen_by

SUCCESS_REDIRECTS = (302, 303)
# A POST whose success is a page of its own: something made and shown once (a calendar address).
CREATED = 201


def test_every_route_has_expectations(app: Flask) -> None:
    in_map = {(method, rule.rule) for method, rule in routes(app)}
    missing = sorted(in_map - set(EXPECTATIONS))
    stale = sorted(set(EXPECTATIONS) - in_map)
    assert not missing, "routes with no expectation in tests/security/expectations.py:\n" + (
        "\n".join(f"  {method} {rule}" for method, rule in missing)
    )
    assert not stale, f"expectations for routes that no longer exist: {stale}"


def test_every_declared_role_has_a_column(app_ctx: Flask) -> None:
    """The app's roles (those its definitions declare, the admin and the partner) are the
    matrix's columns: none is left unchecked, none is checked that the app does not know."""
    catalogue = roles()
    declared = [role.name for role in catalogue.workflow_roles()]
    assert list(WORKFLOW_ROLES) == declared, (
        f"the matrix's workflow roles {list(WORKFLOW_ROLES)} are not the roles the app's "
        f"definitions declare {declared} (columns.declared_catalogue reads another directory?)"
    )
    signed_in = {role.name for role in catalogue.assignable()}
    missing = sorted(signed_in - set(ROLES))
    assert not missing, f"roles with no column in the route matrix: {missing}"
    stale = sorted(set(ROLES) - signed_in - {ANONYMOUS})
    assert not stale, f"columns of the route matrix for roles the app does not know: {stale}"
    for role in declared:
        scope = catalogue.scope_of(role)
        where = columns.OWN_DISTRICT if scope == RoleScope.DISTRICT else columns.PROVINCE
        assert REGION_OF[role] == where, f"{role} ({scope}) is held in {REGION_OF[role]}"


def _every_status(table: dict) -> list[tuple[str, int, str, dict[str, int]]]:
    """(route, case number, target, statuses) for every case of an expectations table."""
    return [
        (f"{method} {rule}", number, target, dict(statuses))
        for (method, rule), cases in table.items()
        for number, case in enumerate(cases)
        for target, statuses in (("own", case.own), ("other", case.other))
        if statuses is not None
    ]


def test_every_case_answers_for_every_role() -> None:
    problems = [
        f"{route} [case {number}, {target}]: roles missing or unknown "
        f"{sorted(set(ROLES) ^ set(statuses))}"
        for route, number, target, statuses in _every_status(EXPECTATIONS)
        if set(statuses) != set(ROLES)
    ]
    assert not problems, "cases without a status for every role:\n" + "\n".join(problems)


def test_every_column_signs_in_as_a_holder_of_its_role(
    app_ctx: Flask, users: dict[str, User]
) -> None:
    people = holders(users)
    assert set(people) == set(ROLES) - {ANONYMOUS}
    for role, username in people.items():
        user = db.session.scalar(select(User).where(User.username == username))
        assert user is not None, f"{role}: no user {username}"
        held = {(a.role, a.region.code) for a in user.roles}
        assert held == {(role, REGION_OF[role])}, f"{role}: {username} holds {held}"


# Routes whose answer depends on the user being a party to an object of the dataset (the
# delegation from head.6301 to reviewer.6301), not on the role alone.
PARTY_ROUTES = {
    "POST /delegations/<int:delegation_id>/end",
    "GET /api/v1/delegations/<int:delegation_id>",
    "POST /api/v1/delegations/<int:delegation_id>/end",
}
# The plainest role of each scope: owns no step, has no right the rest of its scope lacks.
# A global role is held in the province, grouped with the province's roles.
PLAINEST = {
    "probe_district": "district_head",
    "probe_province": "provincial_head",
    "probe_global": "provincial_head",
}


def _expectations_declaring(monkeypatch: pytest.MonkeyPatch, *extra: RoleDef) -> ModuleType:
    """A fresh copy of expectations.py as it would be if the definitions declared `extra`."""
    catalogue = RoleCatalogue([*CATALOGUE.workflow_roles(), *extra])
    monkeypatch.setattr(columns, "declared_catalogue", lambda: catalogue)
    spec = importlib.util.spec_from_file_location(
        "tests.security._expectations_probe", expectations.__file__
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)
    spec.loader.exec_module(module)
    return module


def test_a_new_role_answers_as_its_plainest_peer(monkeypatch: pytest.MonkeyPatch) -> None:
    """A role added to a definition gets a column and, in every case, the answers of the
    plainest role of its scope (on party routes: a refusal), with no edit of expectations.py;
    the answers of the other roles stay as they are."""
    probes = [
        RoleDef(name, Label(name, name), scope)
        for name, scope in (
            ("probe_district", RoleScope.DISTRICT),
            ("probe_province", RoleScope.PROVINCE),
            ("probe_global", RoleScope.GLOBAL),
        )
    ]
    probed = _expectations_declaring(monkeypatch, *probes)
    assert set(probed.ROLES) == set(ROLES) | set(PLAINEST)
    problems = []
    before = _every_status(EXPECTATIONS)
    after = _every_status(probed.EXPECTATIONS)
    assert len(before) == len(after)
    for (route, number, target, old), (_, _, _, new) in zip(before, after, strict=True):
        where = f"{route} [case {number}, {target}]"
        if {role: new[role] for role in old} != old:
            problems.append(f"{where}: the existing roles' answers changed")
        for probe, peer in PLAINEST.items():
            if route in PARTY_ROUTES:
                if new[probe] < 400:
                    problems.append(f"{where}: {probe} {new[probe]}, not a party")
            elif new[probe] != new[peer]:
                problems.append(f"{where}: {probe} {new[probe]}, {peer} {new[peer]}")
    assert not problems, "\n".join(problems)


def _may_change(seen: Seen, role: str) -> bool:
    """Only a signed-in role's successful action (a redirect, 201 Created, or 200 or 201
    from the API) may change the database."""
    if role == ANONYMOUS:
        return False
    if seen.rule.startswith(API_PREFIX):
        return seen.expected in (200, CREATED)
    return seen.expected in SUCCESS_REDIRECTS or seen.expected == CREATED


def _problems(seen: list[Seen], role: str) -> list[str]:
    problems = []
    for request in seen:
        if request.status != request.expected:
            problems.append(request.describe())
        elif (
            request.method in STATE_CHANGING and request.changed and not _may_change(request, role)
        ):
            problems.append(f"refused but changed the database: {request.describe()}")
        elif role == ANONYMOUS and request.status == 302 and "/login" not in request.location:
            problems.append(f"anonymous not sent to the login page: {request.describe()}")
    return problems


@pytest.mark.parametrize("role", ROLES)
def test_route_matrix(app_ctx: Flask, users: dict[str, User], role: str) -> None:
    seen = seen_by(app_ctx, role, lambda: build(users))
    problems = _problems(seen, role)
    assert not problems, f"{len(problems)} unexpected answers for {role}:\n" + "\n".join(problems)
