"""databank search: facet counts of the whole databank kept by triggers; the listing's columns in the
profiles' look-up index; an index of the profiles whose processing stopped

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-06 09:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None

LOOKUP = ['id', 'region', 'province', 'availability', 'mobility', 'desk_id', 'chain_mask', 'years_experience',
          'available_from']
# facet -> column, per table (as databank.textindex.COUNTED at this revision)
COUNTED = {
    'databank_profiles': {c: c for c in ('region', 'province', 'availability', 'mobility', 'desk_id', 'chain_mask')},
    'databank_profile_occupations': {'occupation': 'key'},
    'databank_profile_skills': {'skill': 'key'},
}
# PostgreSQL: one trigger function for the three tables, given (facet, column) pairs as arguments; per
# statement, on the statement's rows grouped by value (rows added to a count one by one would make a
# transaction that adds many rows update the same counter row as often, each time a longer chain of its
# versions to walk). (SQLite: databank.textindex creates its triggers, as it does its full-text tables.)
COUNT_FUNCTION = """
CREATE OR REPLACE FUNCTION databank_count_facets() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    FOR i IN 0 .. TG_NARGS / 2 - 1 LOOP
        IF TG_OP <> 'INSERT' THEN
            UPDATE databank_facet_counts AS c SET n = c.n - gone.n
            FROM (SELECT coalesce(to_jsonb(o) ->> TG_ARGV[2 * i + 1], '') AS value, count(*) AS n
                  FROM old_rows AS o GROUP BY 1) AS gone
            WHERE c.facet = TG_ARGV[2 * i] AND c.value = gone.value;
        END IF;
        IF TG_OP <> 'DELETE' THEN
            INSERT INTO databank_facet_counts AS c (facet, value, n)
            SELECT TG_ARGV[2 * i], coalesce(to_jsonb(r) ->> TG_ARGV[2 * i + 1], ''), count(*)
            FROM new_rows AS r GROUP BY 2
            ON CONFLICT (facet, value) DO UPDATE SET n = c.n + EXCLUDED.n;
        END IF;
    END LOOP;
    RETURN NULL;
END
$$"""


# one trigger per event: a trigger with transition tables fires on one event only
TRIGGERS = {'INSERT': 'NEW TABLE AS new_rows', 'DELETE': 'OLD TABLE AS old_rows',
            'UPDATE': 'OLD TABLE AS old_rows NEW TABLE AS new_rows'}


def upgrade() -> None:
    op.create_table(
        'databank_facet_counts',
        sa.Column('facet', sa.String(length=24), nullable=False),
        sa.Column('value', sa.String(length=300), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('facet', 'value', name=op.f('pk_databank_facet_counts')),
    )
    with op.batch_alter_table('databank_profiles') as batch:
        batch.drop_index('ix_databank_profiles_lookup')
        batch.create_index('ix_databank_profiles_lookup', LOOKUP + ['processing_stopped', 'person_id'], unique=False)
        batch.create_index('ix_databank_profiles_stopped', ['id'], unique=False,
                           sqlite_where=sa.text('processing_stopped = 1'),
                           postgresql_where=sa.text('processing_stopped'))
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute(COUNT_FUNCTION)
    for table, facets in COUNTED.items():
        arguments = ', '.join(f"'{part}'" for pair in facets.items() for part in pair)
        for event, rows in TRIGGERS.items():
            op.execute(f"CREATE TRIGGER databank_facet_counts_{event.lower()} AFTER {event} ON {table} "
                       f"REFERENCING {rows} FOR EACH STATEMENT EXECUTE FUNCTION databank_count_facets({arguments})")
        for facet, column in facets.items():
            value = f"coalesce(CAST({column} AS TEXT), '')"
            op.execute(f"INSERT INTO databank_facet_counts (facet, value, n) SELECT '{facet}', {value}, count(*) "
                       f"FROM {table} GROUP BY {value}")


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        for table in COUNTED:
            for event in TRIGGERS:
                op.execute(f"DROP TRIGGER IF EXISTS databank_facet_counts_{event.lower()} ON {table}")
        op.execute("DROP FUNCTION IF EXISTS databank_count_facets()")
    with op.batch_alter_table('databank_profiles') as batch:
        batch.drop_index('ix_databank_profiles_stopped')
        batch.drop_index('ix_databank_profiles_lookup')
        batch.create_index('ix_databank_profiles_lookup', LOOKUP, unique=False)
    op.drop_table('databank_facet_counts')
