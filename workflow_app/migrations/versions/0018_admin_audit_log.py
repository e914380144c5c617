"""the log of administrative acts: admin_act (a hash chain) and its head, admin_act_head

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06

Written by hand. Acts done before this revision are not on record (only log lines exist for
them); the log starts empty and its head row is made by the first act recorded
(workflow_app/audit/admin_log.py).
"""
from alembic import op
import sqlalchemy as sa


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'admin_act',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('actor_label', sa.String(length=200), nullable=False),
        sa.Column('action', sa.String(length=40), nullable=False),
        sa.Column('target_user_id', sa.Integer(), nullable=True),
        sa.Column('details', sa.JSON(), nullable=False),
        sa.Column('client_address', sa.String(length=64), nullable=False),
        sa.Column('request_id', sa.String(length=64), nullable=True),
        sa.Column('prev_hash', sa.String(length=64), nullable=True),
        sa.Column('row_hash', sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(['actor_id'], ['user_account.id'],
                                name=op.f('fk_admin_act_actor_id_user_account')),
        sa.ForeignKeyConstraint(['target_user_id'], ['user_account.id'],
                                name=op.f('fk_admin_act_target_user_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_admin_act')),
    )
    op.create_index(op.f('ix_admin_act_created_at'), 'admin_act', ['created_at'])
    op.create_index(op.f('ix_admin_act_actor_id'), 'admin_act', ['actor_id'])
    op.create_index(op.f('ix_admin_act_action'), 'admin_act', ['action'])
    op.create_index(op.f('ix_admin_act_target_user_id'), 'admin_act', ['target_user_id'])
    op.create_table(
        'admin_act_head',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('last_id', sa.Integer(), nullable=True),
        sa.Column('last_hash', sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_admin_act_head')),
    )


def downgrade():
    op.drop_table('admin_act_head')
    op.drop_index(op.f('ix_admin_act_target_user_id'), table_name='admin_act')
    op.drop_index(op.f('ix_admin_act_action'), table_name='admin_act')
    op.drop_index(op.f('ix_admin_act_actor_id'), table_name='admin_act')
    op.drop_index(op.f('ix_admin_act_created_at'), table_name='admin_act')
    op.drop_table('admin_act')
