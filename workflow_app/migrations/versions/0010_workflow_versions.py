"""definition versions in use, with their content hash

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04

Written by hand: adds workflow_version (workflow_app/versions/models.py).
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'workflow_version',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('content_hash', sa.String(length=64), nullable=False),
        sa.Column('content', sa.Text(), nullable=False),
        sa.Column('first_used_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_workflow_version')),
        sa.UniqueConstraint('name', 'version', name=op.f('uq_workflow_version_name_version')),
    )


def downgrade():
    op.drop_table('workflow_version')
