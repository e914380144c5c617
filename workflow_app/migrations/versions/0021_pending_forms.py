"""forms sent after their session ended, kept for their user: pending_form

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07

Written by hand. Rows live for PENDING_FORM_MINUTES (two hours by default); nothing to carry
over from before.
"""
from alembic import op
import sqlalchemy as sa


revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'pending_form',
        sa.Column('id', sa.String(length=43), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('path', sa.String(length=2000), nullable=False),
        sa.Column('fields', sa.JSON(), nullable=False),
        sa.Column('reason', sa.String(length=20), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'],
                                name=op.f('fk_pending_form_user_id_user_account'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_pending_form')),
    )
    op.create_index(op.f('ix_pending_form_user_id'), 'pending_form', ['user_id'])
    op.create_index(op.f('ix_pending_form_expires_at'), 'pending_form', ['expires_at'])


def downgrade():
    op.drop_index(op.f('ix_pending_form_expires_at'), table_name='pending_form')
    op.drop_index(op.f('ix_pending_form_user_id'), table_name='pending_form')
    op.drop_table('pending_form')
