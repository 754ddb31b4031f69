"""Full-text conditions behind one interface: SQLite FTS5 or PostgreSQL tsvector/GIN.

Both index the words of `databank.text` (already lower-case ASCII, single spaces) and both answer "every
query word starts a word of the entry", so they return the same rows for the same data.

- PostgreSQL: GIN expression indexes declared in `databank.models` (built by the migrations); the query
  repeats their expression and compares it to a `tsquery` of prefixes (`'weld':* & 'genov':*`), written
  by us rather than parsed, so nothing is stemmed or dropped.
- SQLite: an FTS5 table with external content per indexed table, kept in step by triggers. It is not
  part of the migrations (Alembic would see its shadow tables as tables to drop): `ensure_indexes()`
  creates it, fills it from the table and adds the triggers, once per database, and again if a
  migration that rebuilt the table dropped the triggers. It is derived data and can be rebuilt any time.
"""
from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any, Callable

from sqlalchemy import Connection, Engine, Table, bindparam, cast, literal_column, select, text
from sqlalchemy.dialects.postgresql import TSQUERY
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from . import models


@dataclass(frozen=True)
class TextIndex:
    name: str  # of the FTS5 table
    table: Table
    columns: tuple[str, ...]  # the first is what everyone may search; the others need the right to see them
    pg_documents: dict[str, Callable[[], Any]]  # scope -> the indexed expression

    def condition(self, dialect: str, words: list[str], scope: str = "public") -> ColumnElement[bool]:
        """`table.id` is an entry whose text (its public part, or all of it) matches every word as a prefix."""
        if dialect == "postgresql":
            query = " & ".join(f"'{w}':*" for w in words)
            return self.pg_documents[scope]().op("@@")(cast(bindparam(None, query), TSQUERY))
        terms = " AND ".join(f'"{w}"*' for w in words)
        if scope == "public" and len(self.columns) > 1:
            terms = "{" + self.columns[0] + "} : (" + terms + ")"
        fts = literal_column(self.name)
        rowids = select(literal_column("rowid")).select_from(text(self.name)).where(fts.op("MATCH")(terms))
        return self.table.c.id.in_(rowids.scalar_subquery())


PROFILES = TextIndex("databank_profiles_fts", models.Profile.__table__, ("search_text", "personal_text"),
                     {"public": models.profile_public_document, "full": models.profile_full_document})
RESOURCES = TextIndex("databank_resources_fts", models.Resource.__table__, ("search_text",),
                      {"public": models.resource_document})
ESCO_LABELS = TextIndex("databank_esco_labels_fts", models.EscoLabel.__table__, ("search_text",),
                        {"public": models.esco_label_document})
INDEXES = (PROFILES, RESOURCES, ESCO_LABELS)

_ready: "weakref.WeakKeyDictionary[Engine, bool]" = weakref.WeakKeyDictionary()


def dialect_of(session: Session) -> str:
    return session.get_bind().dialect.name


def ensure_indexes(session: Session) -> None:
    """Make sure the SQLite full-text tables exist and are complete (nothing to do on PostgreSQL)."""
    bind = session.get_bind()
    engine = bind.engine if isinstance(bind, Connection) else bind
    if engine.dialect.name != "sqlite" or _ready.get(engine):
        return
    if isinstance(bind, Connection):
        _ensure(bind)
    else:
        # Its own short write transaction, before the caller's read: creating tables inside a read
        # transaction would have to upgrade it to a write and could fail under concurrent writers.
        with engine.begin() as connection:
            _ensure(connection)
    _ready[engine] = True


def rebuild_indexes(session: Session) -> None:
    """Rebuild the SQLite full-text tables from their tables (`opera databank reindex`)."""
    if dialect_of(session) != "sqlite":
        return
    connection = session.connection()
    for index in INDEXES:
        _create(connection, index, replace=True)


def _ensure(connection: Connection) -> None:
    existing = set(connection.exec_driver_sql(
        "SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')").scalars())
    for index in INDEXES:
        needed = {index.name} | {f"{index.name}_{suffix}" for suffix in ("ai", "ad", "au")}
        if not needed <= existing:
            _create(connection, index, replace=True)


def _create(connection: Connection, index: TextIndex, replace: bool) -> None:
    name, table = index.name, index.table.name
    cols = ", ".join(index.columns)
    new = ", ".join(f"new.{c}" for c in index.columns)
    old = ", ".join(f"old.{c}" for c in index.columns)
    statements = []
    if replace:
        statements += [f"DROP TRIGGER IF EXISTS {name}_{s}" for s in ("ai", "ad", "au")]
        statements.append(f"DROP TABLE IF EXISTS {name}")
    statements += [
        # prefix indexes make the short prefixes of autocomplete fast
        f"CREATE VIRTUAL TABLE {name} USING fts5({cols}, content='{table}', content_rowid='id', prefix='1 2 3')",
        f"CREATE TRIGGER {name}_ai AFTER INSERT ON {table} BEGIN "
        f"INSERT INTO {name}(rowid, {cols}) VALUES (new.id, {new}); END",
        f"CREATE TRIGGER {name}_ad AFTER DELETE ON {table} BEGIN "
        f"INSERT INTO {name}({name}, rowid, {cols}) VALUES ('delete', old.id, {old}); END",
        f"CREATE TRIGGER {name}_au AFTER UPDATE OF {cols} ON {table} BEGIN "
        f"INSERT INTO {name}({name}, rowid, {cols}) VALUES ('delete', old.id, {old}); "
        f"INSERT INTO {name}(rowid, {cols}) VALUES (new.id, {new}); END",
        f"INSERT INTO {name}({name}) VALUES ('rebuild')",
    ]
    for statement in statements:
        connection.exec_driver_sql(statement)
