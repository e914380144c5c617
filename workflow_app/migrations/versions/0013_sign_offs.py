"""parallel sign-off: one row per participant and stay in a sign-off state

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04

Written by hand. sign_off holds each participant's answer; scheduled_step gains the sign-off a
participant's reminder belongs to.
"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'sign_off',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('subject_kind', sa.String(length=40), nullable=False),
        sa.Column('subject_id', sa.Integer(), nullable=False),
        sa.Column('entry_id', sa.Integer(), nullable=False),
        sa.Column('state', sa.String(length=40), nullable=False),
        sa.Column('participant_id', sa.Integer(), nullable=False),
        sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('answer', sa.String(length=20), nullable=True),
        sa.Column('comment', sa.Text(), nullable=True),
        sa.Column('answered_by_id', sa.Integer(), nullable=True),
        sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['answered_by_id'], ['user_account.id'],
                                name=op.f('fk_sign_off_answered_by_id_user_account')),
        sa.ForeignKeyConstraint(['entry_id'], ['plan_transition.id'],
                                name=op.f('fk_sign_off_entry_id_plan_transition')),
        sa.ForeignKeyConstraint(['participant_id'], ['user_account.id'],
                                name=op.f('fk_sign_off_participant_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_off')),
        sa.UniqueConstraint('entry_id', 'participant_id',
                            name=op.f('uq_sign_off_entry_id_participant_id')),
    )
    op.create_index('ix_sign_off_subject', 'sign_off', ['subject_kind', 'subject_id'])
    op.create_index(op.f('ix_sign_off_entry_id'), 'sign_off', ['entry_id'])
    op.create_index(op.f('ix_sign_off_participant_id'), 'sign_off', ['participant_id'])
    with op.batch_alter_table('scheduled_step') as batch:
        batch.add_column(sa.Column('sign_off_id', sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f('fk_scheduled_step_sign_off_id_sign_off'), 'sign_off',
                                 ['sign_off_id'], ['id'])


def downgrade():
    with op.batch_alter_table('scheduled_step') as batch:
        batch.drop_constraint(op.f('fk_scheduled_step_sign_off_id_sign_off'),
                              type_='foreignkey')
        batch.drop_column('sign_off_id')
    op.drop_index(op.f('ix_sign_off_participant_id'), table_name='sign_off')
    op.drop_index(op.f('ix_sign_off_entry_id'), table_name='sign_off')
    op.drop_index('ix_sign_off_subject', table_name='sign_off')
    op.drop_table('sign_off')
