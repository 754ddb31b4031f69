"""The pathway library: pathway files on disk, their revisions in the database, their machines in memory.

- `sync()` checks every file of the directory; each valid, distinct content becomes a revision (stored
  once, with its full text); a file that fails never replaces the last valid revision of its pathway, and
  its problems are kept (table `pathway_sources`) for everyone to see. A file whose version is lower than
  the active revision's (one saved in the workbench, say) is stored but does not become active unless
  forced: the database, not the directory, is the one source of truth.
- `export()` writes active revisions back into the directory, for version control.
- `revision(id)` gives the frozen `Pathway` of a revision, built from the stored document and cached:
  cases are pinned to revisions, whatever the file says today.
"""
from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from sqlalchemy import Connection, bindparam, select
from sqlalchemy.orm import Session, sessionmaker
from transitions import Machine

from .errors import InvalidOperation
from .i18n import DEFAULT_LANGUAGE, message
from .loader import Problem, SourceDocument
from .machine import build_machine
from .models import PathwayRevision, PathwaySource, utcnow
from .pathway import Pathway, build_pathway
from .revision_library import RevisionLibrary
from .checking import (  # noqa: F401 - the library's file checks, importable from here as before
    FRAGMENT_DIR, PATHWAY_SUFFIXES, SCENARIO_DIR, check_directory, load_fragments, pathway_files,
    recommendation_problems, recommended_pathways,
)
from .validation import CheckedPathway
from .db import writing
from .driver import DriverStatement


# The revision a pathway's newest source row names as active (read on every case opening).
_ACTIVE_REVISION = DriverStatement(
    select(PathwaySource.active_revision_id)
    .where(PathwaySource.pathway_id == bindparam("pathway_id"), PathwaySource.active_revision_id.is_not(None))
    .order_by(PathwaySource.checked_at.desc()).limit(1))


@dataclass(frozen=True)
class SyncOutcome:
    """What `sync` did with one file: activated / unchanged / kept (a higher version stays active) / invalid."""

    file: str
    pathway_id: str | None
    action: str
    revision_id: int | None = None
    version: str | None = None
    active_revision_id: int | None = None
    active_version: str | None = None
    active_author: str | None = None

    def message(self, lang: str = DEFAULT_LANGUAGE) -> str:
        return message("sync." + self.action, lang, file=self.file, pathway=self.pathway_id or "-",
                       revision=self.revision_id or "-", version=self.version or "-",
                       active=self.active_revision_id or "-", active_version=self.active_version or "-",
                       author=self.active_author or "-")


