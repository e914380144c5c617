"""`workflow-app audit verify`: check the hash chain of every plan's history and the log of
administrative acts.

Prints `OK: N chains, M rows; admin log: K acts` and exits 0, or one line per broken chain
naming its first broken row and why, and exits EXIT_BROKEN_CHAIN (5)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ..audit.admin_verify import CHAIN as ADMIN_LOG
from ..audit.links import Break
from ..audit.verify import verify_database
from ..extensions import db
from .exits import EXIT_BROKEN_CHAIN

audit_group = AppGroup("audit", help="The tamper-evident audit trail.")


def _chain_name(broken: Break) -> str:
    if (broken.chain_kind, broken.chain_id) == ADMIN_LOG:
        return broken.chain_kind
    return f"{broken.chain_kind} {broken.chain_id}"


@audit_group.command("verify")
def verify_command() -> None:
    """Recompute every history chain and the log of administrative acts, and name the first
    broken row of each."""
    verdict = verify_database(db.engine)
    if verdict.ok:
        click.echo(
            f"OK: {verdict.chains} chains, {verdict.rows} rows; admin log: {verdict.acts} acts"
        )
        return
    for broken in verdict.breaks:
        where = f"row {broken.row_id}" if broken.row_id is not None else "no row"
        click.echo(f"{_chain_name(broken)}: {where}: {broken.reason}: {broken.detail}", err=True)
    click.echo(
        f"BROKEN: {len(verdict.breaks)} of {verdict.chains} chains, {verdict.rows} rows; "
        f"admin log: {verdict.acts} acts",
        err=True,
    )
    raise SystemExit(EXIT_BROKEN_CHAIN)
