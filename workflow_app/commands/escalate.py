"""`workflow-app escalate [--dry-run] [--at TIME]`: one escalation sweep, now or at a given
time — an admin previewing Monday's reminders, or a way to drive the sweep from outside."""

from __future__ import annotations

from datetime import datetime

import click
from flask.cli import with_appcontext

from ..deadlines.sweep import FiredStep, run_sweep
from ..engine.calendar import WITA
from ..models_base import utcnow


class MomentParam(click.ParamType):
    """An ISO 8601 date or time; without an offset it is WITA."""

    name = "TIME"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            self.fail(
                f"{value!r} is not an ISO time, e.g. 2026-03-30T08:00 (WITA) or "
                "2026-03-30T00:00+00:00",
                param,
                ctx,
            )
        return moment if moment.tzinfo else moment.replace(tzinfo=WITA)


def _wita(moment: datetime) -> str:
    return moment.astimezone(WITA).strftime("%Y-%m-%d %H:%M WITA")


def _line(fired: FiredStep) -> str:
    recipients = ", ".join(fired.recipients) or (
        "(nobody to notify)" if fired.fires else "(nobody holds the role)"
    )
    region = f"{fired.facts.get('region_code', '?')} {fired.facts.get('region_name', '')}".strip()
    acts = f"  fires {fired.fires}" if fired.fires else ""
    return (
        f"{fired.description}  {region}  {fired.state}  {fired.step}  {_wita(fired.fire_at)}"
        f"  -> {recipients}{acts}"
    )


@click.command("escalate")
@click.option("--dry-run", is_flag=True, help="Only list what would be sent; change nothing.")
@click.option(
    "--at",
    "at",
    type=MomentParam(),
    help="Evaluate at this ISO time instead of now (no offset: WITA).",
)
@with_appcontext
def escalate_command(dry_run: bool, at: datetime | None) -> None:
    """Fire the escalation steps (reminders, due notices, escalations) due now or at --at."""
    moment = at or utcnow()
    fired = run_sweep(moment, dry_run=dry_run)
    verb = "would fire" if dry_run else "fired"
    click.echo(f"Sweep at {_wita(moment)}" + (" (dry run: nothing changed)" if dry_run else ""))
    for step in sorted(fired, key=lambda f: (f.fire_at, f.step_id)):
        click.echo(_line(step))
    click.echo(f"{len(fired)} step{'' if len(fired) == 1 else 's'} {verb}.")
