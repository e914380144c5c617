"""cases of kinds declared as data (a definition's `case:` block)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04

Written by hand. One table for every declared kind: the kind's name, the region, the title
made from the kind's pattern, the field values as JSON (JSONB on PostgreSQL) and the columns
every case has (state, definition name and version, optimistic lock, times, due time).
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql



revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'declared_case',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('region_id', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=300), nullable=False),
        sa.Column('values', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'),
                  nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('state', sa.String(length=40), nullable=False),
        sa.Column('workflow_name', sa.String(length=80), nullable=False),
        sa.Column('workflow_version', sa.Integer(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('state_entered_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'],
                                name=op.f('fk_declared_case_created_by_id_user_account')),
        sa.ForeignKeyConstraint(['region_id'], ['region.id'],
                                name=op.f('fk_declared_case_region_id_region')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_declared_case')),
    )
    op.create_index('ix_declared_case_kind_region', 'declared_case', ['kind', 'region_id'])
    op.create_index(op.f('ix_declared_case_region_id'), 'declared_case', ['region_id'])
    op.create_index(op.f('ix_declared_case_state'), 'declared_case', ['state'])


def downgrade():
    op.drop_index(op.f('ix_declared_case_state'), table_name='declared_case')
    op.drop_index(op.f('ix_declared_case_region_id'), table_name='declared_case')
    op.drop_index('ix_declared_case_kind_region', table_name='declared_case')
    op.drop_table('declared_case')
