"""The Alembic history builds exactly the tables the models declare (on SQLite and PostgreSQL)."""
from __future__ import annotations

import importlib

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from engine.models import Base


def test_migrations_match_the_models(db_engine):
    for module in _model_modules():
        importlib.import_module(module)
    with db_engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == [], diff


def _model_modules() -> list[str]:
    """The model modules migrations/env.py lists (read, not imported: it only runs under Alembic)."""
    import ast
    from pathlib import Path

    source = (Path(__file__).resolve().parent.parent / "migrations" / "env.py").read_text(encoding="utf-8")
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "MODEL_MODULES":
            return ast.literal_eval(node.value)
    raise AssertionError("migrations/env.py lists no MODEL_MODULES")
