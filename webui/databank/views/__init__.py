"""The `databank` blueprint, for help-desk operators (and a worker's own profile): one module per area.

- `overview.py`: the start page; `listing.py`: search with facets and export;
- `profiles.py`, `resources.py`: an entry's page and form (resources: status, photos and documents), with
  what they share in `entries.py`; `importing.py`: CSV/XLSX import; `pickers.py`: the ESCO pickers;
- `matching.py`: the matching page of a case and reserving resources for it;
- `own_profile.py`: the worker's own profile.

Who may see or change what is decided by the databank (`databank.operations`): these views pass the actor
of the request and turn refusals into pages. An operator of another desk sees a resource read-only and a
profile without its personal part (unless the worker consented); workers, mentors and designers have
nothing here (403); a case one may not manage answers 404.
"""
from __future__ import annotations

from flask import Blueprint

from engine import policy

bp = Blueprint("databank", __name__, template_folder="../templates")
ROLES = policy.AREAS["databank"]

from . import (  # noqa: E402,F401 - the routes
    importing, listing, matching, overview, own_profile, pickers, profiles, resources,
)

__all__ = ["ROLES", "bp"]
