"""Full-text conditions behind one interface: SQLite FTS5 or PostgreSQL tsvector/GIN.

Both index the words of `databank.text` (already lower-case ASCII, single spaces) and both answer "every
query word starts a word of the entry", so they return the same rows for the same data.

- PostgreSQL: GIN expression indexes declared in `databank.models` (built by the migrations; a profile's
  on a narrow row of its own, `ProfileSearch`, so that reading the ids of many matches reads few pages) of a
  `tsvector` made of our words as they are (never parsed again: PostgreSQL's parser would cut `1e5x` into
  a number and a word); the query repeats their expression and compares it to a `tsquery` of prefixes
  (`'weld':* & 'genov':*`), written by us rather than parsed, so nothing is stemmed or dropped.
- SQLite: an FTS5 table with external content per indexed table, kept in step by triggers. It is not
  part of the migrations (Alembic would see its shadow tables as tables to drop): `ensure_indexes()`
  creates it, fills it from the table and adds the triggers, once per database, and again if a
  migration that rebuilt the table dropped the triggers. It is derived data and can be rebuilt any time.

The facet counts of the whole databank and of the public catalogue (`models.FacetCount`, `COUNT_SETS`) are
derived data of the same kind, kept by triggers on the profiles, occupations, skills and resources: on
PostgreSQL those of migrations 0027, 0028 and 0038, on SQLite those that `ensure_indexes()` creates (and
recounts) like the full-text tables'. So are the numbers of the occupation and skill keys
(`models.CompetenceCode`, the rows' `code`), given by migration 0030's triggers (on SQLite `ensure_indexes()`
makes them again if a migration that copied the tables lost them).
"""
from __future__ import annotations

import re
import weakref
from dataclasses import dataclass
from typing import Any, Callable

from sqlalchemy import (
    Connection, Engine, Select, Table, any_, bindparam, cast, func, literal_column, select, text,
)
from sqlalchemy.dialects.postgresql import TSQUERY
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from engine.db import WRITES, writing

from . import models
from .vocabulary import SIZE_BANDS


@dataclass(frozen=True)
class TextIndex:
    name: str  # of the FTS5 table
    table: Table  # where the words are
    key: str  # its integer key: the id of the entry
    entry_id: Any  # the column of the entries that `key` refers to
    columns: tuple[str, ...]  # the first is what everyone may search; the others need the right to see them
    pg_documents: dict[str, Callable[[], Any]]  # scope -> the indexed expression
    options: str  # of the FTS5 table
    pg_table: Table | None = None  # PostgreSQL: the table its public and full documents index, if not `table`

    def condition(self, dialect: str, words: list[str], scope: str = "public") -> ColumnElement[bool]:
        """The entry's text (its public part, or all of it) matches every word as a prefix."""
        if dialect == "postgresql" and self.table.c[self.key] is self.entry_id:
            return self._pg_match(words, scope)
        return among(dialect, self.entry_id, self.matching(dialect, words, scope).scalar_subquery())

    def matching(self, dialect: str, words: list[str], scope: str = "public") -> Select[Any]:
        """The ids of the entries whose text matches (a subquery the database can start from)."""
        if dialect == "postgresql":
            # OFFSET 0 keeps it a subquery of its own: PostgreSQL reads the matches from the index once,
            # rather than joining and testing the text of one row after another
            rows = self.pg_table if self.pg_table is not None else self.table
            return select(rows.c[self.key]).where(self._pg_match(words, scope)).offset(0)
        terms = " AND ".join(f'"{w}"*' for w in words)
        if scope == "public" and len(self.columns) > 1:
            terms = "{" + self.columns[0] + "} : (" + terms + ")"
        fts = literal_column(self.name)
        return select(literal_column("rowid")).select_from(text(self.name)).where(fts.op("MATCH")(terms))

    def any_personal(self, session: Session, words: list[str]) -> bool:
        """Whether some query word starts a word of some entry's personal part (one look in the index)."""
        if len(self.columns) < 2:
            return False
        if dialect_of(session) == "postgresql":
            either = " | ".join(f"'{w}':*" for w in words)
            document = self.pg_documents["personal"]()
            # a count, not a LIMIT 1: with a LIMIT the planner may test the rows one by one until it gives up
            return bool(session.scalar(select(func.count()).select_from(self.table).where(
                document.op("@@")(cast(bindparam(None, either), TSQUERY)))))
        terms = "{" + self.columns[1] + "} : (" + " OR ".join(f'"{w}"*' for w in words) + ")"
        fts = literal_column(self.name)
        probe = select(literal_column("rowid")).select_from(text(self.name)).where(fts.op("MATCH")(terms)).limit(1)
        return session.execute(probe).first() is not None

    def search_rows_match(self, words: list[str], scope: str = "public") -> ColumnElement[bool]:
        """PostgreSQL: the condition on the entry's search row (`pg_table`) that its text matches."""
        return self._pg_match(words, scope)

    def _pg_match(self, words: list[str], scope: str) -> ColumnElement[bool]:
        query = " & ".join(f"'{w}':*" for w in words)
        return self.pg_documents[scope]().op("@@")(cast(bindparam(None, query), TSQUERY))


