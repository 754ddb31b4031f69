"""`opera check`: prove that the stored state is what the logs say, and that the logs were not rewritten.

- Every case is replayed from its events (stage, visit, status, outcome, version, checklist ticks, documents,
  form data, sign-offs) and compared with its rows.
- Both hash chains are verified: each case's events (engine/events.py) and each audit subject's entries
  (engine/audit.py); a chain cut at its end shows as a case version ahead of its last event.
- Every document row that keeps its file has it in the FileStore (with its size), and every stored file has
  a row; the files of erased documents are gone; temporary files left by a crash are reported too
  (engine/files.py).

Each problem says where it is (a case and an event `seq`, an audit subject and entry, a file hash) and what
differs. `repair` removes what a crash can leave behind in the store and nothing else: stale temporary files
and files no row refers to (older than `STALE_AFTER`: younger ones may belong to an upload under way).
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator

from sqlalchemy import Connection, Engine, select

from .audit import AUDIT, chain_hash, entry_payload
from .events import row_hash
from .files import STALE_AFTER, FileStore, file_references, referenced
from .i18n import message
from .models import AppendOnlyGate, Case, CaseDocument, ChecklistTick, Event, FormData, SignOff

CASES, EVENTS, TICKS = Case.__table__, Event.__table__, ChecklistTick.__table__
DOCUMENTS, FORMS, SIGNOFFS = CaseDocument.__table__, FormData.__table__, SignOff.__table__
GATE = AppendOnlyGate.__table__
ERASED_NAME = "—"  # what erasure writes in place of a name (engine/personal_data.py)
CHUNK = 500  # cases replayed per round of reads


@dataclass(frozen=True)
class Problem:
    """One thing that is not as the logs say: where (`place`, a message code and its parameters) and what."""

    place: str
    place_params: dict[str, Any]
    code: str
    params: dict[str, Any] = field(default_factory=dict)

    def text(self, lang: str = "en") -> str:
        return f"{message('check.place.' + self.place, lang, **self.place_params)}: " \
               f"{message('check.' + self.code, lang, **self.params)}"


@dataclass
class CheckReport:
    problems: list[Problem] = field(default_factory=list)
    cases: int = 0
    events: int = 0
    audit_entries: int = 0
    files: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def format(self, lang: str = "en") -> str:
        lines = [p.text(lang) for p in self.problems]
        lines.append(message("check.summary", lang, cases=self.cases, events=self.events,
                             audit=self.audit_entries, files=self.files, problems=len(self.problems)))
        return "\n".join(lines)


def check(engine: Engine, files: FileStore) -> CheckReport:
    report = CheckReport()
    with _snapshot(engine) as connection:
        if connection.execute(select(GATE.c.id)).first() is not None:
            report.problems.append(Problem("database", {}, "gate_open"))
        _check_cases(connection, report)
        _check_audit(connection, report)
    _check_files(engine, files, report)
    return report


def repair(engine: Engine, files: FileStore) -> list[str]:
    """Remove the stale temporary files and the old files no row refers to; returns what was removed."""
    removed = []
    for path in files.stale_temporary_files():
        path.unlink(missing_ok=True)
        removed.append(str(path))
    with engine.connect() as connection:
        known = _referenced(connection)
        erased = _erased_files(connection)
    cutoff = time.time() - STALE_AFTER
    for sha in files.stored():
        if sha not in known and _mtime(files, sha) < cutoff:
            files.delete(sha)
            removed.append(files.describe(sha))
    # An erasure whose process stopped before deleting its files (after its commit) is finished here.
    removed.extend(files.describe(sha) for sha in files.delete_unused(engine, erased, since=time.time()))
    return removed


def _snapshot(engine: Engine) -> Connection:
    """A connection whose reads all see one state of the database, while operations go on (SQLite's read
    transaction is one already; PostgreSQL's default gives each statement its own)."""
    connection = engine.connect()
    if engine.dialect.name == "postgresql":
        connection = connection.execution_options(isolation_level="REPEATABLE READ")
    return connection


# --- cases: replay and hash chain ------------------------------------------------------------------


@dataclass
class _Replay:
    """What the events of one case say its rows should be."""

    stage_id: str | None = None
    stage_visit: int = 0
    status: str = "active"
    outcome: str | None = None
    version: int = 0
    ticks: set[tuple[Any, ...]] = field(default_factory=set)
    documents: dict[int, dict[str, Any]] = field(default_factory=dict)
    forms: dict[str, tuple[Any, str]] = field(default_factory=dict)
    # (stage, visit, sign-off, signer) -> (role, comment, decision): a signer's latest decision
    signoffs: dict[tuple[Any, ...], tuple[Any, ...]] = field(default_factory=dict)

    def enter(self, stage_id: str) -> None:
        self.stage_id = stage_id
        self.stage_visit += 1

    def close(self, outcome: str) -> None:
        self.status, self.outcome = "closed", outcome


def _check_cases(connection: Connection, report: CheckReport) -> None:
    carried: dict[int, dict[str, tuple[Any, str]]] = {}  # new case -> the forms of the case it continues
    for case_ids in _chunks(connection.execute(select(CASES.c.id).order_by(CASES.c.id)).scalars()):
        cases = {r.id: r for r in connection.execute(select(CASES).where(CASES.c.id.in_(case_ids)))}
        events = _grouped(connection, EVENTS, case_ids, EVENTS.c.seq)
        ticks = _grouped(connection, TICKS, case_ids)
        documents = _grouped(connection, DOCUMENTS, case_ids)
        forms = _grouped(connection, FORMS, case_ids)
        signoffs = _grouped(connection, SIGNOFFS, case_ids)
        for case_id in case_ids:
            report.cases += 1
            report.events += len(events.get(case_id, []))
            _check_chain(case_id, events.get(case_id, []), report)
            replay = _replay(case_id, events.get(case_id, []), carried, report)
            _compare(case_id, cases[case_id], replay, ticks.get(case_id, []), documents.get(case_id, []),
                     forms.get(case_id, []), signoffs.get(case_id, []), events.get(case_id, []), report)


def _chunks(ids: Iterable[int]) -> Iterator[list[int]]:
    chunk: list[int] = []
    for case_id in list(ids):
        chunk.append(case_id)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _grouped(connection: Connection, table: Any, case_ids: list[int], *order: Any) -> dict[int, list[Any]]:
    out: dict[int, list[Any]] = {}
    for row in connection.execute(select(table).where(table.c.case_id.in_(case_ids)).order_by(
            table.c.case_id, *order)):
        out.setdefault(row.case_id, []).append(row)
    return out


def _check_chain(case_id: int, events: list[Any], report: CheckReport) -> None:
    prev = ""
    for expected_seq, event in enumerate(events, start=1):
        if event.seq != expected_seq:
            report.problems.append(Problem("event", {"case": case_id, "seq": event.seq}, "seq_gap",
                                           {"expected": expected_seq}))
        if event.prev_hash != prev:
            report.problems.append(Problem("event", {"case": case_id, "seq": event.seq}, "chain_broken"))
        if row_hash(event, event.prev_hash) != event.hash:
            report.problems.append(Problem("event", {"case": case_id, "seq": event.seq}, "event_rewritten"))
        prev = event.hash


def _replay(case_id: int, events: list[Any], carried: dict[int, dict[str, tuple[Any, str]]],
            report: CheckReport) -> _Replay:
    state = _Replay()
    for event in events:
        data = event.data or {}
        kind = event.type
        state.version = event.seq
        if data.get("evidence"):  # a decision given on paper, with its scan
            state.documents[data["evidence"]] = {
                "stage_id": event.stage_id, "requirement_id": data.get("signoff") or data.get("item"),
                "member_id": data.get("evidence_member") or "", "sha256": data.get("evidence_sha256"),
                "filename": data.get("evidence_filename"), "uploaded_by": event.actor_id, "removed_by": None}
        if kind == "case_opened":
            state.enter(event.stage_id)
            previous = carried.pop(case_id, {})
            state.forms = {stage: previous[stage] for stage in data.get("carried", []) if stage in previous}
        elif kind == "item_ticked":
            state.ticks.add((event.stage_id, data.get("item"), data.get("member") or "", event.actor_id))
        elif kind == "item_unticked":
            state.ticks = {t for t in state.ticks if t[:3] != (event.stage_id, data.get("item"),
                                                             data.get("member") or "")}
        elif kind == "document_attached":
            state.documents[data.get("document_id")] = {
                "stage_id": event.stage_id, "requirement_id": data.get("requirement"),
                "member_id": data.get("member") or "", "sha256": data.get("sha256"),
                "filename": data.get("filename"), "uploaded_by": event.actor_id, "removed_by": None}
        elif kind == "document_removed":
            if data.get("document_id") in state.documents:
                state.documents[data["document_id"]]["removed_by"] = event.actor_id
        elif kind == "form_submitted":
            state.forms[event.stage_id] = (data.get("data"), event.actor_id)
        elif kind in ("signed_off", "signoff_decided"):
            signer = data.get("signer") or event.actor_id
            state.signoffs[(event.stage_id, state.stage_visit, data.get("signoff"), signer)] = (
                data.get("role"), data.get("comment") or "", data.get("decision") or "approve")
        elif kind in ("advanced", "reopened") and data.get("to"):
            if kind == "reopened" and data.get("closed_outcome"):
                state.status, state.outcome = "active", None
            state.enter(data["to"])
        elif kind in ("advanced", "closed", "switched", "pathway_chosen") and data.get("outcome"):
            state.close(data["outcome"])
        elif kind == "put_on_hold":
            state.status = "on_hold"
        elif kind == "resumed":
            state.status = "active"
        elif kind == "migrated" and data.get("to_stage") != data.get("from_stage"):
            if not data.get("automatic"):
                _move_stage(state, data.get("from_stage"), data.get("to_stage"))
            state.enter(data["to_stage"])
        elif kind == "person_erased":
            for document_id in data.get("removed_documents", []):
                if document_id in state.documents:
                    state.documents[document_id].update(filename=ERASED_NAME, removed_by=event.actor_id)
            if data.get("forms_erased"):
                state.forms = {}
        if data.get("lapsed_signoffs"):
            gone = {(event.stage_id, state.stage_visit, s.get("signoff"), s.get("actor"))
                    for s in data["lapsed_signoffs"]}
            state.signoffs = {key: value for key, value in state.signoffs.items() if key not in gone}
        if data.get("new_case"):
            carried[data["new_case"]] = dict(state.forms)
    return state


def _move_stage(state: _Replay, from_stage: str, to_stage: str) -> None:
    state.ticks = {((to_stage,) + t[1:]) if t[0] == from_stage else t for t in state.ticks}
    for document in state.documents.values():
        if document["stage_id"] == from_stage:
            document["stage_id"] = to_stage
    if from_stage in state.forms and to_stage not in state.forms:
        state.forms[to_stage] = state.forms.pop(from_stage)


def _compare(case_id: int, case: Any, replay: _Replay, ticks: list[Any], documents: list[Any], forms: list[Any],
             signoffs: list[Any], events: list[Any], report: CheckReport) -> None:
    last = events[-1].seq if events else 0
    place = {"case": case_id, "seq": last}

    def differs(what: str, stored: Any, replayed: Any) -> None:
        report.problems.append(Problem("state", place, "state_differs",
                                       {"what": what, "stored": _shown(stored), "replayed": _shown(replayed)}))

    if not events or events[0].type != "case_opened":
        report.problems.append(Problem("case", {"case": case_id}, "no_opening"))
        return
    for column in ("stage_id", "stage_visit", "status", "outcome", "version"):
        if getattr(case, column) != getattr(replay, column):
            differs(column, getattr(case, column), getattr(replay, column))
    stored_ticks = {(t.stage_id, t.item_id, t.member_id, t.ticked_by) for t in ticks}
    for tick in sorted(stored_ticks ^ replay.ticks, key=repr):
        differs("checklist", "/".join(map(str, tick)) if tick in stored_ticks else "-",
                "/".join(map(str, tick)) if tick in replay.ticks else "-")
    stored_documents = {d.id: {"stage_id": d.stage_id, "requirement_id": d.requirement_id,
                               "member_id": d.member_id, "sha256": d.sha256, "filename": d.filename,
                               "uploaded_by": d.uploaded_by, "removed_by": d.removed_by if d.removed_at else None}
                        for d in documents}
    for document_id in sorted(set(stored_documents) | set(replay.documents), key=str):
        stored, replayed = stored_documents.get(document_id), replay.documents.get(document_id)
        if stored != replayed:
            keys = sorted(k for k in (stored or replayed or {}) if (stored or {}).get(k) != (replayed or {}).get(k))
            differs(f"document {document_id} ({', '.join(keys)})", {k: stored[k] for k in keys} if stored else "-",
                    {k: replayed[k] for k in keys} if replayed else "-")
    stored_forms = {f.stage_id: (f.data, f.submitted_by) for f in forms}
    for stage_id in sorted(set(stored_forms) | set(replay.forms)):
        if stored_forms.get(stage_id) != replay.forms.get(stage_id):
            differs(f"form {stage_id}", stored_forms.get(stage_id, "-"), replay.forms.get(stage_id, "-"))
    stored_signoffs = {(s.stage_id, s.stage_visit, s.signoff_id, s.actor_id, s.role, s.comment or "", s.decision)
                       for s in signoffs}
    replayed_signoffs = {key + value for key, value in replay.signoffs.items()}
    for signoff in sorted(stored_signoffs ^ replayed_signoffs, key=repr):
        differs("signoff", "/".join(map(str, signoff)) if signoff in stored_signoffs else "-",
                "/".join(map(str, signoff)) if signoff in replayed_signoffs else "-")


def _shown(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


# --- the audit log -----------------------------------------------------------------------------------


def _check_audit(connection: Connection, report: CheckReport) -> None:
    subject = None
    prev, expected_seq = "", 1
    for entry in connection.execute(select(AUDIT).order_by(AUDIT.c.subject_type, AUDIT.c.subject_id, AUDIT.c.seq)):
        report.audit_entries += 1
        if (entry.subject_type, entry.subject_id) != subject:
            subject, prev, expected_seq = (entry.subject_type, entry.subject_id), "", 1
        place = {"type": entry.subject_type, "id": entry.subject_id, "seq": entry.seq}
        if entry.seq != expected_seq:
            report.problems.append(Problem("audit", place, "seq_gap", {"expected": expected_seq}))
        if entry.prev_hash != prev:
            report.problems.append(Problem("audit", place, "chain_broken"))
        payload = entry_payload(entry.subject_type, entry.subject_id, entry.seq, entry.type, entry.actor_id,
                                entry.actor_roles or [], entry.data or {})
        if chain_hash(entry.prev_hash, payload) != entry.hash:
            report.problems.append(Problem("audit", place, "entry_rewritten"))
        prev, expected_seq = entry.hash, entry.seq + 1


# --- files -----------------------------------------------------------------------------------------


def _referenced(connection: Connection) -> set[str]:
    """Every hash a row refers to (a removed document's row too: its file may stay)."""
    known: set[str] = set()
    for column, _keeps in file_references():
        known.update(connection.execute(select(column).distinct()).scalars())
    return known


def _erased_files(connection: Connection) -> set[str]:
    """The files of the documents an erasure removed (its `person_erased` events list them)."""
    ids: set[int] = set()
    for data in connection.execute(select(EVENTS.c.data).where(EVENTS.c.type == "person_erased")).scalars():
        ids.update((data or {}).get("removed_documents", []))
    found: set[str] = set()
    for chunk in _chunks(sorted(ids)):
        found.update(connection.execute(select(DOCUMENTS.c.sha256).where(DOCUMENTS.c.id.in_(chunk))).scalars())
    return found


def _mtime(files: FileStore, sha: str) -> float:
    modified = files.modified(sha)
    return time.time() if modified is None else modified


def _check_files(engine: Engine, files: FileStore, report: CheckReport) -> None:
    with engine.connect() as connection:
        for column, keeps_file in file_references():
            table = column.table
            size = table.c.size if "size" in table.c else None
            query = select(column, *([size] if size is not None else []))
            if keeps_file is not None:
                query = query.where(keeps_file)
            for row in connection.execute(query):
                sha = row[0]
                stored_size = files.size(sha)
                where = {"sha": sha, "table": table.name}
                if stored_size is None:
                    report.problems.append(Problem("file", where, "file_missing"))
                elif size is not None and stored_size != row[1]:
                    report.problems.append(Problem("file", where, "file_size", {
                        "stored": stored_size, "expected": row[1]}))
        known = _referenced(connection)
        erased = _erased_files(connection)
    for sha in sorted(erased):
        if files.exists(sha) and not referenced(engine, sha):
            report.problems.append(Problem("file", {"sha": sha, "table": "case_documents"}, "erased_file_kept"))
    cutoff = time.time() - STALE_AFTER
    for sha in files.stored():
        report.files += 1
        if sha not in known and _mtime(files, sha) < cutoff:
            report.problems.append(Problem("file", {"sha": sha, "table": "-"}, "file_stray"))
    for path in files.stale_temporary_files():
        report.problems.append(Problem("temporary", {"path": str(path)}, "temporary_stale"))
