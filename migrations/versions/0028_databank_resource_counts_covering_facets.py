"""databank search: the facet counts of the whole databank count the resources too (PostgreSQL triggers);
the profiles' facet index covers who may see them

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-06 12:30:00
"""
from alembic import op


revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None

TABLE = 'databank_resources'
# facet -> column (as databank.textindex.COUNTED at this revision); the function is migration 0027's
FACETS = {f'resource_{c}': c for c in ('category', 'status', 'condition', 'region', 'province', 'desk_id',
                                        'chain_mask', 'offer_mask')}
# one trigger per event: a trigger with transition tables fires on one event only
TRIGGERS = {'INSERT': 'NEW TABLE AS new_rows', 'DELETE': 'OLD TABLE AS old_rows',
            'UPDATE': 'OLD TABLE AS old_rows NEW TABLE AS new_rows'}
FACET_INDEX = 'ix_databank_profiles_facets'
FACET_COLUMNS = ['region', 'province', 'availability', 'mobility', 'desk_id', 'chain_mask']
# what a search's listing condition reads besides the desk: counted from the index alone, not the rows
LISTING = ['processing_stopped', 'person_id']


def upgrade() -> None:
    op.drop_index(FACET_INDEX, table_name='databank_profiles')
    op.create_index(FACET_INDEX, 'databank_profiles', FACET_COLUMNS + LISTING, unique=False)
    # SQLite: databank.textindex creates its triggers and counts, as it does its full-text tables
    if op.get_bind().dialect.name != 'postgresql':
        return
    arguments = ', '.join(f"'{part}'" for pair in FACETS.items() for part in pair)
    for event, rows in TRIGGERS.items():
        op.execute(f"CREATE TRIGGER databank_facet_counts_{event.lower()} AFTER {event} ON {TABLE} "
                   f"REFERENCING {rows} FOR EACH STATEMENT EXECUTE FUNCTION databank_count_facets({arguments})")
    for facet, column in FACETS.items():
        value = f"coalesce(CAST({column} AS TEXT), '')"
        op.execute(f"INSERT INTO databank_facet_counts (facet, value, n) SELECT '{facet}', {value}, count(*) "
                   f"FROM {TABLE} GROUP BY {value}")


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        for event in TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS databank_facet_counts_{event.lower()} ON {TABLE}")
        op.execute("DELETE FROM databank_facet_counts WHERE facet LIKE 'resource\\_%'")
    op.drop_index(FACET_INDEX, table_name='databank_profiles')
    op.create_index(FACET_INDEX, 'databank_profiles', FACET_COLUMNS, unique=False)
