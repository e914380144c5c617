"""review comments on declared cases: on the case, a field, or a table field's row

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05

Written by hand.
"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'case_comment',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('field', sa.String(length=40), nullable=True),
        sa.Column('row', sa.Integer(), nullable=True),
        sa.Column('item_label', sa.Text(), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('state', sa.String(length=40), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['author_id'], ['user_account.id'],
                                name=op.f('fk_case_comment_author_id_user_account')),
        sa.ForeignKeyConstraint(['case_id'], ['declared_case.id'], ondelete='CASCADE',
                                name=op.f('fk_case_comment_case_id_declared_case')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_case_comment')),
    )
    op.create_index(op.f('ix_case_comment_case_id'), 'case_comment', ['case_id'])


def downgrade():
    op.drop_index(op.f('ix_case_comment_case_id'), table_name='case_comment')
    op.drop_table('case_comment')
