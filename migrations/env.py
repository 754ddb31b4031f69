"""Alembic environment: one history for the tables of every package (all share engine.models.Base)."""
import importlib

from alembic import context

from engine.db import make_engine
from engine.models import Base

# Each package that declares tables on Base is listed here, so autogenerate sees all of them.
MODEL_MODULES = ["engine.models", "webui.models", "databank.models", "webui.designer.models",
                 "webui.notifications.models", "webui.portal.models", "webui.api.models"]
for module in MODEL_MODULES:
    importlib.import_module(module)

config = context.config
target_metadata = Base.metadata


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
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
