"""databank search on PostgreSQL: the full-text indexes of profiles and resources point to narrow rows of their
own (the entry's id and the version of its words), so that the ids of the matches of a common word are read from a
few hundred pages instead of every page of the texts; triggers keep the rows in step with the texts. The
profiles' facet index carries what a search reads of the profiles it joins to those matches

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-06 15:20:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0032'
down_revision = '0031'
branch_labels = None
depends_on = None

TABLE = 'databank_profile_search'
TEXTS = 'databank_profile_texts'
# as databank.models at this revision
WORDS_FUNCTIONS = """
CREATE OR REPLACE FUNCTION databank_profile_words(profile integer, version integer) RETURNS tsvector
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE COST 1000 SET search_path FROM CURRENT AS $$
BEGIN
    RETURN (SELECT databank_words(t.search_text) FROM databank_profile_texts AS t WHERE t.profile_id = profile);
END
$$;
CREATE OR REPLACE FUNCTION databank_profile_all_words(profile integer, version integer) RETURNS tsvector
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE COST 1000 SET search_path FROM CURRENT AS $$
BEGIN
    RETURN (SELECT databank_words(t.search_text) || databank_words(t.personal_text)
            FROM databank_profile_texts AS t WHERE t.profile_id = profile);
END
$$;
CREATE OR REPLACE FUNCTION databank_resource_words(resource integer, version integer) RETURNS tsvector
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE COST 1000 SET search_path FROM CURRENT AS $$
BEGIN
    RETURN (SELECT databank_words(t.search_text) FROM databank_resource_texts AS t WHERE t.resource_id = resource);
END
$$"""
SYNC_FUNCTION = """
CREATE OR REPLACE FUNCTION databank_profile_search_sync() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO databank_profile_search (profile_id, version) SELECT profile_id, 1 FROM new_rows;
    ELSE
        UPDATE databank_profile_search AS s SET version = s.version + 1
        FROM new_rows AS n JOIN old_rows AS o ON o.profile_id = n.profile_id
        WHERE s.profile_id = n.profile_id
          AND (n.search_text IS DISTINCT FROM o.search_text OR n.personal_text IS DISTINCT FROM o.personal_text);
    END IF;
    RETURN NULL;
END
$$"""
TRIGGERS = """
CREATE TRIGGER databank_profile_search_insert AFTER INSERT ON databank_profile_texts
REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION databank_profile_search_sync();
CREATE TRIGGER databank_profile_search_update AFTER UPDATE ON databank_profile_texts
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION databank_profile_search_sync()
"""
RESOURCE_TABLE = 'databank_resource_search'
RESOURCE_TEXTS = 'databank_resource_texts'
RESOURCE_SYNC_FUNCTION = """
CREATE OR REPLACE FUNCTION databank_resource_search_sync() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO databank_resource_search (resource_id, version) SELECT resource_id, 1 FROM new_rows;
    ELSE
        UPDATE databank_resource_search AS s SET version = s.version + 1
        FROM new_rows AS n JOIN old_rows AS o ON o.resource_id = n.resource_id
        WHERE s.resource_id = n.resource_id AND n.search_text IS DISTINCT FROM o.search_text;
    END IF;
    RETURN NULL;
