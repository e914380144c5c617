"""The `workflow-app` command: the Flask CLI bound to the factory, plus our own commands."""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import FlaskGroup

from .config import ConfigurationError
from .engine import DefinitionError


def _create_app() -> Flask:
    from . import create_app

    try:
        return create_app()
    except DefinitionError as exc:
        click.echo(f"workflow definition error: {exc}", err=True)
        sys.exit(2)
    except ConfigurationError as exc:
        click.echo(f"configuration error: {exc}", err=True)
        sys.exit(2)


def register_commands(app: Flask) -> None:
    from .commands import register

    register(app)


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False)
def main() -> None:
    """Workflow and approval engine for sanitation action plans (Kalimantan Selatan)."""
