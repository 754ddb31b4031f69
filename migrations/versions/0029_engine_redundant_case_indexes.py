"""engine: drop the indexes on case_id alone where a unique key already begins with case_id (members, ticks,
forms, sign-offs, events, assessment responses): the unique key serves every look-up by case, and each
engine operation no longer writes a second index entry for its row

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-06 12:30:00
"""
from alembic import op


revision = '0029'
down_revision = '0028'
branch_labels = None
depends_on = None

TABLES = ('case_members', 'checklist_ticks', 'form_data', 'signoffs', 'events', 'assessment_responses')


def upgrade() -> None:
    for table in TABLES:
        op.drop_index(f'ix_{table}_case_id', table_name=table)


def downgrade() -> None:
    for table in TABLES:
        op.create_index(f'ix_{table}_case_id', table, ['case_id'], unique=False)