# FTS5 options: no positions where no phrase is ever searched (smaller, faster); prefix indexes only for
# the pickers' labels, where one or two typed letters must answer at once.
PROFILES = TextIndex("databank_profiles_fts", models.ProfileText.__table__, "profile_id", models.Profile.__table__.c.id,
                     ("search_text", "personal_text"),
                     {"public": models.profile_public_document, "full": models.profile_full_document,
                      "personal": models.profile_personal_document}, "detail=column",
                     models.ProfileSearch.__table__)
RESOURCES = TextIndex("databank_resources_fts", models.ResourceText.__table__, "resource_id",
                      models.Resource.__table__.c.id, ("search_text",), {"public": models.resource_document},
                      "detail=none", models.ResourceSearch.__table__)
ESCO_LABELS = TextIndex("databank_esco_labels_fts", models.EscoLabel.__table__, "id", models.EscoLabel.__table__.c.id,
                        ("search_text",), {"public": models.esco_label_document}, "detail=none, prefix='2 3'")
INDEXES = (PROFILES, RESOURCES, ESCO_LABELS)


def size_band_sql(row: str) -> str:
    """The size band of a resource's surface (`vocabulary.SIZE_BANDS`, as `search.band_of`), in SQL that
    both databases read alike, for the row named `row` (a table, or a trigger's `new`/`old`). Its code is
    counted, not the surface: the two databases would not write a surface's number as the same text."""
    *bounded, (last, _low, _high) = SIZE_BANDS
    whens = " ".join(f"WHEN {row}.surface_m2 < {high} THEN '{name}'" for name, _low, high in bounded)
    return f"CASE WHEN {row}.surface_m2 IS NULL THEN 'unknown' {whens} ELSE '{last}' END"


# What the facet counts count, per table: facet -> column (or an expression of the row, `{row}.` marking
# its columns).
RESOURCE_COUNTED = ("category", "status", "condition", "region", "province", "desk_id", "chain_mask", "offer_mask")
# The prefixes of the resources' counts: of every resource, and of those the public catalogue shows
# (`public.catalogue`), which its first page reads.
ALL_RESOURCES, CATALOGUE = "resource_", "catalogue_"


def resource_counts(prefix: str) -> dict[str, str]:
    """The resources' facets counted under `prefix`: facet -> column, and the size band."""
    return {**{prefix + c: c for c in RESOURCE_COUNTED}, prefix + "size_band": size_band_sql("{row}")}


