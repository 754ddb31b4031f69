"""databank search on PostgreSQL: the lists of occupation and skill codes on the profiles' search rows are
indexed (GIN), so that a search for a skill or an occupation finds its profiles' rows from one index instead
of looking up, one by one, every profile that has it

Revision ID: 0040
Revises: 0039
Create Date: 2026-12-07 16:00:00
"""
from alembic import op

revision = '0040'
down_revision = '0039'
branch_labels = None
depends_on = None

TABLE = 'databank_profile_search'
COLUMNS = ('occupation_codes', 'skill_codes')


def upgrade() -> None:
    # (on SQLite the search rows, and so these indexes, stay empty: FTS5 gives the ids)
    for column in COLUMNS:
        op.create_index(f'ix_{TABLE}_{column}', TABLE, [column], postgresql_using='gin')


def downgrade() -> None:
    for column in COLUMNS:
        op.drop_index(f'ix_{TABLE}_{column}', table_name=TABLE)