def version_key(version: str | int) -> tuple:
    """Orders versions as people mean them: 2 < 10, 1.9 < 1.10, 1 < 1.1; words after numbers."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part)
                 for part in re.split(r"[.+-]", str(version)))


@dataclass(frozen=True)
class LoadedRevision:
    revision_id: int
    pathway: Pathway
    machine: Machine


class PathwayLibrary(RevisionLibrary[LoadedRevision]):
    revision_model = PathwayRevision
    unknown = ("unknown_pathway", "pathway")
    last_report: list[CheckedPathway]

    def __init__(self, session_factory: sessionmaker[Session], directory: Path | str | None = None):
        super().__init__(session_factory, directory)
        self.last_outcomes: list[SyncOutcome] = []
        self.fragment_problems: list[Problem] = []

    # --- loading ----------------------------------------------------------------------------------

    def sync(self, author: str | None = None, force: bool = False) -> list[CheckedPathway]:
        """Check the directory and record each valid distinct content as a revision. A file's revision
        becomes active unless the active one has a higher version (`force` activates it anyway); what
        happened to each file is in `last_outcomes`."""
        if self.directory is None:
            raise ValueError("this library has no directory")
        report, fragment_problems = check_directory(self.directory)
        with writing(self.session_factory).begin() as session:
            self.last_outcomes = [self._record(session, checked, author, force) for checked in report]
        self.last_report = report
        self.fragment_problems = fragment_problems
        return report

    def _record(self, session: Session, checked: CheckedPathway, author: str | None, force: bool) -> SyncOutcome:
        raw_hash = hashlib.sha256((checked.source.text if checked.source else "").encode()).hexdigest()
        source = session.get(PathwaySource, checked.file)
        if source is None:
            source = PathwaySource(file=checked.file, active_revision_id=None)
            session.add(source)
        source.pathway_id = checked.pathway_id
        source.content_hash = raw_hash
        source.valid = checked.valid
        source.problems = [p.as_dict() for p in checked.problems]
        if checked.pathway is None or checked.source is None:
            source.checked_at = utcnow()
            return SyncOutcome(checked.file, checked.pathway_id, "invalid")
        current_id = self._active_in(session, checked.pathway.id)
        revision = self._store_revision(session, checked.pathway, checked.source, author)
        current = session.get(PathwayRevision, current_id) if current_id is not None else None
        source.checked_at = utcnow()
        outcome = SyncOutcome(checked.file, checked.pathway.id, "activated", revision.id, revision.version)
        if current is not None and current.id == revision.id:
            source.active_revision_id = revision.id
            return SyncOutcome(checked.file, checked.pathway.id, "unchanged", revision.id, revision.version)
        if current is not None and not force and version_key(revision.version) < version_key(current.version):
            # The newest source row names the active revision: this row keeps naming the higher one.
            source.active_revision_id = current.id
            return SyncOutcome(checked.file, checked.pathway.id, "kept", revision.id, revision.version,
                               current.id, current.version, current.created_by or current.source_file)
        source.active_revision_id = revision.id
        if current is not None and version_key(revision.version) < version_key(current.version):
            return SyncOutcome(checked.file, checked.pathway.id, "forced", revision.id, revision.version,
                               current.id, current.version)
        return outcome

    @staticmethod
    def _active_in(session: Session | Connection, pathway_id: str) -> int | None:
        if isinstance(session, Session):
            return session.scalar(_ACTIVE_REVISION.statement, {"pathway_id": pathway_id})
        return _ACTIVE_REVISION.execute(session, {"pathway_id": pathway_id}).scalar()  # e.g. opening a case

    def _store_revision(self, session: Session, pathway: Pathway, source: SourceDocument,
                        author: str | None) -> PathwayRevision:
        existing = session.scalar(select(PathwayRevision).where(
            PathwayRevision.pathway_id == pathway.id, PathwayRevision.content_hash == pathway.content_hash))
        if existing is not None:
            return existing
        revision = PathwayRevision(
            pathway_id=pathway.id, version=pathway.version, content_hash=pathway.content_hash,
            source_text=source.text, document=dict(pathway.document), source_file=source.file,
            created_by=author,
        )
        session.add(revision)
        session.flush()
        return revision

    def register(self, pathway: Pathway, source_text: str = "", source_file: str = "",
                 author: str | None = None, activate: bool = True) -> int:
        """Store a checked pathway as a revision (used by tests, scenarios and the designer tools)."""
        with writing(self.session_factory).begin() as session:
            doc = SourceDocument(source_file, source_text, None, {})
            revision = self._store_revision(session, pathway, doc, author)
            if activate:
                source = session.get(PathwaySource, source_file or f"<{pathway.id}>")
                if source is None:
                    source = PathwaySource(file=source_file or f"<{pathway.id}>")
                    session.add(source)
                source.pathway_id = pathway.id
                source.content_hash = hashlib.sha256(source_text.encode()).hexdigest()
                source.valid = True
                source.problems = []
                source.active_revision_id = revision.id
                source.checked_at = utcnow()
            return revision.id

    # --- reading ----------------------------------------------------------------------------------

    def _build(self, revision_id: int, document: dict) -> LoadedRevision:
        """The spec and machine of a revision."""
        pathway = build_pathway(document)
        return LoadedRevision(revision_id, pathway, build_machine(pathway))

    def active_revision_id(self, pathway_id: str, session: Session | Connection | None = None) -> int:
        if session is not None:
            found = self._active_in(session, pathway_id)
        else:
            with self.session_factory() as own:
                found = self._active_in(own, pathway_id)
        if found is None:
            raise InvalidOperation("unknown_pathway", pathway=pathway_id)
        return found

    def current(self, pathway_id: str) -> LoadedRevision:
        return self.revision(self.active_revision_id(pathway_id))

    def pathway_ids(self) -> list[str]:
        with self.session_factory() as session:
            rows = session.scalars(select(PathwaySource.pathway_id).where(
                PathwaySource.active_revision_id.is_not(None)).distinct())
            return sorted(r for r in rows if r)

    # --- exporting --------------------------------------------------------------------------------

    def export(self, pathway_ids: Iterable[str] | None = None,
               directory: Path | None = None) -> list[tuple[Path, PathwayRevision]]:
        """Write the active revision of each pathway into the directory, as written by its author, so the
        files can go under version control; files are readable by everyone (0644). Returns what was written."""
        target = Path(directory) if directory else self.directory
        if target is None:
            raise ValueError("this library has no directory")
        written = []
        with self.session_factory() as session:
            for pathway_id in (list(pathway_ids) if pathway_ids else self.pathway_ids()):
                row = session.get(PathwayRevision, self.active_revision_id(pathway_id, session))
                assert row is not None
                path = target / export_name(row.pathway_id, row.source_file)
                write_file(path, row.source_text)
                written.append((path, row))
        return written


def export_name(pathway_id: str, source_file: str) -> str:
    """The file a revision is exported to: the name it was saved under, if it is named after the pathway."""
    name = Path(source_file).name if source_file and not source_file.startswith("<") else ""
    return name if Path(name).stem == pathway_id and Path(name).suffix in PATHWAY_SUFFIXES else f"{pathway_id}.yaml"


def write_file(path: Path, text: str) -> None:
    """Write a text file atomically (a reader never sees half of it), with the usual permissions 0644."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            out.write(text)
        os.chmod(tmp, 0o644)  # mkstemp creates 0600: a file nobody else could read
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
