"""Read-only questions about cases: the timeline, due and overdue cases, counts per desk/pathway/stage."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Iterable

from sqlalchemy import Boolean, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from .i18n import localize, message
from .models import Case, Event, utcnow
from .policy import STAFF_ROLES


@dataclass(frozen=True)
class TimelineEntry:
    seq: int
    at: datetime
    type: str
    actor_id: str
    stage_id: str | None
    text: str
    data: dict[str, Any]


def timeline(session: Session, case_id: int, lang: str = "en",
             name_of: Callable[[str], str] | None = None) -> list[TimelineEntry]:
    """The events of a case, oldest first, each in a readable sentence in `lang`."""
    name_of = name_of or (lambda person_id: person_id)
    events = session.scalars(select(Event).where(Event.case_id == case_id).order_by(Event.seq))
    return [TimelineEntry(e.seq, e.at, e.type, e.actor_id, e.stage_id, describe_event(e, lang, name_of), e.data)
            for e in events]


def describe_event(event: Event, lang: str, name_of: Callable[[str], str]) -> str:
    d = event.data or {}
    member = d.get("member")
    params: dict[str, Any] = {
        "actor": name_of(event.actor_id),
        "label": localize(d.get("label"), lang) if isinstance(d.get("label"), dict) else d.get("label", ""),
        "for_member": message("event.for_member", lang, member=name_of(member)) if member and not d.get("cause")
        else "",
        "filename": d.get("filename", ""),
        "reason": d.get("reason", ""),
        "pathway": localize(d.get("pathway_title"), lang) or d.get("pathway", ""),
        "previous_case": d.get("previous_case", ""),
        "new_case": d.get("new_case", ""),
        "revision": d.get("version", ""),
        "from_stage": localize(d.get("from_label"), lang),
        "to_stage": localize(d.get("to_label"), lang),
        "exit": localize(d.get("exit_label"), lang),
        "outcome": message("outcome." + d["outcome"], lang) if d.get("outcome") else "",
        "agreement": message("choice.agrees" if d.get("agrees") else "choice.differs", lang),
        "person": name_of(d["person"]) if d.get("person") else "",
        "on_behalf": message("event.on_behalf", lang, person=name_of(d["on_behalf_of"]), evidence=d.get("evidence", ""))
        if d.get("recorded_by") else "",
        "decision": message("decision." + d["decision"], lang) if d.get("decision") else "",
        "comment": d.get("comment", ""),
        "organisation": d.get("organisation", ""),
        "name": d.get("name", ""),
        "role": localize(d.get("role_label"), lang) or d.get("role", ""),
    }
    kind = event.type
    if d.get("cause"):  # a hold with a known cause (a withdrawn consent)
        params["reason"] = message("cause." + d["cause"], lang, member=name_of(member) if member else "")
    if kind == "closed" and d.get("reason") == "person_erased":
        params["reason"] = message("cause.person_erased", lang)
    if kind == "reopened" and d.get("closed_outcome"):
        kind = "reopened_closed"
        params["outcome"] = message("outcome." + d["closed_outcome"], lang)
    if kind == "case_opened" and d.get("previous_case"):
        kind = "continued_from"
    if kind == "advanced" and d.get("outcome") and not d.get("to"):
        params["to_stage"] = params["outcome"] if not d.get("pathway") else params["pathway"]
    text = message("event." + kind, lang, **params)
    if d.get("lapsed_signoffs"):
        lapsed = ", ".join(f"'{localize(s.get('label'), lang)}' ({name_of(s.get('actor', ''))})"
                           for s in d["lapsed_signoffs"])
        text += " " + message("event.signoffs_lapsed", lang, signoffs=lapsed)
    return text


def overdue(session: Session, now: datetime | None = None, desks: Iterable[str] | None = None) -> list[Case]:
    """Active cases whose current stage is past its due date, most overdue first."""
    now = now or utcnow()
    query = select(Case).where(Case.status == "active", Case.due_at.is_not(None), Case.due_at < now)
    if desks is not None:
        query = query.where(Case.desk_id.in_(list(desks)))
    return list(session.scalars(query.order_by(Case.due_at)))


def due_between(session: Session, start: datetime, end: datetime, desks: Iterable[str] | None = None) -> list[Case]:
    """Active cases whose due date falls in [start, end) — for reminders."""
    query = select(Case).where(Case.status == "active", Case.due_at >= start, Case.due_at < end)
    if desks is not None:
        query = query.where(Case.desk_id.in_(list(desks)))
    return list(session.scalars(query.order_by(Case.due_at)))


def counts(session: Session, desks: Iterable[str] | None = None, status: str | None = "active"
           ) -> dict[tuple[str, str, str], int]:
    """Number of cases per (desk, pathway, stage)."""
    query = select(Case.desk_id, Case.pathway_id, Case.stage_id, func.count()).group_by(
        Case.desk_id, Case.pathway_id, Case.stage_id)
    if status is not None:
        query = query.where(Case.status == status)
    if desks is not None:
        query = query.where(Case.desk_id.in_(list(desks)))
    return {(desk, pathway, stage): n for desk, pathway, stage, n in session.execute(query)}


class selective(FunctionElement):  # noqa: N801 - used like a function in a query
    """A condition few rows meet, such as a recent window of time: an index on its column should be read rather
    than the rows another condition picks. PostgreSQL's planner knows it from its statistics; SQLite's keeps
    none of a column's values and guesses that a range keeps a quarter of the rows, so it is told."""

    type = Boolean()
    inherit_cache = True
    name = "selective"
    _is_implicitly_boolean = True  # a condition as it is, not compared with 1 where booleans are integers


