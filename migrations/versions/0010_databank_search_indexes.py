"""databank search: indexes for the facet counts of the whole databank and for the look-up of matches;
PostgreSQL full-text indexes of the words as they are (not parsed again)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27 00:10:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('databank_profiles') as batch:
        batch.create_index('ix_databank_profiles_chains', ['chain_mask'], unique=False)
        batch.create_index('ix_databank_profiles_lookup', ['id', 'region', 'province', 'availability', 'mobility',
                                                           'desk_id', 'chain_mask', 'years_experience',
                                                           'available_from'], unique=False)
    with op.batch_alter_table('databank_resources') as batch:
        batch.create_index('ix_databank_resources_masks', ['chain_mask', 'offer_mask', 'surface_m2'], unique=False)
        batch.create_index('ix_databank_resources_lookup', ['id', 'category', 'status', 'condition', 'region',
                                                            'province', 'desk_id', 'chain_mask', 'offer_mask',
                                                            'surface_m2', 'published', 'available_from'], unique=False)
    _full_text_indexes(WORDS)


def downgrade() -> None:
    _full_text_indexes(PARSED)
    with op.batch_alter_table('databank_resources') as batch:
        batch.drop_index('ix_databank_resources_lookup')
        batch.drop_index('ix_databank_resources_masks')
    with op.batch_alter_table('databank_profiles') as batch:
        batch.drop_index('ix_databank_profiles_lookup')
        batch.drop_index('ix_databank_profiles_chains')


# The full-text indexes of databank/models.py (PostgreSQL only): the words as lexemes, no longer parsed.
FULL_TEXT_INDEXES = (
    ("databank_profile_texts", "ix_databank_profile_texts_fts", "{search_text}"),
    ("databank_profile_texts", "ix_databank_profile_texts_fts_full", "({search_text} || {personal_text})"),
    ("databank_resource_texts", "ix_databank_resource_texts_fts", "{search_text}"),
    ("databank_esco_labels", "ix_databank_esco_labels_fts", "{search_text}"),
)
# new: whether a query's word is anyone's personal word at all
PERSONAL_INDEX = "ix_databank_profile_texts_fts_personal"
WORDS = "databank_words({column})"
PARSED = "to_tsvector('simple', {column})"
# PL/pgSQL, never inlined: the planner sees its (high) cost and reads the index instead of computing it
# row by row, even for a LIMIT.
WORDS_FUNCTION = """
CREATE OR REPLACE FUNCTION databank_words(words text) RETURNS tsvector
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE COST 1000 AS $$
BEGIN
    RETURN array_to_tsvector(array_remove(string_to_array(words, ' '), ''));
END
$$"""


def _full_text_indexes(document: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    if document == WORDS:
        op.execute(WORDS_FUNCTION)
    for table, name, expression in FULL_TEXT_INDEXES:
        op.drop_index(name, table_name=table)
        columns = {c: document.format(column=c) for c in ("search_text", "personal_text")}
        op.create_index(name, table, [sa.text(expression.format(**columns))], postgresql_using="gin")
    if document == WORDS:
        op.create_index(PERSONAL_INDEX, "databank_profile_texts", [sa.text(WORDS.format(column="personal_text"))],
                        postgresql_using="gin")
    else:
        op.drop_index(PERSONAL_INDEX, table_name="databank_profile_texts")
        op.execute("DROP FUNCTION IF EXISTS databank_words(text)")