COUNTED = {
    "databank_profiles": {c: c for c in ("region", "province", "availability", "mobility", "desk_id", "chain_mask")},
    "databank_profile_occupations": {"occupation": "key"},
    "databank_profile_skills": {"skill": "key"},
    "databank_resources": resource_counts(ALL_RESOURCES),
}
CATALOGUE_ROWS = "{row}.published AND {row}.status = 'available'"
# Every set of counts kept: (its name, the table, facet -> column or expression, the rows counted or None).
COUNT_SETS = [(table, table, facets, None) for table, facets in COUNTED.items()] + [
    ("catalogue", "databank_resources", resource_counts(CATALOGUE), CATALOGUE_ROWS)]
COUNTS = models.FacetCount.__tablename__
# The competence rows whose keys get a number of `CODES` as they come in, and the profiles' column that
# lists the numbers of each profile's rows: kept by migration 0030's triggers.
CODED = {models.ProfileOccupation.__tablename__: "occupation_codes", models.ProfileSkill.__tablename__: "skill_codes"}
CODES = models.CompetenceCode.__tablename__
PROFILES_TABLE = models.Profile.__tablename__

_ready: "weakref.WeakKeyDictionary[Engine, bool]" = weakref.WeakKeyDictionary()


def among(dialect: str, column: Any, ids: Any) -> ColumnElement[bool]:
    """`column IN (ids)`, `ids` a subquery. On PostgreSQL `column = ANY(ARRAY(ids))`: the set is made first,
    once, and its ids looked up in an index of `column`; with `IN` the planner rather scans the whole table
    to join it to the set (tens of times the rows for a text that matches a few thousand entries)."""
    if dialect == "postgresql":
        return column == any_(func.array(ids))
    return column.in_(ids)


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
    elif bind.get_execution_options().get(WRITES):
        _ensure(session.connection())  # the caller's transaction writes already (holds SQLite's lock)
    else:
        # Its own short write transaction, before the caller's read: creating tables inside a read
        # transaction would have to upgrade it to a write and could fail under concurrent writers.
        with writing(engine).begin() as connection:
            _ensure(connection)
    _ready[engine] = True


def forget_deleted_words(connection: Connection) -> None:
    """SQLite: merge the profiles' index into one segment, which drops the words of deleted rows (FTS5 keeps
    them, marked deleted, until a merge); with `secure_delete` the freed pages are zeroed. For erasure."""
    if connection.dialect.name != "sqlite" or connection.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE name = ?", (PROFILES.name,)).first() is None:
        return
    connection.exec_driver_sql(f"INSERT INTO {PROFILES.name}({PROFILES.name}) VALUES ('optimize')")


def forget_unused_free_text(connection: Connection) -> None:
    """Drop the free-text occupation and skill keys (`text:<words>`) that no profile has any more, from the
    keys' numbers and the facet counts: a person's own words go with their erased profile. A key goes only
    when its counts are there and all at zero (never on a guess); ESCO keys stay, they name nobody."""
    unused = "facet IN ('occupation', 'skill') AND value LIKE :free_text AND n <= 0"
    free_text = {"free_text": "text:%"}
    connection.execute(text(
        f"DELETE FROM {CODES} WHERE key IN (SELECT value FROM {COUNTS} WHERE {unused}) AND NOT EXISTS "
        f"(SELECT 1 FROM {COUNTS} c WHERE c.facet IN ('occupation', 'skill') AND c.value = {CODES}.key AND c.n > 0)"),
        free_text)
    connection.execute(text(f"DELETE FROM {COUNTS} WHERE {unused} AND value NOT IN (SELECT key FROM {CODES})"),
                       free_text)


def rebuild_indexes(session: Session) -> None:
    """Rebuild the SQLite full-text tables from their tables (`opera databank reindex`)."""
    if dialect_of(session) != "sqlite":
        return
    connection = session.connection()
    for index in INDEXES:
        _create(connection, index, replace=True)
    _count_facets(connection)
    _code_competences(connection)


