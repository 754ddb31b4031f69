"""The query arguments of the profile and resource lists: what they filter, and the links of the facets
(each adds its value to the query, or takes it away when it is already there)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from databank.search import MAX_PER_PAGE, ProfileQuery, ResourceQuery
from engine.numbers import read_number

from ..i18n import lang

# Each facet of a list (its name in the URL, in the order the page shows them) and the field of the databank's
# query that its chosen values fill.
PROFILE_FACETS = {"occupation": "occupations", "skill": "skills", "region": "regions", "province": "provinces",
                  "supply_chain": "supply_chains", "availability": "availability", "mobility": "mobility",
                  "desk": "desks"}
RESOURCE_FACETS = {"category": "categories", "status": "statuses", "region": "regions", "province": "provinces",
                   "supply_chain": "supply_chains", "offer": "offers", "condition": "conditions",
                   "size_band": "size_bands", "desk": "desks"}
PROFILE_SORTS = ("recent", "experience")
RESOURCE_SORTS = ("recent", "surface")
MAX_VALUES = 20  # per facet: a longer query is someone playing, not an operator clicking


@dataclass
class ListArgs:
    """The arguments of one list page, read from the URL; `errors` says which numbers could not be read."""

    kind: str  # profiles / resources
    text: str = ""
    values: dict[str, list[str]] = field(default_factory=dict)
    numbers: dict[str, str] = field(default_factory=dict)
    sort: str = "recent"
    page: int = 1
    errors: list[str] = field(default_factory=list)

    @classmethod
    def read(cls, kind: str, args: MultiDict) -> ListArgs:
        facets = PROFILE_FACETS if kind == "profiles" else RESOURCE_FACETS
        numbers = ("min_years",) if kind == "profiles" else ("min_surface", "max_surface")
        sorts = PROFILE_SORTS if kind == "profiles" else RESOURCE_SORTS
        out = cls(kind, text=" ".join((args.get("q") or "").split())[:200])
        for name in facets:
            chosen = [v for v in dict.fromkeys(args.getlist(name)) if v][:MAX_VALUES]
            if chosen:
                out.values[name] = chosen
        for name in numbers:
            value = (args.get(name) or "").strip()
            if value:
                out.numbers[name] = value
        out.sort = args.get("sort") if args.get("sort") in sorts else "recent"
        try:
            out.page = max(1, min(int(args.get("page", "1")), 10_000))
        except ValueError:
            out.page = 1
        return out

    def _number(self, name: str, whole: bool) -> Any:
        value = self.numbers.get(name)
        if value is None:
            return None
        try:
            number = read_number(value, lang())
            if number < 0 or (whole and not isinstance(number, int)):
                raise ValueError
            return number
        except ValueError:
            message = _("'%(value)s' is not a whole number: this filter was left out.", value=value) if whole \
                else _("'%(value)s' is not a number: this filter was left out.", value=value)
            self.errors.append(message)
            return None

    def query(self, per_page: int) -> ProfileQuery | ResourceQuery:
        """The search these arguments ask for, of the list's kind."""
        return self.profile_query(per_page) if self.kind == "profiles" else self.resource_query(per_page)

    def profile_query(self, per_page: int) -> ProfileQuery:
        return ProfileQuery(text=self.text, **self._chosen(PROFILE_FACETS), min_years=self._number("min_years", True),
                            sort=self.sort, page=self.page, per_page=min(per_page, MAX_PER_PAGE))

    def resource_query(self, per_page: int) -> ResourceQuery:
        return ResourceQuery(text=self.text, **self._chosen(RESOURCE_FACETS),
                             min_surface=self._number("min_surface", False),
                             max_surface=self._number("max_surface", False),
                             sort=self.sort, page=self.page, per_page=min(per_page, MAX_PER_PAGE))

    def _chosen(self, facets: dict[str, str]) -> dict[str, tuple[str, ...]]:
        """The values chosen in each facet, under the name of the query's field."""
        return {query_field: tuple(self.values.get(name, ())) for name, query_field in facets.items()}

    # --- links ---------------------------------------------------------------------------------------

    def args(self, **changes: Any) -> MultiDict:
        """The query arguments of this page, with some changed (a value of None removes one)."""
        pairs: list[tuple[str, str]] = []
        if self.text:
            pairs.append(("q", self.text))
        for name, chosen in self.values.items():
            pairs.extend((name, v) for v in chosen)
        pairs.extend(self.numbers.items())
        if self.sort != "recent":
            pairs.append(("sort", self.sort))
        if self.page != 1:
            pairs.append(("page", str(self.page)))
        out = MultiDict(pairs)
        for name, value in changes.items():
            out.poplist(name)
            if value is not None:
                out.setlist(name, value if isinstance(value, list) else [str(value)])
        return out

    def toggled(self, name: str, code: str) -> MultiDict:
        """The arguments with a facet value added, or removed when chosen already; back to page one."""
        chosen = list(self.values.get(name, []))
        chosen = [c for c in chosen if c != code] if code in chosen else chosen + [code]
        return self.args(**{name: chosen, "page": None})

    def chosen(self, name: str, code: str) -> bool:
        return code in self.values.get(name, [])

    @property
    def filtered(self) -> bool:
        return bool(self.text or self.values or self.numbers)
