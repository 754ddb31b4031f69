"""The databank area for help-desk operators: profiles and structural resources, search, import/export,
matching from a case."""
