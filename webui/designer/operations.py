"""What the designer workbench does to pathways, apart from Flask: check a text, save it as a revision,
keep a draft. Saving never changes a running case: it records a new revision that new cases start on. The
revision is kept in the database (every app server sees it); the file in the pathways directory is only
written by an export (`opera pathways export`), and `opera pathways sync` does not bring an older file back.
A save (the revision made active) and a kept draft each write one audit entry about the pathway, in their
transaction.

    result = save_pathway(library, sessions, directory, "startup.yaml", text, base_revision_id=7, author="des")
    result.status  # saved / invalid / conflict / version_taken / unchanged
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from engine import PathwayLibrary
from engine.audit import record
from engine.db import writing
from engine.errors import EngineError
from engine.library import load_fragments, recommendation_problems
from engine.loader import LoadError, Problem, parse_text
from engine.models import PathwayRevision, PathwaySource, utcnow
from engine.validation import CheckedPathway, check_source, target_problems

from .models import PathwayDraft, PathwaySave

FILE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}\.(yaml|yml|json)$")
TOP_KEY = r"^{key}:[ \t]*(?P<value>[^#\n]*?)[ \t]*(#.*)?$"


def check_text(library: PathwayLibrary, directory: Path | None, file_name: str, text: str,
               recommended: dict[str, str] | None = None) -> CheckedPathway:
    """Check a pathway text as if it were the file `file_name` of the library's directory; with
    `recommended` (pathway -> assessment whose rules recommend it), warn when no rule recommends it."""
    fragments = load_fragments(directory)[0] if directory and directory.is_dir() else {}
    try:
        doc = parse_text(text, file_name)
    except LoadError as exc:
        return CheckedPathway(file_name, None, [exc.problem])
    known = set(library.pathway_ids())
    if isinstance(doc.data, dict) and isinstance(doc.data.get("id"), str):
        known.add(doc.data["id"])
    checked = check_source(doc, fragments, known)
    _check_exits_to_other_pathways(library, checked)
    if recommended is not None:
        checked.problems.extend(recommendation_problems(checked, recommended))
    pathway_id = checked.pathway_id
    if pathway_id and Path(file_name).stem != pathway_id:
        checked.problems.append(doc.problem("pathway_name", ("id",), id=pathway_id, file=file_name))
        checked.pathway = None
    return checked


def _check_exits_to_other_pathways(library: PathwayLibrary, checked: CheckedPathway) -> None:
    """Exits to other pathways land on stages of those pathways' active revisions (the rule
    `check_directory` applies between files)."""
    if checked.pathway is None:
        return
    targets = {}
    for pathway_id in {e.pathway for s in checked.pathway.stages for e in s.exits if e.pathway}:
        try:
            targets[pathway_id] = library.current(pathway_id).pathway
        except EngineError:
            continue
    problems = target_problems(checked, targets)
    if problems:
        checked.problems.extend(problems)
        checked.pathway = None


def top_value(text: str, key: str) -> str | None:
    found = re.search(TOP_KEY.format(key=key), text, re.MULTILINE)
    return found.group("value").strip().strip("'\"") if found else None


def replace_top_value(text: str, key: str, value: str) -> str:
    """Change a top-level `key: value` line of a YAML text, keeping everything else as written."""
    pattern = re.compile(TOP_KEY.format(key=key), re.MULTILINE)
    if not pattern.search(text):
        return text
    return pattern.sub(lambda m: f"{key}: {value}" + (f"  {m.group(2)}" if m.group(2) else ""), text, count=1)


def next_version(version: str, taken: set[str]) -> str:
    """The next free version after `version`: 3 → 4, 1.2 → 1.3, draft → draft.1."""
    candidate = version
    while candidate in taken or candidate == version:
        parts = candidate.rsplit(".", 1)
        if parts[-1].isdigit():
            parts[-1] = str(int(parts[-1]) + 1)
            candidate = ".".join(parts)
        else:
            candidate = candidate + ".1"
    return candidate


@dataclass
class SaveResult:
    status: str  # saved / unchanged / invalid / conflict / version_taken
    revision_id: int | None = None
    draft_id: int | None = None
    problems: list[Problem] = field(default_factory=list)
    active_revision_id: int | None = None
    version: str | None = None


def active_revision(session: Session, pathway_id: str) -> int | None:
    return session.scalar(
        select(PathwaySource.active_revision_id)
        .where(PathwaySource.pathway_id == pathway_id, PathwaySource.active_revision_id.is_not(None))
        .order_by(PathwaySource.checked_at.desc()).limit(1))


def keep_draft(sessions: sessionmaker[Session], pathway_id: str, file_name: str, text: str, base: int | None,
               reason: str, author: str, problems: list[Problem] | None = None) -> int:
    with writing(sessions).begin() as session:
        draft = PathwayDraft(pathway_id=pathway_id, file_name=file_name, text=text, base_revision_id=base,
                             reason=reason, author=author, problems=[p.as_dict() for p in problems or []])
        session.add(draft)
        session.flush()
        _record(session, author, pathway_id, "pathway_draft_kept", {"draft": draft.id, "reason": reason,
                                                                   "base_revision": base})
        return draft.id


def save_pathway(library: PathwayLibrary, sessions: sessionmaker[Session], directory: Path | None, file_name: str,
                 text: str, base_revision_id: int | None, author: str) -> SaveResult:
    """Save a pathway text: a new revision, made active for new cases, if it is valid and nobody saved the
    pathway since `base_revision_id` (None: a new pathway); otherwise a draft, and nothing else changes."""
    checked = check_text(library, directory, file_name, text)
    pathway_id = checked.pathway_id or Path(file_name).stem
    with sessions() as session:
        active = active_revision(session, pathway_id)
        parent = session.scalar(select(func.max(PathwaySave.id)).where(PathwaySave.pathway_id == pathway_id)) or 0
        taken = dict(session.execute(select(PathwayRevision.version, PathwayRevision.content_hash)
                                     .where(PathwayRevision.pathway_id == pathway_id)).all())
    if active != base_revision_id:
        draft = keep_draft(sessions, pathway_id, file_name, text, base_revision_id, "conflict", author)
        return SaveResult("conflict", draft_id=draft, active_revision_id=active)
    if not checked.valid or checked.pathway is None:
        draft = keep_draft(sessions, pathway_id, file_name, text, base_revision_id, "invalid", author,
                           checked.errors)
        return SaveResult("invalid", draft_id=draft, problems=checked.errors)
    pathway = checked.pathway
    if taken.get(pathway.version) not in (None, pathway.content_hash):
        return SaveResult("version_taken", version=next_version(pathway.version, set(taken)))
    path = (directory / file_name) if directory else None
    source_file = str(path) if path is not None else f"<{pathway.id}>"
    # Stored, not yet active: a revision is only content; activating it is the claimed step below.
    revision_id = library.register(pathway, text, source_file, author=author, activate=False)
    if revision_id == active:
        return SaveResult("unchanged", revision_id=revision_id)
    try:
        with writing(sessions).begin() as session:
            session.add(PathwaySave(pathway_id=pathway.id, revision_id=revision_id, parent_save_id=parent,
                                    base_revision_id=base_revision_id, author=author))
            session.flush()  # a save from the same state by someone else fails here
            _activate(session, source_file, pathway.id, text, revision_id)
            _record(session, author, pathway.id, "pathway_saved", {
                "revision": revision_id, "version": pathway.version, "base_revision": base_revision_id})
    except IntegrityError:
        draft = keep_draft(sessions, pathway_id, file_name, text, base_revision_id, "conflict", author)
        with sessions() as session:
            return SaveResult("conflict", draft_id=draft, active_revision_id=active_revision(session, pathway_id))
    # The revision lives in the database, where every app server reads it; the file in the directory stays
    # as it is until someone exports it (download, or `opera pathways export`).
    return SaveResult("saved", revision_id=revision_id)


def _record(session: Session, author: str, pathway_id: str, entry_type: str, data: dict[str, Any]) -> None:
    """The save's audit entry, in its transaction (the subject is the pathway)."""
    record(session.connection(), subject_type="pathway", subject_id=pathway_id, type=entry_type, actor_id=author,
           data=data)


