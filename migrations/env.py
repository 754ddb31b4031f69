"""Alembic environment: one history for the tables of every package (all share engine.models.Base)."""
import importlib

from alembic import context

from engine.db import WRITES, make_engine
from engine.models import Base

# Each package that declares tables on Base is listed here, so autogenerate sees all of them.
MODEL_MODULES = ["engine.models", "webui.models", "databank.models", "webui.designer.models",
                 "webui.notifications.models", "webui.portal.models", "webui.api.models", "webui.dossier.models"]
for module in MODEL_MODULES:
    importlib.import_module(module)

config = context.config
target_metadata = Base.metadata
# `opera db upgrade` run several times at once (by hand, by several servers starting): one upgrades, the
# others wait for it and then find the schema up to date. PostgreSQL: this advisory lock; SQLite: the
# database's write lock, taken as the upgrade's one transaction begins (BEGIN IMMEDIATE).
UPGRADE_LOCK_KEY = 0x4F50455241  # "OPERA"
UPGRADE_WAIT_SECONDS = 600


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = config.attributes.get("connection")
    if connectable is not None:
        _run(connectable)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _run(connection) -> None:  # noqa: ANN001
    if connection.in_transaction():  # the caller's transaction: the caller decides
        _migrate(connection)
        return
    if connection.dialect.name == "sqlite":
        # Straight to the driver (no transaction begins): wait as long as another upgrade may take.
        connection.connection.driver_connection.execute(f"PRAGMA busy_timeout = {UPGRADE_WAIT_SECONDS * 1000}")
        connection.execution_options(**{WRITES: True})
    # The whole upgrade is one transaction (DDL is transactional on both databases): all of it or nothing.
    with connection.begin():
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SET LOCAL lock_timeout = '{UPGRADE_WAIT_SECONDS}s'")
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({UPGRADE_LOCK_KEY})")
        _migrate(connection)


def _migrate(connection) -> None:  # noqa: ANN001
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
