"""events: each event carries its case's desk (a case never changes desk), and the news of a desk are indexed
by desk and time, so that the count in every page's navigation reads an operator's desk's news from the
index alone instead of hashing every case of the desk

Revision ID: 0039
Revises: 0038
Create Date: 2026-12-07 12:40:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0039'
down_revision = '0038'
branch_labels = None
depends_on = None

# The news condition as engine/queries.py `news_event` writes it (migration 0034 has the same copy).
_STAFF = ('admin', 'operator', 'mentor', 'designer')
_BY_STAFF = " OR ".join(f"""CAST(actor_roles AS TEXT) LIKE '%"{role}"%'""" for role in _STAFF)
_DECISION = {'postgresql': "(data ->> 'decision')", 'sqlite': "json_extract(data, '$.decision')"}
# The events written before this revision take their case's desk (through the erasure's gate: the database
# refuses any other UPDATE of events; the gate is emptied before the migration's transaction ends).
_FILL = {'postgresql': "UPDATE events SET desk_id = cases.desk_id FROM cases WHERE cases.id = events.case_id",
         'sqlite': "UPDATE events SET desk_id = (SELECT cases.desk_id FROM cases WHERE cases.id = events.case_id)"}


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.add_column('events', sa.Column('desk_id', sa.String(length=64), nullable=True))
    op.execute("INSERT INTO append_only_gate (id) VALUES (1)")
    op.execute(_FILL[dialect])
    op.execute("DELETE FROM append_only_gate")
    news = sa.text(f"(type = 'signed_off' OR {_DECISION[dialect]} IS NOT NULL OR NOT ({_BY_STAFF}))")
    op.create_index('ix_events_desk_news', 'events', ['desk_id', 'at', 'actor_id'], unique=False,
                    postgresql_where=news, sqlite_where=news)


def downgrade() -> None:
    op.drop_index('ix_events_desk_news', table_name='events')
    op.drop_column('events', 'desk_id')  # SQLite 3.35+ drops a column in place
