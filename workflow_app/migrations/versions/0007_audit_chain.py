"""the hash chain of plan history: prev_hash and row_hash on plan_transition, backfilled

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-10

Written by hand. Adds the two columns, links the existing rows of each plan into its chain in
id order, then makes row_hash required (on SQLite: NOT NULL with an empty default from the
start, see upgrade). The hash is a frozen copy of format 1 of
workflow_app/audit/chain.py (migrations never import the app); tests/db/test_audit_chain.py
checks that rows backfilled here pass `workflow-app audit verify`.
"""
import hashlib
import json
from datetime import timezone

from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

HASHED_COLUMNS = (
    'id', 'plan_id', 'report_id', 'workflow_version', 'from_state', 'to_state', 'trigger',
    'actor_id', 'acting_for_id', 'role', 'comment', 'created_at',
)
INT_COLUMNS = {'id', 'plan_id', 'report_id', 'workflow_version', 'actor_id', 'acting_for_id'}

history = sa.table(
    'plan_transition',
    sa.column('id', sa.Integer()),
    sa.column('plan_id', sa.Integer()),
    sa.column('report_id', sa.Integer()),
    sa.column('workflow_version', sa.Integer()),
    sa.column('from_state', sa.String()),
    sa.column('to_state', sa.String()),
    sa.column('trigger', sa.String()),
    sa.column('actor_id', sa.Integer()),
    sa.column('acting_for_id', sa.Integer()),
    sa.column('role', sa.String()),
    sa.column('comment', sa.Text()),
    sa.column('created_at', sa.DateTime(timezone=True)),
    sa.column('prev_hash', sa.String()),
    sa.column('row_hash', sa.String()),
)


def _canonical(column, value):
    if value is None:
        return None
    if column == 'created_at':
        if value.tzinfo is not None:  # a naive value is UTC already (SQLite keeps no offset)
            value = value.astimezone(timezone.utc)
        return value.strftime('%Y-%m-%dT%H:%M:%S.%fZ')
    return int(value) if column in INT_COLUMNS else str(value)


def row_hash(prev_hash, row):
    document = {'format': 1, 'prev_hash': prev_hash}
    document.update({column: _canonical(column, row[column]) for column in HASHED_COLUMNS})
    encoded = json.dumps(document, sort_keys=True, separators=(',', ':'), ensure_ascii=False)
    return hashlib.sha256(encoded.encode('utf-8')).hexdigest()


def backfill(connection):
    """Link every plan's rows into its chain, in id order. Returns the number of rows."""
    plan_ids = connection.execute(
        sa.select(history.c.plan_id).distinct().order_by(history.c.plan_id)
    ).scalars().all()
    done = 0
    for plan_id in plan_ids:
        rows = connection.execute(
            sa.select(*[history.c[name] for name in HASHED_COLUMNS])
            .where(history.c.plan_id == plan_id)
            .order_by(history.c.id)
        ).mappings().all()
        previous = None
        links = []
        for row in rows:
            own = row_hash(previous, row)
            links.append({'row_id': row['id'], 'prev': previous, 'own': own})
            previous = own
        connection.execute(
            history.update()
            .where(history.c.id == sa.bindparam('row_id'))
            .values(prev_hash=sa.bindparam('prev'), row_hash=sa.bindparam('own')),
            links,
        )
        done += len(links)
    return done


def upgrade():
    # No table rebuild (batch mode) on SQLite: other tables refer to this one, and with foreign
    # keys on its DROP TABLE fails on any database with history. SQLite adds a NOT NULL column
    # in place when it has a default; the backfill then replaces every ''.
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.add_column("plan_transition", sa.Column("prev_hash", sa.String(length=64), nullable=True))
    op.add_column(
        "plan_transition",
        sa.Column(
            "row_hash",
            sa.String(length=64),
            nullable=not sqlite,
            server_default="" if sqlite else None,
        ),
    )

    backfill(op.get_bind())

    if not sqlite:
        op.alter_column("plan_transition", "row_hash", existing_type=sa.String(length=64), nullable=False)


def downgrade():
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+), for the same reason as above.
    op.drop_column("plan_transition", "row_hash")
    op.drop_column("plan_transition", "prev_hash")
