"""databank search: a number for each occupation and skill key, given to the competence rows by the
database, and listed on their profile (in its look-up index on PostgreSQL) for the facet counts

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-06 13:00:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as postgresql_types


revision = '0030'
down_revision = '0029'
branch_labels = None
depends_on = None

CODES = 'databank_competence_codes'
PROFILES = 'databank_profiles'
# competence table -> the profiles' column that lists the numbers of its rows
LISTS = {'databank_profile_occupations': 'occupation_codes', 'databank_profile_skills': 'skill_codes'}
TABLES = tuple(LISTS)
LOOKUP = ['id', 'region', 'province', 'availability', 'mobility', 'desk_id', 'chain_mask', 'years_experience',
          'available_from', 'processing_stopped', 'person_id']
TRIGGERS = {'INSERT': 'NEW TABLE AS new_rows', 'DELETE': 'OLD TABLE AS old_rows',
            'UPDATE': 'OLD TABLE AS old_rows NEW TABLE AS new_rows'}
# PostgreSQL: a row's key numbered as it is written (a BEFORE trigger sets the row's code). The key is
# looked up first: new keys are rare. ON CONFLICT: another transaction may be numbering the same key.
# SQLite: AFTER triggers (they cannot change the row being written), as databank.textindex makes them (it
# makes them again should a later migration copy the tables and lose them).
CODE_FUNCTION = f"""
CREATE OR REPLACE FUNCTION databank_code_competence() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT code INTO NEW.code FROM {CODES} WHERE key = NEW.key;
    IF NEW.code IS NULL THEN
        INSERT INTO {CODES} (key) VALUES (NEW.key) ON CONFLICT (key) DO NOTHING;
        SELECT code INTO NEW.code FROM {CODES} WHERE key = NEW.key;
    END IF;
    RETURN NEW;
END
$$"""


# PostgreSQL: the profiles whose rows a statement changed get their list again, once per statement (the
# column to list is the argument).
LIST_FUNCTION = f"""
CREATE OR REPLACE FUNCTION databank_list_competence_codes() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed text := CASE TG_OP WHEN 'INSERT' THEN 'SELECT profile_id FROM new_rows'
                               WHEN 'DELETE' THEN 'SELECT profile_id FROM old_rows'
                               ELSE 'SELECT profile_id FROM new_rows UNION SELECT profile_id FROM old_rows' END;
BEGIN
    EXECUTE format('UPDATE {PROFILES} AS p SET %I = ARRAY(SELECT c.code FROM %I AS c WHERE c.profile_id = p.id '
                   'ORDER BY c.code) WHERE p.id IN (%s)', TG_ARGV[0], TG_TABLE_NAME, changed);
    RETURN NULL;
