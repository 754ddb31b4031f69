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
# as databank.models at this revision (models.SEARCHED, PROFILE_SEARCH_FUNCTION, PROFILE_SEARCH_COPY)
SEARCHED = [column.name for column in COLUMNS]
TARGETS = ", ".join(SEARCHED)
VALUES = ", ".join(f"p.{column}" for column in SEARCHED)
COPIES = ", ".join(f"s.{column}" for column in SEARCHED)


def _copy(profiles: str) -> str:
    """Copy the searched columns of these profiles to their search rows where they differ."""
    return (f"UPDATE databank_profile_search AS s SET ({TARGETS}) = ROW({VALUES}) FROM {profiles} AS p "
            f"WHERE s.profile_id = p.id AND ({COPIES}) IS DISTINCT FROM ({VALUES})")


def _sync_function(insert: str) -> str:
    """The texts' trigger function (migration 0032's), its new rows inserted by `insert`."""
    return f"""
CREATE OR REPLACE FUNCTION databank_profile_search_sync() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {insert};
    ELSE
        UPDATE databank_profile_search AS s SET version = s.version + 1
        FROM new_rows AS n JOIN old_rows AS o ON o.profile_id = n.profile_id
        WHERE s.profile_id = n.profile_id
          AND (n.search_text IS DISTINCT FROM o.search_text OR n.personal_text IS DISTINCT FROM o.personal_text);
    END IF;
    RETURN NULL;
END
$$"""


SYNC_FUNCTION = _sync_function(
    f"INSERT INTO databank_profile_search (profile_id, version, {TARGETS}) SELECT n.profile_id, 1, "
    f"{VALUES} FROM new_rows AS n JOIN databank_profiles AS p ON p.id = n.profile_id")
OLD_SYNC_FUNCTION = _sync_function(
    "INSERT INTO databank_profile_search (profile_id, version) SELECT profile_id, 1 FROM new_rows")
COPY = f"""
CREATE OR REPLACE FUNCTION databank_profile_search_copy() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
    {_copy("new_rows")};
    RETURN NULL;
END
$$;
CREATE TRIGGER databank_profile_search_copy AFTER UPDATE ON databank_profiles
REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION databank_profile_search_copy()"""
BACKFILL = _copy("databank_profiles")


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
