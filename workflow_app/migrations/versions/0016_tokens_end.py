"""API tokens no longer live for ever

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05

Written by hand. A token made "until revoked" now ends one year after it was made (the default
of API_TOKEN_MAX_DAYS); one already older than that ends now.
"""
from datetime import datetime, timedelta, timezone

from alembic import op
import sqlalchemy as sa


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    connection = op.get_bind()
    token = sa.table(
        'api_token', sa.column('id', sa.Integer), sa.column('created_at', sa.DateTime),
        sa.column('expires_at', sa.DateTime),
    )
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    for token_id, created_at in connection.execute(
        sa.select(token.c.id, token.c.created_at).where(token.c.expires_at.is_(None))
    ).all():
        created = created_at.replace(tzinfo=None) if created_at.tzinfo else created_at
        ends = max(created + timedelta(days=365), now)
        if created_at.tzinfo is not None:
            ends = ends.replace(tzinfo=timezone.utc)
        connection.execute(token.update().where(token.c.id == token_id).values(expires_at=ends))


def downgrade():
    pass  # the ends given are kept
