"""cases: no index of the pathway alone (ix_cases_pathway_status_outcome begins with it and serves the same
look-ups): one index less to write when a case moves, and to lock for each statement on the cases

Revision ID: 0037
Revises: 0036
Create Date: 2026-12-07 07:00:00
"""
from alembic import op

revision = '0037'
down_revision = '0036'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index('ix_cases_pathway_id', table_name='cases')


def downgrade() -> None:
    op.create_index('ix_cases_pathway_id', 'cases', ['pathway_id'], unique=False)
