"""notifications in the app: read markers, digests, email delivery choice, calendar feeds

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-08

Written by hand. notification gains read_at (the app's bell), digest_id (the digest email that
told of the event) and dedupe_key (a user's digest of a day exists once); user_account gains
email_delivery (each event, a daily digest, or both; "each" as before); calendar_feed holds the
hash of each user's feed secret. Events stored before this revision count as read: the bell
starts at zero rather than with every email ever sent.
"""
from alembic import op
import sqlalchemy as sa


revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('read_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('digest_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('dedupe_key', sa.String(length=80), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_notification_digest_id_notification'), 'notification',
            ['digest_id'], ['id'],
        )
        batch_op.create_unique_constraint(
            batch_op.f('uq_notification_dedupe_key'), ['dedupe_key']
        )
        batch_op.create_index(
            'ix_notification_recipient_unread', ['recipient_id', 'read_at'], unique=False
        )
        batch_op.create_index(
            'ix_notification_recipient_created', ['recipient_id', 'created_at'], unique=False
        )
    op.execute("UPDATE notification SET read_at = created_at")
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('email_delivery', sa.String(length=10), server_default='each',
                      nullable=False)
        )
    op.create_table(
        'calendar_feed',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('secret_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ondelete='CASCADE',
                                name=op.f('fk_calendar_feed_user_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_feed')),
        sa.UniqueConstraint('user_id', name=op.f('uq_calendar_feed_user_id')),
        sa.UniqueConstraint('secret_hash', name=op.f('uq_calendar_feed_secret_hash')),
    )


def downgrade():
    op.drop_table('calendar_feed')
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('email_delivery')
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index('ix_notification_recipient_created')
        batch_op.drop_index('ix_notification_recipient_unread')
        batch_op.drop_constraint(batch_op.f('uq_notification_dedupe_key'), type_='unique')
        batch_op.drop_constraint(
            batch_op.f('fk_notification_digest_id_notification'), type_='foreignkey'
        )
        batch_op.drop_column('dedupe_key')
        batch_op.drop_column('digest_id')
        batch_op.drop_column('read_at')
