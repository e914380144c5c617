"""quarterly progress reports, their evidence, and report steps in the shared history

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28

Written by hand: creates the tables of workflow_app/monitoring/models.py and links history
rows and scheduled steps to a report (report_id, empty for the plan's own rows).
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('progress_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('quarter', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=40), nullable=False),
    sa.Column('workflow_name', sa.String(length=80), nullable=False),
    sa.Column('workflow_version', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('state_entered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('quarter BETWEEN 1 AND 4', name=op.f('ck_progress_report_quarter_range')),
    sa.ForeignKeyConstraint(['plan_id'], ['action_plan.id'], name=op.f('fk_progress_report_plan_id_action_plan')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_progress_report')),
    sa.UniqueConstraint('plan_id', 'year', 'quarter', name=op.f('uq_progress_report_plan_id_year_quarter'))
    )
    with op.batch_alter_table('progress_report', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_progress_report_plan_id'), ['plan_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_progress_report_state'), ['state'], unique=False)
        batch_op.create_index(batch_op.f('ix_progress_report_due_at'), ['due_at'], unique=False)

    op.create_table('report_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('activity_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('physical_progress', sa.Numeric(precision=5, scale=2), nullable=True),
    sa.Column('spent', sa.BigInteger(), nullable=True),
    sa.Column('budget', sa.BigInteger(), nullable=False),
    sa.Column('output_achieved', sa.Numeric(precision=16, scale=2), nullable=True),
    sa.Column('obstacles', sa.Text(), nullable=False),
    sa.Column('follow_up', sa.Text(), nullable=False),
    sa.CheckConstraint('physical_progress IS NULL OR (physical_progress >= 0 AND physical_progress <= 100)', name=op.f('ck_report_line_progress_range')),
    sa.CheckConstraint('spent IS NULL OR spent >= 0', name=op.f('ck_report_line_spent_not_negative')),
    sa.ForeignKeyConstraint(['activity_id'], ['activity.id'], name=op.f('fk_report_line_activity_id_activity'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['report_id'], ['progress_report.id'], name=op.f('fk_report_line_report_id_progress_report'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_line')),
    sa.UniqueConstraint('report_id', 'activity_id', name=op.f('uq_report_line_report_id_activity_id'))
    )
    with op.batch_alter_table('report_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_line_report_id'), ['report_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_report_line_activity_id'), ['activity_id'], unique=False)

    op.create_table('report_indicator_value',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('indicator_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.ForeignKeyConstraint(['indicator_id'], ['indicator.id'], name=op.f('fk_report_indicator_value_indicator_id_indicator'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['report_id'], ['progress_report.id'], name=op.f('fk_report_indicator_value_report_id_progress_report'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_indicator_value')),
    sa.UniqueConstraint('report_id', 'indicator_id', name=op.f('uq_report_indicator_value_report_id_indicator_id'))
    )
    with op.batch_alter_table('report_indicator_value', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_indicator_value_report_id'), ['report_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_report_indicator_value_indicator_id'), ['indicator_id'], unique=False)

    op.create_table('report_attachment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('line_id', sa.Integer(), nullable=True),
    sa.Column('original_name', sa.String(length=200), nullable=False),
    sa.Column('stored_name', sa.String(length=80), nullable=False),
    sa.Column('content_type', sa.String(length=80), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['line_id'], ['report_line.id'], name=op.f('fk_report_attachment_line_id_report_line'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['report_id'], ['progress_report.id'], name=op.f('fk_report_attachment_report_id_progress_report'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user_account.id'], name=op.f('fk_report_attachment_uploaded_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_attachment')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_report_attachment_stored_name'))
    )
    with op.batch_alter_table('report_attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_attachment_report_id'), ['report_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_report_attachment_line_id'), ['line_id'], unique=False)

    with op.batch_alter_table('plan_transition', schema=None) as batch_op:
        batch_op.add_column(sa.Column('report_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_plan_transition_report_id'), ['report_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_plan_transition_report_id_progress_report'), 'progress_report', ['report_id'], ['id'])

    with op.batch_alter_table('scheduled_step', schema=None) as batch_op:
        batch_op.add_column(sa.Column('report_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_scheduled_step_report_id'), ['report_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_scheduled_step_report_id_progress_report'), 'progress_report', ['report_id'], ['id'])


def downgrade():
    with op.batch_alter_table('scheduled_step', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_scheduled_step_report_id_progress_report'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_scheduled_step_report_id'))
        batch_op.drop_column('report_id')

    with op.batch_alter_table('plan_transition', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_plan_transition_report_id_progress_report'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_plan_transition_report_id'))
        batch_op.drop_column('report_id')

    op.drop_table('report_attachment')
    op.drop_table('report_indicator_value')
    op.drop_table('report_line')
    op.drop_table('progress_report')