def _activate(session: Session, source_file: str, pathway_id: str, text: str, revision_id: int) -> None:
    """Make a revision the one new cases start on (what `PathwayLibrary.register(activate=True)` records)."""
    source = session.get(PathwaySource, source_file)
    if source is None:
        source = PathwaySource(file=source_file)
        session.add(source)
    source.pathway_id = pathway_id
    source.content_hash = hashlib.sha256(text.encode()).hexdigest()
    source.valid = True
    source.problems = []
    source.active_revision_id = revision_id
    source.checked_at = utcnow()


def copy_text(source_text: str, new_id: str, title_suffix: str = "") -> str:
    """A pathway text under a new id, at version 1."""
    text = replace_top_value(source_text, "id", new_id)
    return replace_top_value(text, "version", "1")


def engine_message(exc: EngineError, lang: str) -> str:
    return exc.message(lang)


def problem_dicts(problems: list[Problem], lang: str, file_name: str = "") -> list[dict[str, Any]]:
    """Problems for the editor; one written in another file (a shared stage) names that file in
    `elsewhere` (e.g. 'shared/business_plan.yaml'), so that its line is not taken for a line of this text."""
    out = []
    for problem in problems:
        entry = problem.as_dict(lang)
        where = Path(problem.file)
        if file_name and where.name != file_name:
            entry["elsewhere"] = f"{where.parent.name}/{where.name}" if where.parent.name == "shared" else where.name
        out.append(entry)
    return out
