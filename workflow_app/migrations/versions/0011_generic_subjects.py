"""history, scheduled steps and outbox rows name their case by kind and id

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04

Written by hand. plan_transition, scheduled_step and notification lose plan_id and report_id
and gain subject_kind and subject_id (a report's rows: 'report' and its id; a plan's: 'plan');
plan_transition also gains its chain (chain_kind, chain_id: the plan, for a plan's and its
reports' rows, as before) and hash_format. Existing history rows keep their hashes: they are
format 1, whose content workflow_app/audit/chain.py derives exactly from the new columns
(plan_id = chain_id; report_id = subject_id of a report's row), so `audit verify` stays OK
across the migration (tests/db/test_generic_subjects_migration.py shows it).
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def _backfill_history(connection):
    connection.execute(sa.text(
        "UPDATE plan_transition SET "
        "subject_kind = CASE WHEN report_id IS NULL THEN 'plan' ELSE 'report' END, "
        "subject_id = COALESCE(report_id, plan_id), chain_kind = 'plan', chain_id = plan_id, "
        "hash_format = 1"
    ))


def _backfill_steps(connection):
    connection.execute(sa.text(
        "UPDATE scheduled_step SET "
        "subject_kind = CASE WHEN report_id IS NULL THEN 'plan' ELSE 'report' END, "
        "subject_id = COALESCE(report_id, plan_id)"
    ))


def _backfill_outbox(connection):
    # A report's email carried its plan's id; its payload names the report.
    outbox = sa.table(
        'notification',
        sa.column('id', sa.Integer()),
        sa.column('plan_id', sa.Integer()),
        sa.column('payload', sa.JSON()),
        sa.column('subject_kind', sa.String()),
        sa.column('subject_id', sa.Integer()),
    )
    rows = connection.execute(
        sa.select(outbox.c.id, outbox.c.plan_id, outbox.c.payload).where(outbox.c.plan_id.isnot(None))
    ).all()
    updates = []
    for row_id, plan_id, payload in rows:
        report_id = (payload or {}).get('report_id')
        kind, subject_id = ('report', int(report_id)) if report_id else ('plan', plan_id)
        updates.append({'row_id': row_id, 'kind': kind, 'subject': subject_id})
    if updates:
        connection.execute(
            outbox.update()
            .where(outbox.c.id == sa.bindparam('row_id'))
            .values(subject_kind=sa.bindparam('kind'), subject_id=sa.bindparam('subject')),
            updates,
        )


def upgrade():
    connection = op.get_bind()
    with op.batch_alter_table('plan_transition', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subject_kind', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('subject_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('chain_kind', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('chain_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('hash_format', sa.Integer(), nullable=True))
    _backfill_history(connection)
    with op.batch_alter_table('plan_transition', schema=None) as batch_op:
        for column in ('subject_kind', 'chain_kind'):
            batch_op.alter_column(column, existing_type=sa.String(length=40), nullable=False)
        for column in ('subject_id', 'chain_id', 'hash_format'):
            batch_op.alter_column(column, existing_type=sa.Integer(), nullable=False)
        batch_op.drop_constraint('fk_plan_transition_plan_id_action_plan', type_='foreignkey')
        batch_op.drop_constraint('fk_plan_transition_report_id_progress_report', type_='foreignkey')
        batch_op.drop_index('ix_plan_transition_plan_id')
        batch_op.drop_index('ix_plan_transition_report_id')
        batch_op.drop_column('plan_id')
        batch_op.drop_column('report_id')
        batch_op.create_index('ix_plan_transition_subject', ['subject_kind', 'subject_id'], unique=False)
        batch_op.create_index('ix_plan_transition_chain', ['chain_kind', 'chain_id', 'id'], unique=False)

    with op.batch_alter_table('scheduled_step', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subject_kind', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('subject_id', sa.Integer(), nullable=True))
    _backfill_steps(connection)
    with op.batch_alter_table('scheduled_step', schema=None) as batch_op:
        batch_op.alter_column('subject_kind', existing_type=sa.String(length=40), nullable=False)
        batch_op.alter_column('subject_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_constraint('uq_scheduled_step_plan_id_entry_id_step', type_='unique')
        batch_op.drop_constraint('fk_scheduled_step_plan_id_action_plan', type_='foreignkey')
        batch_op.drop_constraint('fk_scheduled_step_report_id_progress_report', type_='foreignkey')
        batch_op.drop_index('ix_scheduled_step_plan_id')
        batch_op.drop_index('ix_scheduled_step_report_id')
        batch_op.drop_column('plan_id')
        batch_op.drop_column('report_id')
        batch_op.create_unique_constraint('uq_scheduled_step_entry_id_step', ['entry_id', 'step'])
        batch_op.create_index('ix_scheduled_step_subject', ['subject_kind', 'subject_id'], unique=False)

    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subject_kind', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('subject_id', sa.Integer(), nullable=True))
    _backfill_outbox(connection)
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_constraint('fk_notification_plan_id_action_plan', type_='foreignkey')
        batch_op.drop_index('ix_notification_plan_id')
        batch_op.drop_column('plan_id')
        batch_op.create_index('ix_notification_subject', ['subject_kind', 'subject_id'], unique=False)


def downgrade():
    # Rows of other kinds than plans and reports cannot go back; rows hashed in format 2 no
    # longer verify under the old code (the hash covers the columns removed here).
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('plan_id', sa.Integer(), nullable=True))
    op.execute(
        "UPDATE notification SET plan_id = subject_id WHERE subject_kind = 'plan'"
    )
    op.execute(
        "UPDATE notification SET plan_id = (SELECT plan_id FROM progress_report "
        "WHERE progress_report.id = notification.subject_id) WHERE subject_kind = 'report'"
    )
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index('ix_notification_subject')
        batch_op.drop_column('subject_id')
        batch_op.drop_column('subject_kind')
        batch_op.create_index('ix_notification_plan_id', ['plan_id'], unique=False)
        batch_op.create_foreign_key('fk_notification_plan_id_action_plan', 'action_plan', ['plan_id'], ['id'])

    with op.batch_alter_table('scheduled_step', schema=None) as batch_op:
        batch_op.add_column(sa.Column('plan_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('report_id', sa.Integer(), nullable=True))
    op.execute("UPDATE scheduled_step SET plan_id = subject_id WHERE subject_kind = 'plan'")
    op.execute(
        "UPDATE scheduled_step SET report_id = subject_id, plan_id = (SELECT plan_id FROM "
        "progress_report WHERE progress_report.id = scheduled_step.subject_id) "
        "WHERE subject_kind = 'report'"
    )
    with op.batch_alter_table('scheduled_step', schema=None) as batch_op:
        batch_op.alter_column('plan_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_index('ix_scheduled_step_subject')
        batch_op.drop_constraint('uq_scheduled_step_entry_id_step', type_='unique')
        batch_op.drop_column('subject_id')
        batch_op.drop_column('subject_kind')
        batch_op.create_index('ix_scheduled_step_plan_id', ['plan_id'], unique=False)
        batch_op.create_index('ix_scheduled_step_report_id', ['report_id'], unique=False)
        batch_op.create_unique_constraint('uq_scheduled_step_plan_id_entry_id_step', ['plan_id', 'entry_id', 'step'])
        batch_op.create_foreign_key('fk_scheduled_step_plan_id_action_plan', 'action_plan', ['plan_id'], ['id'])
        batch_op.create_foreign_key('fk_scheduled_step_report_id_progress_report', 'progress_report', ['report_id'], ['id'])

    with op.batch_alter_table('plan_transition', schema=None) as batch_op:
        batch_op.add_column(sa.Column('plan_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('report_id', sa.Integer(), nullable=True))
    op.execute(
        "UPDATE plan_transition SET plan_id = chain_id, report_id = CASE WHEN "
        "subject_kind = 'report' THEN subject_id END"
    )
    with op.batch_alter_table('plan_transition', schema=None) as batch_op:
        batch_op.alter_column('plan_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_index('ix_plan_transition_chain')
        batch_op.drop_index('ix_plan_transition_subject')
        for column in ('hash_format', 'chain_id', 'chain_kind', 'subject_id', 'subject_kind'):
            batch_op.drop_column(column)
        batch_op.create_index('ix_plan_transition_plan_id', ['plan_id'], unique=False)
        batch_op.create_index('ix_plan_transition_report_id', ['report_id'], unique=False)
        batch_op.create_foreign_key('fk_plan_transition_plan_id_action_plan', 'action_plan', ['plan_id'], ['id'])
        batch_op.create_foreign_key('fk_plan_transition_report_id_progress_report', 'progress_report', ['report_id'], ['id'])
