"""The desk page's list: filters, text search, sorting and pagination over the cases of one desk."""
from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import String, cast, func, or_, select
from sqlalchemy.orm import Session

from engine.models import Case, CaseMember
from engine.policy import mentor_cases_clause

SORT_COLUMNS = {
    "due": Case.due_at, "opened": Case.opened_at, "stage_entered": Case.stage_entered_at,
    "title": Case.title, "id": Case.id,
}
# The order a column header starts with when clicked: what one most likely wants first.
FIRST_ORDER = {"due": "asc", "opened": "desc", "stage_entered": "asc", "title": "asc", "id": "desc"}
# What a saved filter keeps: everything but the name search (no worker's name is stored) and the page.
SAVED_KEYS = ("pathway", "stage", "status", "supply_chain", "mentor", "overdue", "sort", "order")


@dataclass
class Filters:
    q: str = ""
    pathway: str = ""
    stage: str = ""
    status: str = "open"
    supply_chain: str = ""
    mentor: str = ""
    overdue: bool = False
    sort: str = "due"
    order: str = "asc"
    page: int = 1

    @classmethod
    def from_args(cls, args: Any) -> "Filters":
        def pick(name: str, default: str = "") -> str:
            return (args.get(name) or default).strip()[:200]

        try:
            page = max(1, min(int(args.get("page", 1)), 100000))
        except (TypeError, ValueError):
            page = 1
        sort = pick("sort", "due")
        order = pick("order", "asc")
        if ":" in sort:  # the sort menu's one value, e.g. "opened:desc"
            sort, order = sort.split(":", 1)
        status = pick("status", "open")
        return cls(q=pick("q")[:100], pathway=pick("pathway"), stage=pick("stage"),
                   status=status if status in ("open", "active", "on_hold", "closed", "all") else "open",
                   supply_chain=pick("supply_chain"), mentor=pick("mentor"), overdue=args.get("overdue") == "1",
                   sort=sort if sort in SORT_COLUMNS else "due", order=order if order in ("asc", "desc") else "asc",
                   page=page)

    def args(self, **changes: Any) -> dict[str, Any]:
        """The query string of these filters, with some changed (for links: pages, sorting, counts)."""
        values = {"q": self.q, "pathway": self.pathway, "stage": self.stage, "status": self.status,
                  "supply_chain": self.supply_chain, "mentor": self.mentor, "overdue": "1" if self.overdue else "",
                  "sort": self.sort, "order": self.order, "page": self.page}
        values.update(changes)
        return {k: v for k, v in values.items() if v not in ("", None, 1) or k == "status"}

    def sorted_by(self, column: str) -> dict[str, Any]:
        """The query string of a column header's link: this column, or the other order if it is the current."""
        if self.sort == column:
            order = "desc" if self.order == "asc" else "asc"
        else:
            order = FIRST_ORDER[column]
        return self.args(sort=column, order=order, page=1)

    def aria_sort(self, column: str) -> str:
        if self.sort != column:
            return "none"
        return "ascending" if self.order == "asc" else "descending"

    def saved(self) -> dict[str, str]:
        """What a saved filter keeps of these filters."""
        args = self.args()
        return {k: str(args[k]) for k in SAVED_KEYS if k in args}

    @property
    def more_used(self) -> bool:
        """A filter of the folded panel is in use (the panel opens)."""
        return bool(self.pathway or self.stage or self.supply_chain or self.mentor)


@dataclass
class ListedCase:
    """What a row of the desk list shows of a case: its columns, and its members (workers and mentors)."""

    id: int
    title: str
    revision_id: int
    stage_id: str
    status: str
    outcome: str | None
    due_at: datetime | None
    members: list[Any] = field(default_factory=list)  # (person_id, kind, display_name) rows, in order


LISTED_COLUMNS = (Case.id, Case.title, Case.revision_id, Case.stage_id, Case.status, Case.outcome, Case.due_at)
MEMBER_COLUMNS = (CaseMember.person_id, CaseMember.kind, CaseMember.display_name)
ListedMember = namedtuple("ListedMember", ("case_id", "person_id", "kind", "display_name"))


@dataclass
class Page:
    cases: list[ListedCase]
    total: int
    page: int
    pages: int


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def desk_query(desk_id: str, f: Filters, now: datetime):  # noqa: ANN201
    conditions = [Case.desk_id == desk_id]
    if f.status == "open":
        conditions.append(Case.status.in_(("active", "on_hold")))
    elif f.status != "all":
        conditions.append(Case.status == f.status)
    if f.pathway:
        conditions.append(Case.pathway_id == f.pathway)
    if f.stage:
        conditions.append(Case.stage_id == f.stage)
    if f.overdue:
        conditions.extend((Case.status == "active", Case.due_at.is_not(None), Case.due_at < now))
    if f.supply_chain:
        # JSON list stored as text on both SQLite and PostgreSQL: look for the quoted value.
        conditions.append(cast(Case.supply_chains, String).like(f'%"{_like_escape(f.supply_chain)}"%', escape="\\"))
    if f.mentor:
        conditions.append(mentor_cases_clause(f.mentor))
    query = select(Case).where(*conditions)
    if f.q:
        pattern = f"%{_like_escape(f.q.lower())}%"
        # The workers' names are searched among the cases the other filters keep, not among every member of
        # the region: PostgreSQL would otherwise hash the names matching anywhere (tens of thousands for a
        # common name) to test a desk's few hundred cases.
        kept = select(Case.id).where(*conditions).correlate(None)  # a set of its own, not the outer row
        worker_match = Case.id.in_(select(CaseMember.case_id).where(
            CaseMember.case_id.in_(kept), CaseMember.kind == "worker",
            func.lower(CaseMember.display_name).like(pattern, escape="\\")))
        query = query.where(or_(worker_match, func.lower(Case.title).like(pattern, escape="\\")))
    return query


def desk_page(session: Session, desk_id: str, f: Filters, page_size: int, now: datetime,
              visible: Any = None) -> Page:
    """One page of the desk's cases; `visible`: the access policy's condition, so that the list and its count
    hold only what the user may see."""
    query = desk_query(desk_id, f, now)
    if visible is not None:
        query = query.where(visible)
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    pages = max(1, -(-total // page_size))
    page = min(f.page, pages)
    column = SORT_COLUMNS[f.sort]
    ordered = column.asc() if f.order == "asc" else column.desc()
    if f.sort == "due":
        # Cases without a due date (closed, stages without deadline) come last either way.
        order = (Case.due_at.is_(None), ordered, Case.id)
    else:
        order = (ordered, Case.id)
    # The page's ids first (sorted from the index where it can), then only those rows with their members,
    # as plain rows: the list only shows them.
    ids = list(session.scalars(query.with_only_columns(Case.id).order_by(*order)
                               .limit(page_size).offset((page - 1) * page_size)))
    if not ids:
        return Page([], total, page, pages)
    # One statement: each case's row once per member (with none, once alone), its members in their order.
    by_id: dict[int, ListedCase] = {}
    width = len(LISTED_COLUMNS)
    for row in session.execute(select(*LISTED_COLUMNS, *MEMBER_COLUMNS)
                               .outerjoin(CaseMember, CaseMember.case_id == Case.id).where(Case.id.in_(ids))
                               .order_by(Case.id, CaseMember.position)):
        listed = by_id.get(row[0])
        if listed is None:
            listed = by_id[row[0]] = ListedCase(*row[:width])
        if row[width] is not None:
            listed.members.append(ListedMember(row[0], *row[width:]))
    return Page([by_id[i] for i in ids if i in by_id], total, page, pages)
