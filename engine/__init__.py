"""OPERA Pathways engine: declarative pathways, cases and their event log. Imports no web framework.

    from engine import PathwayLibrary, CaseService, Actor
"""
from .cases import Actor, CaseService, Member, Receipt
from .errors import (
    ConflictError, DocumentRefused, EngineError, FormInvalid, InvalidOperation, NotAllowed, NotFound,
    RequirementsNotMet, Unmet,
)
from .files import FileStore
from .library import PathwayLibrary
from .pathway import Pathway

__all__ = [
    "Actor", "CaseService", "ConflictError", "DocumentRefused", "EngineError", "FileStore", "FormInvalid",
    "InvalidOperation", "Member", "NotAllowed", "NotFound", "Pathway", "PathwayLibrary", "Receipt",
    "RequirementsNotMet", "Unmet",
]
