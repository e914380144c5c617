"""`workflow-app cases list|transition`: every kind of case (action plans, progress reports
and the kinds declared as data) from one pair of commands, through the same door as the web."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

import click
from flask.cli import AppGroup
from flask_babel import force_locale
from sqlalchemy import select

from .. import policy
from ..accounts.models import User
from ..engine import OutOfScope, TransitionRefused
from ..engine.sign_off import ANSWERS
from ..extensions import db
from ..firing import fire
from ..signoffs import service as sign_offs
from ..subjects import CaseKind, case_kinds, kind_named
from ..unit_of_work import unit_of_work
from ..workflows import registry
from .exits import EXIT_NOT_FOUND, EXIT_REFUSED, CommandFailed
from .output import acting_user, iso_utc, refusal_line, table

T = TypeVar("T")

cases_group = AppGroup(
    "cases", help="Cases of every kind: list them, move them through their workflow."
)


def _kind_names() -> list[str]:
    return sorted(kind.name for kind in case_kinds())


def _kind(name: str) -> CaseKind:
    if name not in _kind_names():
        raise click.BadParameter(
            f"unknown kind {name!r}; known kinds: {', '.join(_kind_names())}", param_hint="KIND"
        )
    return kind_named(name)


def _title(kind: CaseKind, case: Any) -> str:
    return str(getattr(case, "title", "") or kind.describe(case))


def _as_json(kind: CaseKind, case: Any) -> dict[str, Any]:
    scope = kind.scope_of(case)
    return {
        "kind": kind.name,
        "id": case.id,
        "region": scope.region_code,
        "title": _title(kind, case),
        "state": case.state,
        "version": case.version,
        "workflow": case.workflow_name,
        "workflow_version": case.workflow_version,
        "due_at": iso_utc(case.due_at) if case.due_at else None,
        "updated_at": iso_utc(case.updated_at),
        "values": getattr(case, "values", None),
    }


@cases_group.command("list")
@click.argument("kind", required=False)
@click.option("--region", "region_code", metavar="CODE", help="Only this region, e.g. 6301.")
@click.option("--state", metavar="STATE", help="Only cases in this state.")
@click.option("--json", "as_json", is_flag=True, help="A JSON array instead of a table.")
def list_command(
    kind: str | None, region_code: str | None, state: str | None, as_json: bool
) -> None:
    """List the cases of KIND (default: every kind), all regions, no user scoping."""
    kinds = [_kind(kind)] if kind else [kind_named(name) for name in _kind_names()]
    if state is not None:
        known = {s for k in kinds for d in registry().versions_of(k.workflow) for s in d.states}
        if state not in known:
            raise click.BadParameter(
                f"unknown state {state!r}; known states: {', '.join(sorted(known))}",
                param_hint="--state",
            )
    found: list[tuple[CaseKind, Any]] = []
    for each in kinds:
        query = select(each.model).where(each.rows_where()).order_by(each.model.id)
        if state is not None:
            query = query.where(each.model.state == state)
        for case in db.session.scalars(query).unique():
            if region_code is None or each.scope_of(case).region_code == region_code:
                found.append((each, case))
    if as_json:
        click.echo(json.dumps([_as_json(k, c) for k, c in found], ensure_ascii=False, indent=2))
        return
    if not found:
        click.echo("No cases.")
        return
    rows = [["KIND", "ID", "REGION", "STATE", "VERSION", "TITLE"]]
    rows += [
        [k.name, str(c.id), k.scope_of(c).region_code, c.state, str(c.version), _title(k, c)]
        for k, c in found
    ]
    click.echo(table(rows))


def _act_on(kind: str, case_id: int, username: str, act: Callable[[User, Any], T]) -> T:
    """`act(actor, case)` as USERNAME on a case they may see, in one unit of work, in English;
    a case out of their scope reads exactly like one that does not exist (exit 3), a refusal
    is one line (exit 4)."""
    found = _kind(kind)
    actor = acting_user(username)
    with force_locale("en"):
        try:
            with unit_of_work():
                return act(actor, policy.find_visible(actor, found.name, case_id))
        except OutOfScope as exc:
            raise CommandFailed(f"{kind} {case_id} not found", EXIT_NOT_FOUND) from exc
        except TransitionRefused as exc:
            raise CommandFailed(refusal_line(exc), EXIT_REFUSED) from exc


@cases_group.command("transition")
@click.argument("kind")
@click.argument("case_id", type=int)
@click.argument("trigger")
@click.option("--as", "username", required=True, metavar="USERNAME", help="Act as this user.")
@click.option("--comment", help="A comment for the history (some actions require one).")
def transition_command(
    kind: str, case_id: int, trigger: str, username: str, comment: str | None
) -> None:
    """Fire TRIGGER on case CASE_ID of KIND as USERNAME."""

    def act(actor: User, case: Any) -> tuple[Any, Any]:
        return case, fire(actor, case, trigger, comment=comment)

    case, record = _act_on(kind, case_id, username, act)
    click.echo(
        f"{kind} {case_id}: {record.from_state} → {record.to_state} "
        f"({trigger} by {username}, version {case.version})"
    )


@cases_group.command("answer")
@click.argument("kind")
@click.argument("case_id", type=int)
@click.argument("answer", type=click.Choice(ANSWERS))
@click.option("--as", "username", required=True, metavar="USERNAME", help="Answer as this user.")
@click.option("--comment", help="The reason (required to object).")
def answer_command(
    kind: str, case_id: int, answer: str, username: str, comment: str | None
) -> None:
    """Give USERNAME's opinion (agree or object) on the open sign-off of case CASE_ID."""

    def act(actor: User, case: Any) -> tuple[Any, Any, tuple[int, int]]:
        done = sign_offs.answer(actor, case, answer, comment)
        return case, done, sign_offs.tally(sign_offs.rounds_of(done.row))

    case, done, (agreed, objected) = _act_on(kind, case_id, username, act)
    outcome = f"; the system fired {done.fired}, now {case.state}" if done.fired else ""
    click.echo(
        f"{kind} {case_id}: {answer} by {username} ({agreed} agreed, {objected} objected{outcome})"
    )
