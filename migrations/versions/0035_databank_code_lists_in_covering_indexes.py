"""databank search: the lists of a profile's occupation and skill codes are key columns of the covering facet
and look-up indexes on both databases (before: included columns, on PostgreSQL only), so that SQLite too counts
the occupations and skills of the matching profiles from the index it reads them from, not from their rows; the
index by desk carries the facets' columns too, so that a desk's profiles are counted from it alone

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-07 06:30:00
"""
from alembic import op

revision = '0035'
down_revision = '0034'
branch_labels = None
depends_on = None

TABLE = 'databank_profiles'
LISTS = ['occupation_codes', 'skill_codes']
FACETS = ['region', 'province', 'availability', 'mobility', 'desk_id', 'chain_mask', 'processing_stopped', 'person_id']
DESK = ['desk_id', 'id', 'processing_stopped', 'person_id']
LOOKUP = ['id', 'region', 'province', 'availability', 'mobility', 'desk_id', 'chain_mask', 'years_experience',
          'available_from', 'processing_stopped', 'person_id']


def upgrade() -> None:
    _replace('ix_databank_profiles_facets', FACETS + LISTS, ['id', 'years_experience', 'available_from'])
    _replace('ix_databank_profiles_lookup', LOOKUP + LISTS, [])
    _replace('ix_databank_profiles_desk', DESK + ['region', 'province', 'availability', 'mobility', 'chain_mask'] + LISTS,
             [])


def downgrade() -> None:
    _replace('ix_databank_profiles_facets', FACETS, ['id', 'years_experience', 'available_from'] + LISTS)
    _replace('ix_databank_profiles_lookup', LOOKUP, LISTS)
    _replace('ix_databank_profiles_desk', DESK, [])


def _replace(name: str, columns: list[str], included: list[str]) -> None:
    op.drop_index(name, table_name=TABLE)
    op.create_index(name, TABLE, columns, unique=False, postgresql_include=included)
