"""the change feed: change_event

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-05

Written by hand. The feed starts with the changes made from now on: the history before it is
not replayed as events (GET /api/v1/changes serves what happens after the upgrade).
"""
from alembic import op
import sqlalchemy as sa


revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'change_event',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('txid', sa.BigInteger(), nullable=False),
        sa.Column('type', sa.String(length=40), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('state', sa.String(length=40), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('acting_for_id', sa.Integer(), nullable=True),
        sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('data', sa.JSON(), nullable=False),
        sa.Column('subject_kind', sa.String(length=40), nullable=False),
        sa.Column('subject_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['actor_id'], ['user_account.id'],
                                name=op.f('fk_change_event_actor_id_user_account')),
        sa.ForeignKeyConstraint(['acting_for_id'], ['user_account.id'],
                                name=op.f('fk_change_event_acting_for_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_change_event')),
    )
    op.create_index('ix_change_event_order', 'change_event', ['txid', 'id'])
    op.create_index('ix_change_event_subject', 'change_event', ['subject_kind', 'subject_id'])


def downgrade():
    op.drop_index('ix_change_event_subject', table_name='change_event')
    op.drop_index('ix_change_event_order', table_name='change_event')
    op.drop_table('change_event')
