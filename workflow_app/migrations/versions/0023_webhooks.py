"""webhooks: webhook, webhook_delivery

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-05

Written by hand. No webhook exists before: nothing to carry over.
"""
from alembic import op
import sqlalchemy as sa


revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'webhook',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('url', sa.String(length=2000), nullable=False),
        sa.Column('description', sa.String(length=200), nullable=False),
        sa.Column('secret', sa.String(length=200), nullable=False),
        sa.Column('event_types', sa.String(length=200), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook')),
    )
    op.create_table(
        'webhook_delivery',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('webhook_id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('response_code', sa.Integer(), nullable=True),
        sa.Column('response_body', sa.String(length=500), nullable=True),
        sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['webhook_id'], ['webhook.id'],
                                name=op.f('fk_webhook_delivery_webhook_id_webhook')),
        sa.ForeignKeyConstraint(['event_id'], ['change_event.id'],
                                name=op.f('fk_webhook_delivery_event_id_change_event')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_delivery')),
    )
    op.create_index('ix_webhook_delivery_status_next_attempt_at', 'webhook_delivery',
                    ['status', 'next_attempt_at'])
    op.create_index('ix_webhook_delivery_webhook', 'webhook_delivery', ['webhook_id', 'id'])


def downgrade():
    op.drop_index('ix_webhook_delivery_webhook', table_name='webhook_delivery')
    op.drop_index('ix_webhook_delivery_status_next_attempt_at', table_name='webhook_delivery')
    op.drop_table('webhook_delivery')
    op.drop_table('webhook')
