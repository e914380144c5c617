"""CLI commands of `workflow-app`, one module per group."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Attach every command group to the app's CLI."""
    from .escalate import escalate_command
    from .plans_cmd import plans_group
    from .seed import seed_demo_command
    from .workflows_cmd import workflows_group

    app.cli.add_command(seed_demo_command)
    app.cli.add_command(workflows_group)
    app.cli.add_command(plans_group)
    app.cli.add_command(escalate_command)