END
$$"""


def _code_list(postgresql: bool, table: str, profile_id: str) -> str:
    if postgresql:
        return f"ARRAY(SELECT c.code FROM {table} AS c WHERE c.profile_id = {profile_id} ORDER BY c.code)"
    return f"(SELECT json_group_array(c.code) FROM {table} AS c WHERE c.profile_id = {profile_id})"


def _number_existing_rows(postgresql: bool) -> None:
    """As databank.textindex.code_statements() at this revision."""
    for table, column in LISTS.items():
        op.execute(f"INSERT INTO {CODES} (key) SELECT DISTINCT key FROM {table} "
                   f"WHERE code IS NULL AND key NOT IN (SELECT key FROM {CODES})")
        op.execute(f"UPDATE {table} SET code = (SELECT c.code FROM {CODES} AS c WHERE c.key = {table}.key) "
                   f"WHERE code IS NULL")
        op.execute(f"UPDATE {PROFILES} SET {column} = {_code_list(postgresql, table, PROFILES + '.id')}")


def upgrade() -> None:
    op.create_table(
        CODES,
        sa.Column('code', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=300), nullable=False),
        sa.PrimaryKeyConstraint('code', name=op.f(f'pk_{CODES}')),
        sa.UniqueConstraint('key', name=op.f(f'uq_{CODES}_key')),
    )
    for table, column in LISTS.items():
        op.add_column(table, sa.Column('code', sa.Integer(), nullable=True))
        op.add_column(PROFILES, sa.Column(column, postgresql_types.ARRAY(sa.Integer()).with_variant(
            sa.JSON(), 'sqlite'), nullable=True))
    postgresql = op.get_bind().dialect.name == 'postgresql'
    if postgresql:
        op.execute(CODE_FUNCTION)
        op.execute(LIST_FUNCTION)
        for table, column in LISTS.items():
            op.execute(f"CREATE TRIGGER databank_code_competence BEFORE INSERT OR UPDATE OF key ON {table} "
                       f"FOR EACH ROW EXECUTE FUNCTION databank_code_competence()")
            for event, rows in TRIGGERS.items():
                op.execute(f"CREATE TRIGGER databank_code_lists_{event.lower()} AFTER {event} ON {table} "
                           f"REFERENCING {rows} FOR EACH STATEMENT "
                           f"EXECUTE FUNCTION databank_list_competence_codes('{column}')")
    else:
        for table, column in LISTS.items():
            number = (f"INSERT OR IGNORE INTO {CODES} (key) VALUES (new.key); "
                      f"UPDATE {table} SET code = (SELECT code FROM {CODES} WHERE key = new.key) WHERE id = new.id;")

            def listed(row: str) -> str:
                return (f"UPDATE {PROFILES} SET {column} = {_code_list(False, table, row + '.profile_id')} "
                        f"WHERE id = {row}.profile_id;")

            op.execute(f"CREATE TRIGGER {CODES}_{table}_ai AFTER INSERT ON {table} BEGIN {number} {listed('new')} END")
            op.execute(f"CREATE TRIGGER {CODES}_{table}_au AFTER UPDATE OF key, profile_id ON {table} "
                       f"BEGIN {number} {listed('new')} {listed('old')} END")
            op.execute(f"CREATE TRIGGER {CODES}_{table}_ad AFTER DELETE ON {table} BEGIN {listed('old')} END")
    _number_existing_rows(postgresql)
    for table in TABLES:
        op.drop_index(f'ix_{table}_profile', table_name=table)
        op.create_index(f'ix_{table}_profile', table, ['profile_id', 'code'], unique=False)
    # PostgreSQL: the lists in the look-up index, read with the matches of a text for the facet counts
    op.drop_index('ix_databank_profiles_lookup', table_name=PROFILES)
    op.create_index('ix_databank_profiles_lookup', PROFILES, LOOKUP, unique=False,
                    postgresql_include=list(LISTS.values()))


def downgrade() -> None:
    op.drop_index('ix_databank_profiles_lookup', table_name=PROFILES)
    op.create_index('ix_databank_profiles_lookup', PROFILES, LOOKUP, unique=False)
    for table in TABLES:
        op.drop_index(f'ix_{table}_profile', table_name=table)
        op.create_index(f'ix_{table}_profile', table, ['profile_id', 'key'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        for table in TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS databank_code_competence ON {table}")
            for event in TRIGGERS:
                op.execute(f"DROP TRIGGER IF EXISTS databank_code_lists_{event.lower()} ON {table}")
        op.execute("DROP FUNCTION IF EXISTS databank_code_competence()")
        op.execute("DROP FUNCTION IF EXISTS databank_list_competence_codes()")
    else:
        # which refer to the columns dropped
        for table in TABLES:
            for event in ('ai', 'au', 'ad'):
                op.execute(f"DROP TRIGGER IF EXISTS {CODES}_{table}_{event}")
    for table in TABLES:
        # not a batch (SQLite would copy the table and lose the triggers databank.textindex keeps on it)
        op.execute(f"ALTER TABLE {table} DROP COLUMN code")
        op.execute(f"ALTER TABLE {PROFILES} DROP COLUMN {LISTS[table]}")
    op.drop_table(CODES)
