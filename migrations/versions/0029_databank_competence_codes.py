"""databank search: a number for each occupation and skill key, given to the competence rows by the
database; the facet counts read the (profile_id, code) indexes

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-06 13:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0029'
down_revision = '0028'
branch_labels = None
depends_on = None

CODES = 'databank_competence_codes'
TABLES = ('databank_profile_occupations', 'databank_profile_skills')
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


def _number_existing_rows() -> None:
    """As databank.textindex.code_statements() at this revision."""
    for table in TABLES:
        op.execute(f"INSERT INTO {CODES} (key) SELECT DISTINCT key FROM {table} "
                   f"WHERE code IS NULL AND key NOT IN (SELECT key FROM {CODES})")
        op.execute(f"UPDATE {table} SET code = (SELECT c.code FROM {CODES} AS c WHERE c.key = {table}.key) "
                   f"WHERE code IS NULL")


def upgrade() -> None:
    op.create_table(
        CODES,
        sa.Column('code', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=300), nullable=False),
        sa.PrimaryKeyConstraint('code', name=op.f(f'pk_{CODES}')),
        sa.UniqueConstraint('key', name=op.f(f'uq_{CODES}_key')),
    )
    for table in TABLES:
        op.add_column(table, sa.Column('code', sa.Integer(), nullable=True))
    postgresql = op.get_bind().dialect.name == 'postgresql'
    if postgresql:
        op.execute(CODE_FUNCTION)
        for table in TABLES:
            op.execute(f"CREATE TRIGGER databank_code_competence BEFORE INSERT OR UPDATE OF key ON {table} "
                       f"FOR EACH ROW EXECUTE FUNCTION databank_code_competence()")
    else:
        for table in TABLES:
            number = (f"INSERT OR IGNORE INTO {CODES} (key) VALUES (new.key); "
                      f"UPDATE {table} SET code = (SELECT code FROM {CODES} WHERE key = new.key) WHERE id = new.id;")
            op.execute(f"CREATE TRIGGER {CODES}_{table}_ai AFTER INSERT ON {table} BEGIN {number} END")
            op.execute(f"CREATE TRIGGER {CODES}_{table}_au AFTER UPDATE OF key ON {table} BEGIN {number} END")
    _number_existing_rows()
    for table in TABLES:
        op.drop_index(f'ix_{table}_profile', table_name=table)
        op.create_index(f'ix_{table}_profile', table, ['profile_id', 'code'], unique=False)


def downgrade() -> None:
    for table in TABLES:
        op.drop_index(f'ix_{table}_profile', table_name=table)
        op.create_index(f'ix_{table}_profile', table, ['profile_id', 'key'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        for table in TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS databank_code_competence ON {table}")
        op.execute("DROP FUNCTION IF EXISTS databank_code_competence()")
    else:
        # which refer to the column dropped
        for table in TABLES:
            for event in ('ai', 'au'):
                op.execute(f"DROP TRIGGER IF EXISTS {CODES}_{table}_{event}")
    for table in TABLES:
        # not a batch (SQLite would copy the table and lose the triggers databank.textindex keeps on it)
        op.execute(f"ALTER TABLE {table} DROP COLUMN code")
    op.drop_table(CODES)
