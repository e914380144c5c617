"""CLI commands of `workflow-app`, one module per group."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Attach every command group to the app's CLI."""
    from .audit_cmd import audit_group
    from .cases_cmd import cases_group
    from .escalate import escalate_command
    from .migrations import init_migrations
    from .monitoring_cmd import monitoring_group
    from .plans_cmd import plans_group
    from .seed import seed_demo_command
    from .stack_cmd import stack_command
    from .status_cmd import status_command
    from .tokens_cmd import tokens_group
    from .transfer_cmd import export_group, import_group
    from .workflows_cmd import workflows_group

    init_migrations(app)  # the `db` group, Flask-Migrate imported when it runs
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(workflows_group)
    app.cli.add_command(plans_group)
    app.cli.add_command(cases_group)
    app.cli.add_command(escalate_command)
    app.cli.add_command(export_group)
    app.cli.add_command(import_group)
    app.cli.add_command(monitoring_group)
    app.cli.add_command(tokens_group)
    app.cli.add_command(audit_group)
    app.cli.add_command(stack_command)
    app.cli.add_command(status_command)
