"""`workflow-app plans list|transition`: the admin's view of all plans, and the same transition
operation the web uses."""

from __future__ import annotations

import json
from typing import Any

import click
from flask.cli import AppGroup
from flask_babel import force_locale
from sqlalchemy import select

from ..engine import OutOfScope, TransitionRefused
from ..extensions import db
from ..plans import operations
from ..plans.models import ActionPlan
from ..regions.catalogue import DISTRICTS, PROVINCE
from ..regions.models import Region
from ..unit_of_work import unit_of_work
from ..workflows import PLAN_WORKFLOW, definitions_of
from .exits import EXIT_NOT_FOUND, EXIT_REFUSED, CommandFailed
from .output import acting_user, iso_utc, refusal_line, table

plans_group = AppGroup("plans", help="Action plans: list them, move them through the workflow.")


def _known_states() -> list[str]:
    names: dict[str, None] = {}
    for definition in definitions_of(PLAN_WORKFLOW):
        names.update(dict.fromkeys(definition.states))
    return list(names)


def _known_regions() -> list[str]:
    codes = {PROVINCE.code, *(info.code for info in DISTRICTS)}
    codes.update(db.session.scalars(select(Region.code)))
    return sorted(codes)


def _as_json(plan: ActionPlan) -> dict[str, Any]:
    return {
        "id": plan.id,
        "region": plan.region.code,
        "region_name": plan.region.name,
        "title": plan.title,
        "state": plan.state,
        "version": plan.version,
        "period_start": plan.period_start,
        "period_end": plan.period_end,
        "workflow": plan.workflow_name,
        "workflow_version": plan.workflow_version,
        "created_at": iso_utc(plan.created_at),
        "updated_at": iso_utc(plan.updated_at),
    }


@plans_group.command("list")
@click.option("--region", "region_code", metavar="CODE", help="Only this region, e.g. 6301.")
@click.option("--state", metavar="STATE", help="Only plans in this state, e.g. draft.")
@click.option("--json", "as_json", is_flag=True, help="A JSON array instead of a table.")
def list_command(region_code: str | None, state: str | None, as_json: bool) -> None:
    """List every plan (all regions, no user scoping)."""
    if state is not None and state not in _known_states():
        raise click.BadParameter(
            f"unknown state {state!r}; known states: {', '.join(_known_states())}",
            param_hint="--state",
        )
    if region_code is not None and region_code not in _known_regions():
        raise click.BadParameter(
            f"unknown region {region_code!r}; known codes: {', '.join(_known_regions())}",
            param_hint="--region",
        )
    query = select(ActionPlan).join(ActionPlan.region).order_by(Region.code, ActionPlan.id)
    if region_code is not None:
        query = query.where(Region.code == region_code)
    if state is not None:
        query = query.where(ActionPlan.state == state)
    plans = list(db.session.scalars(query))

    if as_json:
        click.echo(json.dumps([_as_json(p) for p in plans], ensure_ascii=False, indent=2))
        return
    if not plans:
        click.echo("No plans.")
        return
    rows = [["ID", "REGION", "PERIOD", "STATE", "VERSION", "TITLE"]]
    rows += [
        [
            str(p.id),
            f"{p.region.code} {p.region.name}",
            p.period_label,
            p.state,
            str(p.version),
            p.title,
        ]
        for p in plans
    ]
    click.echo(table(rows))


@plans_group.command("transition")
@click.argument("plan_id", type=int)
@click.argument("trigger")
@click.option("--as", "username", required=True, metavar="USERNAME", help="Act as this user.")
@click.option("--comment", help="A comment for the history (required to return a plan).")
def transition_command(plan_id: int, trigger: str, username: str, comment: str | None) -> None:
    """Fire TRIGGER (submit, forward, return, approve, …) on plan PLAN_ID as USERNAME."""
    actor = acting_user(username)
    # English messages on the command line, whatever the default interface language.
    with force_locale("en"):
        try:
            with unit_of_work():
                plan = operations.load_visible_plan(actor, plan_id)
                record = operations.transition(actor, plan, trigger, comment=comment)
        except OutOfScope as exc:
            # Out of the user's scope reads exactly like a plan that does not exist.
            raise CommandFailed(f"plan {plan_id} not found", EXIT_NOT_FOUND) from exc
        except TransitionRefused as exc:
            raise CommandFailed(refusal_line(exc), EXIT_REFUSED) from exc
    click.echo(
        f"plan {plan_id}: {record.from_state} → {record.to_state} "
        f"({trigger} by {username}, version {plan.version})"
    )
