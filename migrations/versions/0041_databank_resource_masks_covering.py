"""databank search on PostgreSQL: the index of the resources' masks carries what a search filters and counts,
so that the resources of some supply chains or offers (their masks asked as lists of values) are filtered and
counted from it alone instead of testing the bits of every resource

Revision ID: 0041
Revises: 0040
Create Date: 2026-12-07 15:30:00
"""
from alembic import op

revision = '0041'
down_revision = '0040'
branch_labels = None
depends_on = None

NAME, TABLE = 'ix_databank_resources_masks', 'databank_resources'
KEYS = ['chain_mask', 'offer_mask', 'surface_m2']
# as databank.models.MASKS_INDEX_CARRIES at this revision
CARRIES = ['category', 'status', 'condition', 'region', 'province', 'desk_id', 'published', 'available_from', 'id']


def upgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':  # SQLite has no INCLUDE: its index stays as it was
        return
    op.drop_index(NAME, table_name=TABLE)
    op.create_index(NAME, TABLE, KEYS, postgresql_include=CARRIES)


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.drop_index(NAME, table_name=TABLE)
    op.create_index(NAME, TABLE, KEYS)
