"""review comments and submission snapshots

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01

Written by hand (another migration was being written at the same time); creates only the
tables of workflow_app/reviews/models.py.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('review_comment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('item_type', sa.String(length=20), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.Column('item_label', sa.Text(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('state', sa.String(length=40), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("item_type IN ('plan', 'challenge', 'indicator', 'activity')", name=op.f('ck_review_comment_item_type')),
    sa.ForeignKeyConstraint(['author_id'], ['user_account.id'], name=op.f('fk_review_comment_author_id_user_account')),
    sa.ForeignKeyConstraint(['plan_id'], ['action_plan.id'], name=op.f('fk_review_comment_plan_id_action_plan')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_comment'))
    )
    with op.batch_alter_table('review_comment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_comment_plan_id'), ['plan_id'], unique=False)

    op.create_table('plan_snapshot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('transition_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['plan_id'], ['action_plan.id'], name=op.f('fk_plan_snapshot_plan_id_action_plan')),
    sa.ForeignKeyConstraint(['transition_id'], ['plan_transition.id'], name=op.f('fk_plan_snapshot_transition_id_plan_transition')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_snapshot')),
    sa.UniqueConstraint('transition_id', name=op.f('uq_plan_snapshot_transition_id'))
    )
    with op.batch_alter_table('plan_snapshot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_snapshot_plan_id'), ['plan_id'], unique=False)


def downgrade():
    with op.batch_alter_table('plan_snapshot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_snapshot_plan_id'))

    op.drop_table('plan_snapshot')
    with op.batch_alter_table('review_comment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_comment_plan_id'))

    op.drop_table('review_comment')
