"""`workflow-app audit verify`: check the hash chain of every plan's history.

Prints `OK: N chains, M rows` and exits 0, or one line per broken plan naming its first broken
row and why, and exits EXIT_BROKEN_CHAIN (5)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ..audit.verify import verify_database
from ..extensions import db
from .exits import EXIT_BROKEN_CHAIN

audit_group = AppGroup("audit", help="The tamper-evident audit trail.")


@audit_group.command("verify")
def verify_command() -> None:
    """Recompute every history chain and name the first broken row of each."""
    verdict = verify_database(db.engine)
    if verdict.ok:
        click.echo(f"OK: {verdict.chains} chains, {verdict.rows} rows")
        return
    for broken in verdict.breaks:
        where = f"row {broken.row_id}" if broken.row_id is not None else "no row"
        chain = f"{broken.chain_kind} {broken.chain_id}"
        click.echo(f"{chain}: {where}: {broken.reason}: {broken.detail}", err=True)
    click.echo(
        f"BROKEN: {len(verdict.breaks)} of {verdict.chains} chains, {verdict.rows} rows", err=True
    )
    raise SystemExit(EXIT_BROKEN_CHAIN)
