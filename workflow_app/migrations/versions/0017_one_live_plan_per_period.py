"""one live plan per district and period

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05

Written by hand. live_plan_year holds each year of a district covered by its live plan (one
not in a state its definition marks `final`); its primary key (region_id, year) lets no second
live plan of the district cover that year (workflow_app/plans/live_period.py).

Existing plans: each live plan gets the years of its period, taken in this order: the plans the
province agreed to (in a `published` state) first, then the oldest. A live plan overlapping one
taken before it holds no year. It is left as it was, neither withdrawn nor hidden (a migration
fires no transition and writes no history): the sync page still shows the plan that waits for
the province, and the migration log names each such plan (a warning) so that its district can
withdraw it or move it to years no other live plan holds (any change of its period is checked).

Which states are final or published is read from the definition version each plan runs under,
as stored in workflow_version, else as loaded by the app running the migration; a plan whose
version neither knows counts as live.
"""
import json
import logging

from alembic import op
import sqlalchemy as sa


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

log = logging.getLogger('alembic.runtime.migration')

plan = sa.table(
    'action_plan',
    sa.column('id', sa.Integer()),
    sa.column('region_id', sa.Integer()),
    sa.column('period_start', sa.Integer()),
    sa.column('period_end', sa.Integer()),
    sa.column('state', sa.String()),
    sa.column('workflow_name', sa.String()),
    sa.column('workflow_version', sa.Integer()),
    sa.column('created_at', sa.DateTime()),
)
stored = sa.table(
    'workflow_version',
    sa.column('name', sa.String()),
    sa.column('version', sa.Integer()),
    sa.column('content', sa.Text()),
)
live_plan_year = sa.table(
    'live_plan_year',
    sa.column('region_id', sa.Integer()),
    sa.column('year', sa.Integer()),
    sa.column('plan_id', sa.Integer()),
)


def _stored_states(connection):
    """(name, version) -> {state: (final, published)} from the stored definition versions."""
    states = {}
    for name, version, content in connection.execute(
        sa.select(stored.c.name, stored.c.version, stored.c.content)
    ):
        document = json.loads(content)
        states[(name, version)] = {
            state: (bool(spec.get('final')), bool(spec.get('published')))
            for state, spec in document.get('states', {}).items()
        }
    return states


def _loaded_states(name, version):
    """The same, from the definitions the app running the migration loaded (None if unknown)."""
    try:
        from flask import current_app

        definition = current_app.extensions['workflows'].find(name, version)
    except (ImportError, RuntimeError, KeyError):
        return None
    if definition is None:
        return None
    return {state: (spec.final, spec.published) for state, spec in definition.states.items()}


def backfill(connection):
    """Give the live plans their years; return the ids of live plans left without them."""
    known = _stored_states(connection)
    rows = connection.execute(
        sa.select(
            plan.c.id, plan.c.region_id, plan.c.period_start, plan.c.period_end, plan.c.state,
            plan.c.workflow_name, plan.c.workflow_version,
        ).order_by(plan.c.created_at, plan.c.id)
    ).all()
    live = []  # (agreed, plan row), oldest first
    for row in rows:
        key = (row.workflow_name, row.workflow_version)
        if key not in known:
            known[key] = _loaded_states(*key) or {}
        final, published = known[key].get(row.state, (False, False))
        if not final:
            live.append((published, row))
    live.sort(key=lambda item: not item[0])  # agreed plans first; stable: oldest first
    held = {}  # (region_id, year) -> plan id
    left = []
    for _agreed, row in live:
        years = [(row.region_id, year) for year in range(row.period_start, row.period_end + 1)]
        taken = next((held[key] for key in years if key in held), None)
        if taken is not None:
            left.append(row.id)
            log.warning(
                'plan %s (region id %s, %s-%s) overlaps live plan %s of its district: it holds '
                'no year; withdraw it or move its period', row.id, row.region_id,
                row.period_start, row.period_end, taken,
            )
            continue
        held.update({key: row.id for key in years})
    if held:
        connection.execute(
            live_plan_year.insert(),
            [
                {'region_id': region_id, 'year': year, 'plan_id': plan_id}
                for (region_id, year), plan_id in sorted(held.items())
            ],
        )
    return left


def upgrade():
    op.create_table(
        'live_plan_year',
        sa.Column('region_id', sa.Integer(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('plan_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['plan_id'], ['action_plan.id'],
                                name=op.f('fk_live_plan_year_plan_id_action_plan'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['region_id'], ['region.id'],
                                name=op.f('fk_live_plan_year_region_id_region')),
        sa.PrimaryKeyConstraint('region_id', 'year', name=op.f('pk_live_plan_year')),
    )
    op.create_index(op.f('ix_live_plan_year_plan_id'), 'live_plan_year', ['plan_id'])
    backfill(op.get_bind())


def downgrade():
    op.drop_index(op.f('ix_live_plan_year_plan_id'), table_name='live_plan_year')
    op.drop_table('live_plan_year')
