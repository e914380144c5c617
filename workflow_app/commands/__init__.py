"""CLI commands of `workflow-app`, one module per group."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Attach every command group to the app's CLI."""
