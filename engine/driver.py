"""Prebuilt statements run straight on the database driver, for the engine's hot path.

A SQLAlchemy Core execution costs about a hundred microseconds of Python around a statement that SQLite runs
in ten; an engine operation runs four or five of them. `DriverStatement` compiles a Core statement once per
dialect (and per set of inserted columns), then binds values with the columns' own type processors, runs it
on the connection's DBAPI cursor — in the transaction SQLAlchemy opened — and reads rows back through the
columns' result processors. Values stored and read are exactly what SQLAlchemy would store and read (JSON,
timezone-aware timestamps); driver errors come back as SQLAlchemy's exceptions (`IntegrityError`...).

Only for plain statements the engine repeats (no ORM, no events hooked on statements).
"""
from __future__ import annotations

import itertools
import re
import threading
from collections import namedtuple
from typing import Any, Callable, Iterable, Sequence

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.sql.util import find_tables
from sqlalchemy.sql.visitors import replacement_traverse


_PLAN_IDS = itertools.count(1)
_PYFORMAT = re.compile(r"%\((\w+)\)s|%%")


class _Plan:
    """One statement compiled for one dialect: its SQL, how to bind its parameters, how to read its rows."""

    __slots__ = ("sql", "positional", "names", "binders", "constants", "row_type", "readers", "slots", "processed",
                 "keys", "unread", "writes", "table", "ident", "prepared", "arguments")

    def __init__(self, statement: ClauseElement, dialect: Any, keys: Sequence[str] | None,
                 encoded: frozenset[str] = frozenset()):
        compiled = statement.compile(dialect=dialect, column_keys=list(keys) if keys is not None else None)
        self.sql = compiled.string
        generated = [c.key for c in (*compiled.insert_prefetch, *compiled.update_prefetch)
                     if keys is None or c.key not in keys]
        if generated:
            # Python-side defaults are computed by SQLAlchemy's execution context, which this path skips.
            raise ValueError(f"give every value: {', '.join(generated)} would need a default computed in Python")
        self.positional = bool(compiled.positional)
        self.names: list[str] = list(compiled.positiontup) if self.positional else list(compiled.binds)
        self.binders: dict[str, Callable[[Any], Any] | None] = {}
        self.constants: dict[str, Any] = {}
        for name in self.names:
            bind = compiled.binds[name]
            self.binders[name] = (None if name in encoded
                                  else bind.type.dialect_impl(dialect).bind_processor(dialect))
            if bind.value is not None or not bind.required:
                # Values written in the statement itself (e.g. kind == "worker").
                self.constants[name] = bind.effective_value
        # Flattened once, for the loops below that run on every statement.
        self.slots = [(name, self.binders[name], self.constants.get(name)) for name in self.names]
        columns = list(getattr(statement, "exported_columns", []) or [])
        self.row_type = _row_type([c.key for c in columns]) if columns else None
        self.readers = [c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns]
        self.processed = [(i, reader) for i, reader in enumerate(self.readers) if reader is not None]
        self.keys = [c.key for c in columns]
        self.unread = {c.key: reader for c, reader in zip(columns, self.readers) if reader is not None}
        # What a statement changes: the table an INSERT, UPDATE or DELETE writes (None for a SELECT).
        self.writes = bool(getattr(statement, "is_dml", False))
        table = getattr(statement, "table", None) if self.writes else None
        self.table = getattr(table, "name", None)
        self.ident = next(_PLAN_IDS)
        self.prepared: str | None = None  # the SQL prepared on a connection (PostgreSQL), see `prepare`

    def prepare(self) -> str:
        """PostgreSQL: the statement as it is prepared ($1, $2... for its named parameters, each bound
        with the type cast SQLAlchemy writes after it), and, in `arguments`, the names in that order."""
        if self.prepared is None:
            order: list[str] = []

            def number(match: re.Match) -> str:
                if match.group(0) == "%%":
                    return "%"
                if match.group(1) not in order:
                    order.append(match.group(1))
                return f"${order.index(match.group(1)) + 1}"

            sql = _PYFORMAT.sub(number, self.sql)
            self.arguments = tuple(order)
            self.prepared = sql
        return self.prepared

    def parameters(self, values: dict[str, Any]) -> Any:
        get = values.get
        bound = [get(name, constant) if binder is None else binder(get(name, constant))
                 for name, binder, constant in self.slots]
        return bound if self.positional else dict(zip(self.names, bound))

    def row(self, raw: Sequence[Any]) -> Any:
        if not self.processed:
            return self.row_type._make(raw)
        values = list(raw)
        for i, reader in self.processed:
            if values[i] is not None:  # every reader gives None back for None
                values[i] = reader(values[i])
        return self.row_type._make(values)


