"""databank search on PostgreSQL: a profile's search row (what its full-text indexes point to) carries the
profile's columns that a search filters on and counts, copied by triggers, so that the matches of a text are
filtered and counted from the rows the index finds rather than looked up one by one in the profiles' index

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-07 07:10:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as postgresql_types


revision = '0036'
down_revision = '0035'
branch_labels = None
depends_on = None

TABLE = 'databank_profile_search'
CODE_LIST = postgresql_types.ARRAY(sa.Integer()).with_variant(sa.JSON(), 'sqlite')
COLUMNS = [
    sa.Column('region', sa.String(length=16), nullable=True),
    sa.Column('province', sa.String(length=16), nullable=True),
    sa.Column('availability', sa.String(length=16), nullable=True),
    sa.Column('mobility', sa.String(length=16), nullable=True),
    sa.Column('desk_id', sa.String(length=64), nullable=True),
    sa.Column('chain_mask', sa.Integer(), nullable=True),
    sa.Column('years_experience', sa.Integer(), nullable=True),
    sa.Column('available_from', sa.Date(), nullable=True),
    sa.Column('processing_stopped', sa.Boolean(), nullable=True),
    sa.Column('person_id', sa.String(length=64), nullable=True),
    sa.Column('occupation_codes', CODE_LIST, nullable=True),
    sa.Column('skill_codes', CODE_LIST, nullable=True),
]
# as databank.models at this revision
SYNC_FUNCTION = """
CREATE OR REPLACE FUNCTION databank_profile_search_sync() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO databank_profile_search (profile_id, version, region, province, availability, mobility, desk_id, chain_mask, years_experience, available_from, processing_stopped, person_id, occupation_codes, skill_codes)
        SELECT n.profile_id, 1, e.region, e.province, e.availability, e.mobility, e.desk_id, e.chain_mask, e.years_experience, e.available_from, e.processing_stopped, e.person_id, e.occupation_codes, e.skill_codes FROM new_rows AS n JOIN databank_profiles AS e ON e.id = n.profile_id;
    ELSE
        UPDATE databank_profile_search AS s SET version = s.version + 1
        FROM new_rows AS n JOIN old_rows AS o ON o.profile_id = n.profile_id
        WHERE s.profile_id = n.profile_id
          AND (n.search_text IS DISTINCT FROM o.search_text OR n.personal_text IS DISTINCT FROM o.personal_text);
    END IF;
    RETURN NULL;
END
$$"""
COPY = """
CREATE OR REPLACE FUNCTION databank_profile_search_copy() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
    UPDATE databank_profile_search AS s SET (region, province, availability, mobility, desk_id, chain_mask, years_experience, available_from, processing_stopped, person_id, occupation_codes, skill_codes) = ROW(p.region, p.province, p.availability, p.mobility, p.desk_id, p.chain_mask, p.years_experience, p.available_from, p.processing_stopped, p.person_id, p.occupation_codes, p.skill_codes) FROM new_rows AS p WHERE s.profile_id = p.id AND (s.region, s.province, s.availability, s.mobility, s.desk_id, s.chain_mask, s.years_experience, s.available_from, s.processing_stopped, s.person_id, s.occupation_codes, s.skill_codes) IS DISTINCT FROM (p.region, p.province, p.availability, p.mobility, p.desk_id, p.chain_mask, p.years_experience, p.available_from, p.processing_stopped, p.person_id, p.occupation_codes, p.skill_codes);
    RETURN NULL;
END
$$;
CREATE TRIGGER databank_profile_search_copy AFTER UPDATE ON databank_profiles
REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION databank_profile_search_copy()"""
BACKFILL = ('UPDATE databank_profile_search AS s SET (region, province, availability, mobility, desk_id, chain_mask, years_experience, available_from, processing_stopped, person_id, occupation_codes, skill_codes) = ROW(p.region, p.province, p.availability, p.mobility, p.desk_id, p.chain_mask, p.years_experience, p.available_from, p.processing_stopped, p.person_id, p.occupation_codes, p.skill_codes) FROM databank_profiles AS p WHERE s.profile_id = p.id AND (s.region, s.province, s.availability, s.mobility, s.desk_id, s.chain_mask, s.years_experience, s.available_from, s.processing_stopped, s.person_id, s.occupation_codes, s.skill_codes) IS DISTINCT FROM (p.region, p.province, p.availability, p.mobility, p.desk_id, p.chain_mask, p.years_experience, p.available_from, p.processing_stopped, p.person_id, p.occupation_codes, p.skill_codes)')
OLD_SYNC_FUNCTION = """
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


def upgrade() -> None:
    for column in COLUMNS:
        op.add_column(TABLE, column)
    if op.get_bind().dialect.name != 'postgresql':
        return  # SQLite: the table stays empty (FTS5 gives the ids itself)
    op.execute(SYNC_FUNCTION)
    op.execute(COPY)
    op.execute(BACKFILL)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP TRIGGER IF EXISTS databank_profile_search_copy ON databank_profiles")
        op.execute("DROP FUNCTION IF EXISTS databank_profile_search_copy()")
        op.execute(OLD_SYNC_FUNCTION)
    for column in reversed(COLUMNS):
        op.drop_column(TABLE, column.name)
