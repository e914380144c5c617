"""review comment threads: who marked a comment resolved, and the replies to a comment

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07

Written by hand. Comments resolved before this revision have no resolver on record (none
were: nothing set resolved_at before).
"""
import sqlalchemy as sa
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('review_comment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('resolved_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_review_comment_resolved_by_id_user_account'),
            'user_account', ['resolved_by_id'], ['id'],
        )
    op.create_table(
        'review_reply',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('comment_id', sa.Integer(), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=False),
        sa.Column('acting_for_id', sa.Integer(), nullable=True),
        sa.Column('role', sa.String(length=40), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('state', sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(['comment_id'], ['review_comment.id'],
                                name=op.f('fk_review_reply_comment_id_review_comment')),
        sa.ForeignKeyConstraint(['author_id'], ['user_account.id'],
                                name=op.f('fk_review_reply_author_id_user_account')),
        sa.ForeignKeyConstraint(['acting_for_id'], ['user_account.id'],
                                name=op.f('fk_review_reply_acting_for_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_review_reply')),
    )
    op.create_index(op.f('ix_review_reply_comment_id'), 'review_reply', ['comment_id'])


def downgrade():
    op.drop_index(op.f('ix_review_reply_comment_id'), table_name='review_reply')
    op.drop_table('review_reply')
    with op.batch_alter_table('review_comment', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('fk_review_comment_resolved_by_id_user_account'), type_='foreignkey'
        )
        batch_op.drop_column('resolved_by_id')