def _row_type(names: list[str]) -> type:
    """Rows read like SQLAlchemy's: by attribute, by position, and as a mapping (`row._mapping`)."""
    base = namedtuple("Row", names, rename=True)
    return type("Row", (base,), {"__slots__": (), "_mapping": property(lambda row: row._asdict())})


class DriverStatement:
    """A Core statement, compiled once per dialect and column set, executed on the driver's cursor."""

    def __init__(self, statement: ClauseElement, *, encoded: Iterable[str] = ()):
        """`encoded`: JSON columns whose values are given as JSON text, bound as they are (the caller
        encoded them once for another use too; both databases take the text for a JSON column)."""
        self.inserts = statement.is_insert if hasattr(statement, "is_insert") else False
        if self.inserts and not list(statement.exported_columns):
            # An INSERT that returns nothing: nor the new row's key, which PostgreSQL would send back unread.
            statement = statement.inline()
        self.statement = statement
        self.encoded = frozenset(encoded)
        self._plans: dict[tuple[str, tuple[str, ...] | None], _Plan] = {}
        self._lock = threading.Lock()

    def _plan(self, connection: Connection, keys: tuple[str, ...] | None) -> _Plan:
        key = (connection.dialect.name, keys)
        plan = self._plans.get(key)
        if plan is None:
            with self._lock:
                plan = self._plans.get(key) or _Plan(self.statement, connection.dialect, keys, self.encoded)
                self._plans[key] = plan
        return plan

    def plan(self, connection: Any, values: dict[str, Any], columns: Iterable[str] | None = None) -> tuple[_Plan, Any]:
        """The compiled statement for this connection's dialect and its bound parameters."""
        if columns is None and self.inserts:
            columns = values  # an INSERT sets the columns it is given
        plan = self._plan(connection, tuple(columns) if columns is not None else None)
        return plan, plan.parameters(values)

    def execute(self, connection: Connection, values: dict[str, Any], *, columns: Iterable[str] | None = None) -> Any:
        """Run the statement with `values`; `columns`: the columns an INSERT or UPDATE sets (by default the
        statement's own). Returns a result whose rows are read with `first()`, `all()` or `scalar()`.
        In an operation's transaction (engine/db.py `DriverTransaction`) the transaction sends it, with the
        writes it holds back before it, or answers it from rows it read ahead."""
        kept = getattr(connection, "kept_rows", None) if columns is None else None
        if kept is not None:
            rows = kept(self, values)
            if rows is not None:
                return rows
        plan, parameters = self.plan(connection, values, columns)
        send = getattr(connection, "run_plan", None)
        if send is not None:
            return send(plan, parameters)
        return execute_plan(connection.connection.dbapi_connection, connection.dialect, plan, parameters)

    def run(self, connection: Connection, values: dict[str, Any], *, columns: Iterable[str] | None = None) -> int:
        """Run a statement that returns no rows; the number of rows it changed."""
        result = self.execute(connection, values, columns=columns)
        count = result.rowcount
        result.close()
        return count

    def write(self, connection: Connection, values: dict[str, Any], *, columns: Iterable[str] | None = None,
              refused: Exception | None = None) -> None:
        """Run an INSERT, UPDATE or DELETE whose outcome the caller does not read. In an operation's
        transaction on PostgreSQL it is held back and sent with the transaction's next statement or its
        COMMIT, in one round trip; elsewhere it runs now. `refused`: what to raise instead when the database
        refuses the row (a unique or foreign key constraint, `IntegrityError`): nothing of the transaction
        is then kept, wherever it was sent."""
        plan, parameters = self.plan(connection, values, columns)
        hold = getattr(connection, "hold_plan", None)
        if hold is not None:
            hold(plan, parameters, refused)
            return
        run_write(connection.connection.dbapi_connection, connection.dialect, plan, parameters, refused)

    def first(self, connection: Connection, values: dict[str, Any]) -> Any:
        return self.execute(connection, values).first()

    def all(self, connection: Connection, values: dict[str, Any]) -> list[Any]:
        return self.execute(connection, values).all()


