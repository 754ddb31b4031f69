"""The databank: professional profiles and structural resources left available after crises.

Search, matching, exchange (CSV/XLSX) and the public catalogue, on the engine's database and `Base`.
Imports no web framework: the web UI's `databank` and `public` blueprints are thin shells over it.

    from databank import Databank, search_profiles, search_resources
"""
from .operations import Databank, Saved
from .search import ProfileQuery, ResourceQuery, SearchResult, search_profiles, search_resources

__all__ = ["Databank", "ProfileQuery", "ResourceQuery", "Saved", "SearchResult", "search_profiles",
           "search_resources"]
