"""Where each user lands after logging in: the workspace of their roles.

A workspace is a feature's start page and the rule for who may open it; features register
theirs (`register_workspace`). Which role lands where is data, not code: ROLE_WORKSPACES in the
configuration maps a role to a workspace, and a role it does not name lands on
DEFAULT_WORKSPACE (the task page: a role with steps to take has its work there). A user
holding several roles lands on the default workspace if any of their roles does, since work
waiting for them comes first; otherwise on the first of their roles' workspaces they may open.
A setting that names an unknown workspace or role stops start-up.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from flask import Flask, current_app, url_for

from .accounts.models import User
from .config import ConfigurationError


@dataclass(frozen=True)
class Workspace:
    name: str
    endpoint: str
    may_open: Callable[[User], bool]


_WORKSPACES: dict[str, Workspace] = {}


def register_workspace(name: str, endpoint: str, may_open: Callable[[User], bool]) -> None:
    """Called by a feature when its views are imported (once per process; idempotent)."""
    _WORKSPACES[name] = Workspace(name, endpoint, may_open)


def check_role_workspaces(app: Flask, roles: Iterable[str]) -> None:
    """Refuse to start when ROLE_WORKSPACES or DEFAULT_WORKSPACE names a workspace no feature
    registered, or a role neither the platform nor a definition declares."""
    known_roles = set(roles)
    default = app.config["DEFAULT_WORKSPACE"]
    problems = []
    if default not in _WORKSPACES:
        problems.append(f"DEFAULT_WORKSPACE: unknown workspace {default!r}")
    for role, workspace in app.config["ROLE_WORKSPACES"].items():
        if role not in known_roles:
            problems.append(f"ROLE_WORKSPACES: unknown role {role!r}")
        if workspace not in _WORKSPACES:
            problems.append(f"ROLE_WORKSPACES[{role!r}]: unknown workspace {workspace!r}")
    if problems:
        raise ConfigurationError(
            "; ".join(problems) + f" (workspaces: {', '.join(sorted(_WORKSPACES))})"
        )


def landing_workspace(user: User) -> Workspace:
    config = current_app.config
    default = _WORKSPACES[config["DEFAULT_WORKSPACE"]]
    by_role = config["ROLE_WORKSPACES"]
    names = [by_role.get(grant.role, default.name) for grant in user.grants()]
    if not names or default.name in names:
        return default
    for name in dict.fromkeys(names):
        workspace = _WORKSPACES[name]
        if workspace.may_open(user):
            return workspace
    return default


def landing_url(user: User) -> str:
    """The start page of `user`'s workspace (see the module's docstring)."""
    return url_for(landing_workspace(user).endpoint)