def run_write(driver: Any, dialect: Any, plan: _Plan, parameters: Any, refused: Exception | None) -> None:
    """Run a write now; `refused` instead of a constraint's `IntegrityError` (when given)."""
    try:
        execute_plan(driver, dialect, plan, parameters).close()
    except IntegrityError:
        if refused is None:
            raise
        raise refused from None


def execute_plan(driver: Any, dialect: Any, plan: _Plan, parameters: Any) -> "_Result":
    """Run one compiled statement on a DBAPI connection; driver errors as SQLAlchemy's exceptions."""
    cursor = driver.cursor()
    try:
        cursor.execute(plan.sql, parameters)
    except dialect.loaded_dbapi.Error as error:
        cursor.close()
        raise DBAPIError.instance(plan.sql, parameters, error, dialect.loaded_dbapi.Error,
                                  dialect=dialect) from error
    return _Result(cursor, plan)


def kept_key(statement: "DriverStatement", values: dict[str, Any]) -> tuple[Any, frozenset]:
    """Where a transaction keeps the rows a statement read with these values (engine/db.py
    `DriverTransaction`); TypeError for a value that cannot be a key (a list, a JSON value)."""
    return statement, frozenset(values.items())


class ReadAhead:
    """A read an operation is about to make, sent with its version claim in one round trip (PostgreSQL):
    `statement`, whose parameters named in `from_case` are the claimed case row's values, read there by the
    database (`from_case`: parameter -> (case column, the SQL that reads it, e.g. a scalar subquery)). Its
    rows are then kept under the statement and the parameters the operation will run it with."""

    def __init__(self, statement: DriverStatement, from_case: dict[str, tuple[str, ClauseElement]] | None = None):
        self.statement = statement
        self.columns = {name: column for name, (column, _sql) in (from_case or {}).items()}
        self.tables = frozenset(table.name for table in find_tables(statement.statement))  # what it reads
        replacements = {name: sql for name, (_column, sql) in (from_case or {}).items()}
        if not replacements:
            self.sent = statement
            return

        def replace(element: Any) -> Any:
            if isinstance(element, BindParameter) and element.key in replacements:
                return replacements[element.key]
            return None

        self.sent = DriverStatement(replacement_traverse(statement.statement, {}, replace))

    def values(self, given: dict[str, Any], case: dict[str, Any]) -> dict[str, Any]:
        """The parameters the read ran with: those given, and those of the case row `case`."""
        return {**given, **{name: case[column] for name, column in self.columns.items()}} if self.columns else given


class _Result:
    """The rows of a statement, read from its cursor."""

    __slots__ = ("cursor", "plan")

    def __init__(self, cursor: Any, plan: _Plan):
        self.cursor = cursor
        self.plan = plan

    def first(self) -> Any:
        try:
            raw = self.cursor.fetchone()
            return None if raw is None else self.plan.row(raw)
        finally:
            self.cursor.close()

    def all(self) -> list[Any]:
        try:
            return [self.plan.row(raw) for raw in self.cursor.fetchall()]
        finally:
            self.cursor.close()

    def first_unread(self) -> tuple[dict[str, Any], dict[str, Callable[[Any], Any]]] | None:
        """The first row as the driver gives it, by column, and the readers still to apply to some of its
        values (each gives None back for None): for a row of which a caller reads only a few columns."""
        try:
            raw = self.cursor.fetchone()
        finally:
            self.cursor.close()
        return None if raw is None else (dict(zip(self.plan.keys, raw)), dict(self.plan.unread))

    def scalar(self) -> Any:
        row = self.first()
        return None if row is None else row[0]

    @property
    def rowcount(self) -> int:
        return self.cursor.rowcount

    def close(self) -> None:
        self.cursor.close()


class Rows:
    """The rows of a statement already read (several statements sent in one round trip), read like `_Result`."""

    __slots__ = ("plan", "raw", "rowcount")

    def __init__(self, plan: _Plan, raw: Sequence[Any], rowcount: int = -1):
        self.plan = plan
        self.raw = raw
        self.rowcount = rowcount

    def first(self) -> Any:
        return self.plan.row(self.raw[0]) if self.raw else None

    def all(self) -> list[Any]:
        return [self.plan.row(raw) for raw in self.raw]

    def first_unread(self) -> tuple[dict[str, Any], dict[str, Callable[[Any], Any]]] | None:
        return (dict(zip(self.plan.keys, self.raw[0])), dict(self.plan.unread)) if self.raw else None

    def scalar(self) -> Any:
        row = self.first()
        return None if row is None else row[0]

    def close(self) -> None:
        pass