def _ensure(connection: Connection) -> None:
    existing = set(connection.exec_driver_sql(
        "SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')").scalars())
    for index in INDEXES:
        needed = {index.name} | {f"{index.name}_{suffix}" for suffix in ("ai", "ad", "au")}
        if not needed <= existing:
            _create(connection, index, replace=True)
    if not {f"{COUNTS}_{name}_{s}" for name, *_ in COUNT_SETS for s in ("ai", "ad", "au")} <= existing:
        _count_facets(connection)
    if not {f"{CODES}_{table}_{s}" for table in CODED for s in ("ai", "au", "ad")} <= existing:
        _code_competences(connection)


def _create(connection: Connection, index: TextIndex, replace: bool) -> None:
    name, table, key = index.name, index.table.name, index.key
    cols = ", ".join(index.columns)
    new = ", ".join(f"new.{c}" for c in index.columns)
    old = ", ".join(f"old.{c}" for c in index.columns)
    statements = []
    if replace:
        statements += [f"DROP TRIGGER IF EXISTS {name}_{s}" for s in ("ai", "ad", "au")]
        statements.append(f"DROP TABLE IF EXISTS {name}")
    statements += [
        f"CREATE VIRTUAL TABLE {name} USING fts5({cols}, content='{table}', content_rowid='{key}', {index.options})",
        f"CREATE TRIGGER {name}_ai AFTER INSERT ON {table} BEGIN "
        f"INSERT INTO {name}(rowid, {cols}) VALUES (new.{key}, {new}); END",
        f"CREATE TRIGGER {name}_ad AFTER DELETE ON {table} BEGIN "
        f"INSERT INTO {name}({name}, rowid, {cols}) VALUES ('delete', old.{key}, {old}); END",
        f"CREATE TRIGGER {name}_au AFTER UPDATE OF {cols} ON {table} BEGIN "
        f"INSERT INTO {name}({name}, rowid, {cols}) VALUES ('delete', old.{key}, {old}); "
        f"INSERT INTO {name}(rowid, {cols}) VALUES (new.{key}, {new}); END",
        f"INSERT INTO {name}({name}) VALUES ('rebuild')",
    ]
    for statement in statements:
        connection.exec_driver_sql(statement)


def recount_statements() -> list[str]:
    """The statements that count the facets of the whole databank afresh (both databases)."""
    statements = [f"DELETE FROM {COUNTS}"]
    for _name, table, facets, rows in COUNT_SETS:
        where = f" WHERE {rows.format(row=table)}" if rows else ""
        for facet, column in facets.items():
            value = counted_value(column, table)
            statements.append(f"INSERT INTO {COUNTS} (facet, value, n) SELECT '{facet}', {value}, count(*) "
                              f"FROM {table}{where} GROUP BY {value}")
    return statements


def counted_value(column: str, row: str) -> str:
    """The text a count is kept under: the value of `column` (a column, or an expression of `{row}.`'s
    columns) in the row named `row`, '' for none."""
    value = column.format(row=row) if "{row}" in column else f"{row}.{column}"
    return f"coalesce(CAST({value} AS TEXT), '')"


def _columns_read(*parts: str) -> list[str]:
    """The columns that facets and a condition read (names, or `{row}.`-marked expressions; "" for none)."""
    found: list[str] = []
    for part in filter(None, parts):
        names = re.findall(r"\{row\}\.(\w+)", part) if "{row}" in part else [part]
        for name in names:
            if name not in found:
                found.append(name)
    return found


def code_statements(dialect: str) -> list[str]:
    """The statements that number the keys of the competence rows that have no number yet, and list every
    profile's numbers afresh: after a bulk load, or for the rows written before the triggers existed."""
    statements = []
    for table, column in CODED.items():
        statements += [
            f"INSERT INTO {CODES} (key) SELECT DISTINCT key FROM {table} "
            f"WHERE code IS NULL AND key NOT IN (SELECT key FROM {CODES})",
            f"UPDATE {table} SET code = (SELECT c.code FROM {CODES} AS c WHERE c.key = {table}.key) "
            f"WHERE code IS NULL",
            f"UPDATE {PROFILES_TABLE} SET {column} = {_code_list(dialect, table, PROFILES_TABLE + '.id')}",
        ]
    if dialect == "postgresql":  # and on the profiles' search rows (the profiles' triggers may have been off)
        statements.append(models.copy_searched_sql(PROFILES_TABLE))
    return statements


