"""password reset links no longer sit in the outbox

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05

Written by hand. A reset email's outbox row used to carry the whole link in its payload
(`reset_url`), which stayed readable after sending. New rows name the link by id and the
email derives its secret from the app's key when it is rendered. Existing rows lose the link;
the links themselves are retired (an unsent one can no longer be delivered: its user asks
again).
"""
from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    connection = op.get_bind()
    notification = sa.table(
        'notification', sa.column('id', sa.Integer), sa.column('event', sa.String),
        sa.column('payload', sa.JSON),
    )
    rows = connection.execute(
        sa.select(notification.c.id, notification.c.payload)
        .where(notification.c.event == 'password_reset')
    ).all()
    for row_id, payload in rows:
        if payload and 'reset_url' in payload:
            cleaned = {k: v for k, v in payload.items() if k != 'reset_url'}
            connection.execute(
                notification.update().where(notification.c.id == row_id).values(payload=cleaned)
            )
    connection.execute(sa.text(
        "UPDATE password_reset_token SET expires_at = CURRENT_TIMESTAMP "
        "WHERE used_at IS NULL AND expires_at > CURRENT_TIMESTAMP"
    ))


def downgrade():
    pass  # the links removed are not brought back
