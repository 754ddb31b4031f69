"""OPERA Pathways engine: declarative pathways, cases and their event log. Imports no web framework.

    from engine import PathwayLibrary, CaseService, Actor

The names are imported when first used, so that checking files (engine.checking) loads no database layer.
"""
from __future__ import annotations

from importlib import import_module
from typing import Any

_WHERE = {
    "Actor": ".cases", "CaseService": ".cases", "Member": ".cases", "Receipt": ".cases",
    "ConflictError": ".errors", "DocumentRefused": ".errors", "EngineError": ".errors", "FormInvalid": ".errors",
    "InvalidOperation": ".errors", "NotAllowed": ".errors", "NotFound": ".errors", "RequirementsNotMet": ".errors",
    "Unmet": ".errors",
    "FileStore": ".files", "PathwayLibrary": ".library", "Pathway": ".pathway",
}
__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'engine' has no attribute {name!r}")
    value = getattr(import_module(_WHERE[name], __name__), name)
    globals()[name] = value
    return value