END
$$"""
RESOURCE_TRIGGERS = """
CREATE TRIGGER databank_resource_search_insert AFTER INSERT ON databank_resource_texts
REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION databank_resource_search_sync();
CREATE TRIGGER databank_resource_search_update AFTER UPDATE ON databank_resource_texts
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION databank_resource_search_sync()
"""
RESOURCE_INDEX = ('ix_databank_resource_search_words', 'databank_resource_words(resource_id, version)')
OLD_RESOURCE_INDEX = ('ix_databank_resource_texts_fts', 'databank_words(search_text)')
# index -> expression (the old ones were on the texts, of their columns)
NEW_INDEXES = {'ix_databank_profile_search_words': 'databank_profile_words(profile_id, version)',
               'ix_databank_profile_search_all_words': 'databank_profile_all_words(profile_id, version)'}
FACET_INDEX = 'ix_databank_profiles_facets'
FACET_COLUMNS = ['region', 'province', 'availability', 'mobility', 'desk_id', 'chain_mask', 'processing_stopped',
                 'person_id']
FACET_INCLUDE = ['id', 'years_experience', 'available_from', 'occupation_codes', 'skill_codes']
OLD_INDEXES = {'ix_databank_profile_texts_fts': 'databank_words(search_text)',
               'ix_databank_profile_texts_fts_full': '(databank_words(search_text) || databank_words(personal_text))'}


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column('profile_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('version', sa.Integer(), server_default='1', nullable=False),
        sa.ForeignKeyConstraint(['profile_id'], [f'{TEXTS}.profile_id'], name=op.f(f'fk_{TABLE}_profile_id_{TEXTS}'),
                                ondelete='CASCADE', onupdate='CASCADE'),
        sa.PrimaryKeyConstraint('profile_id', name=op.f(f'pk_{TABLE}')),
    )
    op.create_table(
        RESOURCE_TABLE,
        sa.Column('resource_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('version', sa.Integer(), server_default='1', nullable=False),
        sa.ForeignKeyConstraint(['resource_id'], [f'{RESOURCE_TEXTS}.resource_id'],
                                name=op.f(f'fk_{RESOURCE_TABLE}_resource_id_{RESOURCE_TEXTS}'),
                                ondelete='CASCADE', onupdate='CASCADE'),
        sa.PrimaryKeyConstraint('resource_id', name=op.f(f'pk_{RESOURCE_TABLE}')),
    )
    if op.get_bind().dialect.name != 'postgresql':
        return  # SQLite: the FTS5 tables give the ids themselves; the table stays empty
    op.execute(WORDS_FUNCTIONS)
    op.execute(f"INSERT INTO {TABLE} (profile_id, version) SELECT profile_id, 1 FROM {TEXTS}")
    for name, expression in NEW_INDEXES.items():
        op.create_index(name, TABLE, [sa.text(expression)], postgresql_using='gin')
    op.execute(SYNC_FUNCTION)
    op.execute(TRIGGERS)
    for name in OLD_INDEXES:
        op.drop_index(name, table_name=TEXTS)
    op.execute(f"INSERT INTO {RESOURCE_TABLE} (resource_id, version) SELECT resource_id, 1 FROM {RESOURCE_TEXTS}")
    op.create_index(RESOURCE_INDEX[0], RESOURCE_TABLE, [sa.text(RESOURCE_INDEX[1])], postgresql_using='gin')
    op.execute(RESOURCE_SYNC_FUNCTION)
    op.execute(RESOURCE_TRIGGERS)
    op.drop_index(OLD_RESOURCE_INDEX[0], table_name=RESOURCE_TEXTS)
    op.drop_index(FACET_INDEX, table_name='databank_profiles')
    op.create_index(FACET_INDEX, 'databank_profiles', FACET_COLUMNS, unique=False, postgresql_include=FACET_INCLUDE)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_index(FACET_INDEX, table_name='databank_profiles')
        op.create_index(FACET_INDEX, 'databank_profiles', FACET_COLUMNS, unique=False)
        for name, expression in OLD_INDEXES.items():
            op.create_index(name, TEXTS, [sa.text(expression)], postgresql_using='gin')
        op.execute(f"DROP TRIGGER IF EXISTS databank_profile_search_insert ON {TEXTS}")
        op.execute(f"DROP TRIGGER IF EXISTS databank_profile_search_update ON {TEXTS}")
        op.execute("DROP FUNCTION IF EXISTS databank_profile_search_sync()")
        op.create_index(OLD_RESOURCE_INDEX[0], RESOURCE_TEXTS, [sa.text(OLD_RESOURCE_INDEX[1])], postgresql_using='gin')
        op.execute(f"DROP TRIGGER IF EXISTS databank_resource_search_insert ON {RESOURCE_TEXTS}")
        op.execute(f"DROP TRIGGER IF EXISTS databank_resource_search_update ON {RESOURCE_TEXTS}")
        op.execute("DROP FUNCTION IF EXISTS databank_resource_search_sync()")
    op.drop_table(RESOURCE_TABLE)
    op.drop_table(TABLE)
    if op.get_bind().dialect.name == 'postgresql':
        for function in ('databank_profile_words', 'databank_profile_all_words', 'databank_resource_words'):
            op.execute(f"DROP FUNCTION IF EXISTS {function}(integer, integer)")
