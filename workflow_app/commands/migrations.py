"""The `db` commands (Flask-Migrate) bound to the app without importing Flask-Migrate and
Alembic (~12 MiB of modules): the web and worker processes never migrate, so only a
`workflow-app db ...` command, or a call of flask_migrate's functions (the migration tests),
loads them, at that moment."""

from __future__ import annotations

from typing import Any

import click
from flask import Flask

COMMAND = "db"


def bind(app: Flask, directory: str) -> Any:
    """Flask-Migrate bound for real (once): its config in app.extensions["migrate"], its
    command group in app.cli."""
    if isinstance(app.extensions.get("migrate"), _LazyMigrateConfig):
        from flask_migrate import Migrate

        from ..extensions import db

        Migrate(app, db, directory=directory, command=COMMAND)
    return app.extensions["migrate"]


class _LazyMigrateConfig:
    """Stands in app.extensions["migrate"] until something reads it (flask_migrate's
    functions, migrations/env.py), which binds Flask-Migrate and reads the real one."""

    def __init__(self, app: Flask, directory: str) -> None:
        self._app = app
        self._directory = directory

    def __getattr__(self, name: str) -> Any:
        return getattr(bind(self._app, self._directory), name)


class _LazyDbGroup(click.Group):
    """Flask-Migrate's `db` group in the CLI's listing; invoked, it binds Flask-Migrate and
    hands the arguments to the real group (which replaced it in app.cli)."""

    def __init__(self, app: Flask, directory: str) -> None:
        super().__init__(COMMAND, help="Perform database migrations.")
        self._app = app
        self._directory = directory

    def _real(self) -> click.Group:
        bind(self._app, self._directory)
        return self._app.cli.commands[COMMAND]  # type: ignore[return-value]

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        return self._real().make_context(*args, **kwargs)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return self._real().list_commands(ctx)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        return self._real().get_command(ctx, name)


def init_migrations(app: Flask) -> None:
    from ..web import MIGRATIONS_DIR

    directory = str(MIGRATIONS_DIR)
    app.extensions["migrate"] = _LazyMigrateConfig(app, directory)
    app.cli.add_command(_LazyDbGroup(app, directory))
