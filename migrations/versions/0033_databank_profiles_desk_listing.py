"""databank: the profiles' index by desk carries what the listing condition reads (whether the processing
stopped, the worker's actor id), so that a desk's profiles are found, and their occupations and skills counted,
from the index alone rather than from each profile's wide row

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-06 16:05:00
"""
from alembic import op

revision = '0033'
down_revision = '0032'
branch_labels = None
depends_on = None

TABLE = 'databank_profiles'
INDEX = 'ix_databank_profiles_desk'


def upgrade() -> None:
    op.drop_index(INDEX, table_name=TABLE)
    op.create_index(INDEX, TABLE, ['desk_id', 'id', 'processing_stopped', 'person_id'], unique=False)


def downgrade() -> None:
    op.drop_index(INDEX, table_name=TABLE)
    op.create_index(INDEX, TABLE, ['desk_id', 'id'], unique=False)