def _code_list(dialect: str, table: str, profile_id: str) -> str:
    """The expression of the list of the numbers of a profile's rows of `table`."""
    if dialect == "postgresql":
        return f"ARRAY(SELECT c.code FROM {table} AS c WHERE c.profile_id = {profile_id} ORDER BY c.code)"
    return f"(SELECT json_group_array(c.code) FROM {table} AS c WHERE c.profile_id = {profile_id})"


def _code_competences(connection: Connection) -> None:
    """SQLite: the triggers that number each competence row's key and list the numbers on its profile, and
    the rows without a number numbered. (AFTER triggers: SQLite's cannot change the row being written.)"""
    statements = []
    for table, column in CODED.items():
        number = (f"INSERT OR IGNORE INTO {CODES} (key) VALUES (new.key); "
                  f"UPDATE {table} SET code = (SELECT code FROM {CODES} WHERE key = new.key) WHERE id = new.id;")

        def listed(row: str) -> str:
            return (f"UPDATE {PROFILES_TABLE} SET {column} = {_code_list('sqlite', table, row + '.profile_id')} "
                    f"WHERE id = {row}.profile_id;")

        name = f"{CODES}_{table}"
        statements += [f"DROP TRIGGER IF EXISTS {name}_{s}" for s in ("ai", "au", "ad")]
        statements += [f"CREATE TRIGGER {name}_ai AFTER INSERT ON {table} BEGIN {number} {listed('new')} END",
                       f"CREATE TRIGGER {name}_au AFTER UPDATE OF key, profile_id ON {table} "
                       f"BEGIN {number} {listed('new')} {listed('old')} END",
                       f"CREATE TRIGGER {name}_ad AFTER DELETE ON {table} BEGIN {listed('old')} END"]
    for statement in statements + code_statements("sqlite"):
        connection.exec_driver_sql(statement)


def _count_facets(connection: Connection) -> None:
    """SQLite: the triggers that keep the facet counts, and the counts afresh. A set of counts of some rows
    only (the catalogue's) adds a row's values when it is one of them, and takes away an old row's when it
    was: a change that brings a row in or out of the set is counted too."""
    statements = []
    for name, table, facets, counted_rows in COUNT_SETS:
        def rows(row: str) -> str:
            return ", ".join(f"('{facet}', {counted_value(column, row)})" for facet, column in facets.items())

        def counted(row: str) -> str:
            return f" AND {counted_rows.format(row=row)}" if counted_rows else ""

        # (a WHERE after the SELECT: SQLite would read ON CONFLICT as a join's ON without one)
        add = (f"INSERT INTO {COUNTS} (facet, value, n) SELECT column1, column2, 1 FROM (VALUES {rows('new')}) "
               f"WHERE true{counted('new')} ON CONFLICT (facet, value) DO UPDATE SET n = n + 1;")
        remove = f"UPDATE {COUNTS} SET n = n - 1 WHERE (facet, value) IN (VALUES {rows('old')}){counted('old')};"
        trigger = f"{COUNTS}_{name}"
        statements += [f"DROP TRIGGER IF EXISTS {trigger}_{s}" for s in ("ai", "ad", "au")]
        statements += [
            f"CREATE TRIGGER {trigger}_ai AFTER INSERT ON {table} BEGIN {add} END",
            f"CREATE TRIGGER {trigger}_ad AFTER DELETE ON {table} BEGIN {remove} END",
            f"CREATE TRIGGER {trigger}_au AFTER UPDATE OF {', '.join(_columns_read(*facets.values(), counted_rows or ''))} "
            f"ON {table} BEGIN {remove} {add} END",
        ]
    for statement in statements + recount_statements():
        connection.exec_driver_sql(statement)