@compiles(selective)
def _selective(element: selective, compiler: Any, **kw: Any) -> str:
    return compiler.process(list(element.clauses)[0], **kw)


@compiles(selective, "sqlite")
def _selective_sqlite(element: selective, compiler: Any, **kw: Any) -> str:
    # likelihood(X, P) is X, with P the share of rows the planner takes it to keep.
    return f"likelihood({compiler.process(list(element.clauses)[0], **kw)}, 0.000001)"


class news_event(FunctionElement):  # noqa: N801 - used like a function in a query
    """Whether an event is news to the staff of its case (My work, and its count in every page's navigation):
    a sign-off, a decision recorded for someone, or anything done by someone who held no staff role when
    acting (a worker, a party), as the event's own `actor_roles` say. Its SQL holds its constants, not
    parameters, so that it is the condition of the partial index of such events (the web UI's
    `ix_events_news`): the databases read that index only for a query that says the same."""

    type = Boolean()
    inherit_cache = True
    name = "news_event"
    _is_implicitly_boolean = True

    def __init__(self) -> None:
        # The columns as clauses, so that each statement writes them its own way (the index's DDL unqualified).
        super().__init__(Event.type, Event.data, Event.actor_roles)


def _news_event_sql(element: news_event, compiler: Any, decision: str, **kw: Any) -> str:
    type_, data, roles = (compiler.process(column, **kw) for column in element.clauses)
    # A literal % is written %% where the driver reads % as a parameter's mark (SQLAlchemy knows when).
    by_staff = " OR ".join(compiler.post_process_text(f"CAST({roles} AS TEXT) LIKE '%\"{role}\"%'")
                           for role in STAFF_ROLES)
    return f"({type_} = 'signed_off' OR {decision.format(data)} IS NOT NULL OR NOT ({by_staff}))"


@compiles(news_event)
def _news_event(element: news_event, compiler: Any, **kw: Any) -> str:
    return _news_event_sql(element, compiler, "({} ->> 'decision')", **kw)


@compiles(news_event, "sqlite")
def _news_event_sqlite(element: news_event, compiler: Any, **kw: Any) -> str:
    return _news_event_sql(element, compiler, "json_extract({}, '$.decision')", **kw)
