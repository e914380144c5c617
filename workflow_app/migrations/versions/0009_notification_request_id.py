"""the request id that caused each outbox row

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28

Written by hand: adds notification.request_id (workflow_app/notifications/models.py).
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('request_id', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_column('request_id')
