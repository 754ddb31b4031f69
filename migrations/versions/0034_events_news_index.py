"""My work's news: the index of the events by time holds only the events that are news to the staff (a sign-off,
a decision recorded for someone, a step of someone who held no staff role when acting), so that the count in
every page's navigation reads a desk's news rather than a region's week of events

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-06 21:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0034'
down_revision = '0033'
branch_labels = None
depends_on = None

# The condition as engine/queries.py `news_event` writes it on the day of this migration (a migration keeps
# its own copy: the code may change after it).
_STAFF = ('admin', 'operator', 'mentor', 'designer')
_BY_STAFF = " OR ".join(f"""CAST(actor_roles AS TEXT) LIKE '%"{role}"%'""" for role in _STAFF)
_DECISION = {'postgresql': "(data ->> 'decision')", 'sqlite': "json_extract(data, '$.decision')"}


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    news = sa.text(f"(type = 'signed_off' OR {_DECISION[dialect]} IS NOT NULL OR NOT ({_BY_STAFF}))")
    op.drop_index('ix_events_at_case', table_name='events')
    op.create_index('ix_events_news', 'events', ['at', 'case_id'], unique=False, postgresql_include=['id'],
                    postgresql_where=news, sqlite_where=news)


def downgrade() -> None:
    op.drop_index('ix_events_news', table_name='events')
    op.create_index('ix_events_at_case', 'events', ['at', 'case_id'], unique=False, postgresql_include=['id'])
