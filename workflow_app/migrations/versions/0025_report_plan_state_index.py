"""a scope's reports in one state: progress_report (plan_id, state)

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-05

Written by hand. My tasks lists a province's reports in one state (submitted, for the
provincial reviewer) by the plans of its districts: with (plan_id) alone, PostgreSQL read every
report of those plans (about 13 per plan after ten years) to keep the few in that state. On the
national data set (bench/national.py: 685,000 reports) the statement went 25.6 -> 2.4 ms for
Kalimantan Selatan once the scope is planned as the province's 14 regions.
"""

from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_progress_report_plan_id_state", "progress_report", ["plan_id", "state"])


def downgrade():
    op.drop_index("ix_progress_report_plan_id_state", table_name="progress_report")
