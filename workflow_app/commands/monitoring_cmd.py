"""`workflow-app monitoring run [--at TIME]`: one monitoring round, now or at a given time —
the same work beat does every few minutes: start monitoring the plans whose period began,
open the reports of the quarters that ended."""

from __future__ import annotations

from datetime import datetime

import click
from flask.cli import AppGroup

from ..engine.calendar import WITA
from ..models_base import utcnow
from ..monitoring.rounds import run_round
from .escalate import MomentParam

monitoring_group = AppGroup("monitoring", help="Monitoring of approved plans.")


@monitoring_group.command("run")
@click.option("--at", "at", type=MomentParam(), help="Run as at this ISO time (no offset: WITA).")
def run_command(at: datetime | None) -> None:
    """Start due monitoring and open the reports of ended quarters."""
    moment = at or utcnow()
    result = run_round(moment)
    click.echo(f"Monitoring round at {moment.astimezone(WITA):%Y-%m-%d %H:%M} WITA")
    for plan_id in result.started:
        click.echo(f"plan {plan_id}: monitoring started")
    for plan_id, quarter in result.opened:
        click.echo(f"plan {plan_id}: report {quarter} opened")
    click.echo(f"{len(result.started)} plan(s) started, {len(result.opened)} report(s) opened")
