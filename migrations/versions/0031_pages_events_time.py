"""the pages: an index of the events by time (with their case), from which My work reads what arrived lately;
on PostgreSQL the desk list's index and this one carry the row ids, so that both are read from the index alone

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-06 12:10:00
"""
from alembic import op

revision = '0031'
down_revision = '0030'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_events_at_case', 'events', ['at', 'case_id'], unique=False, postgresql_include=['id'])
    if op.get_bind().dialect.name == 'postgresql':  # SQLite's indexes hold the row id already
        op.drop_index('ix_cases_desk_status_due', table_name='cases')
        op.create_index('ix_cases_desk_status_due', 'cases', ['desk_id', 'status', 'due_at'], unique=False,
                        postgresql_include=['id'])


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_index('ix_cases_desk_status_due', table_name='cases')
        op.create_index('ix_cases_desk_status_due', 'cases', ['desk_id', 'status', 'due_at'], unique=False)
    op.drop_index('ix_events_at_case', table_name='events')
