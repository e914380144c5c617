"""`workflow-app status [--stale-minutes 15] [--json]`: the checks of system_status.py, one
line each; exit 0 when all is well, EXIT_ATTENTION (6) when something needs a person (for
cron or a monitor)."""

from __future__ import annotations

import json
from datetime import timedelta

import click
from flask.cli import with_appcontext

from ..models_base import utcnow
from ..system_status import system_status
from .exits import EXIT_ATTENTION


@click.command("status")
@click.option("--stale-minutes", type=click.IntRange(min=1), default=15, show_default=True,
              help="How late an email or a deadline may be before it counts as stuck.")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="One JSON object, for a monitor.")
@with_appcontext
def status_command(stale_minutes: int, as_json: bool) -> None:
    """Broker, outbox and deadlines: is everything flowing?"""
    checks = system_status(utcnow(), timedelta(minutes=stale_minutes))
    healthy = all(check.ok for check in checks)
    if as_json:
        verdict = {"ok": healthy, "checks": [check.as_dict() for check in checks]}
        click.echo(json.dumps(verdict, ensure_ascii=False))
    else:
        for check in checks:
            click.echo(f"{'OK' if check.ok else 'ATTENTION':9}  {check.name}: {check.summary}")
        problems = sum(not check.ok for check in checks)
        click.echo("status: OK" if healthy else f"status: ATTENTION ({problems})")
    if not healthy:
        raise SystemExit(EXIT_ATTENTION)
