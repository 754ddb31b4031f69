"""The ESCO taxonomy: import from the official CSV download, labels, and the pickers' autocomplete.

The ESCO download (https://esco.ec.europa.eu, "Download" → CSV) has one file per pillar and language:
`occupations_<lang>.csv` and `skills_<lang>.csv` (others, like `skillGroups_en.csv`, are ignored), with
the columns `conceptType, conceptUri, [iscoGroup | skillType, reuseLevel], preferredLabel, altLabels,
hiddenLabels, status, modifiedDate, ..., description[, code]`; alternative and hidden labels are one per
line inside their cell. Importing the same files again gives the same taxonomy (labels of a language are
replaced, concepts updated); a file with a problem stops the whole import and changes nothing.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

from sqlalchemy import bindparam, case, delete, func, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from engine.db import writing
from engine.i18n import DEFAULT_LANGUAGE, FALLBACK, LANGUAGES

from . import textindex
from .errors import DatabankError, Problem
from .i18n import message
from .models import EscoConcept, EscoLabel
from .text import normalized, query_words

FILE_NAME = re.compile(r"^(occupations|skills)_([a-z]{2,3}(?:-[a-z0-9]{2,8})?)\.csv$", re.IGNORECASE)
URI = re.compile(r"^http://data\.europa\.eu/esco/(occupation|skill)/[A-Za-z0-9][A-Za-z0-9.\-]{0,80}$")
KIND_OF_FILE = {"occupations": "occupation", "skills": "skill"}
CONCEPT_TYPE = {"occupation": "Occupation", "skill": "KnowledgeSkillCompetence"}
REQUIRED_COLUMNS = ("conceptType", "conceptUri", "preferredLabel", "altLabels")
PREFERRED, ALTERNATIVE, HIDDEN = 0, 1, 2
KINDS = ("occupation", "skill")


class EscoImportError(DatabankError):
    """The files cannot be imported; `problems` says where and why (nothing was changed)."""

    code = "esco.import"

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("esco.import")

    def message(self, lang: str = DEFAULT_LANGUAGE) -> str:
        return "\n".join(p.message(lang) for p in self.problems)


@dataclass
class FileImported:
    file: str
    kind: str
    language: str
    concepts: int = 0
    labels: int = 0


@dataclass
class EscoImport:
    files: list[FileImported] = field(default_factory=list)
    new_concepts: int = 0

    @property
    def languages(self) -> list[str]:
        return sorted({f.language for f in self.files})


@dataclass(frozen=True)
class _Row:
    uri: str
    preferred: str
    alternatives: tuple[str, ...]
    hidden: tuple[str, ...]
    description: str
    meta: dict[str, str]


def esco_files(directory: Path) -> list[tuple[Path, str, str]]:
    """The ESCO files of a directory, as (path, kind, language), occupations first."""
    found = []
    for path in sorted(Path(directory).iterdir()):
        match = FILE_NAME.match(path.name)
        if match and path.is_file():
            found.append((path, KIND_OF_FILE[match.group(1).lower()], match.group(2).lower()))
    return sorted(found, key=lambda item: (KINDS.index(item[1]), item[2]))


def import_esco(sessions: sessionmaker[Session], directory: Path | str) -> EscoImport:
    directory = Path(directory)
    files = esco_files(directory) if directory.is_dir() else []
    if not files:
        raise EscoImportError([Problem("", "esco.no_files", {"directory": str(directory)})])
    parsed: list[tuple[Path, str, str, list[_Row]]] = []
    problems: list[Problem] = []
    for path, kind, language in files:
        rows, file_problems = _read(path, kind)
        problems += file_problems
        parsed.append((path, kind, language, rows))
    if problems:
        raise EscoImportError(problems)

    report = EscoImport()
    with writing(sessions).begin() as session:
        textindex.ensure_indexes(session)
        known = dict(session.execute(select(EscoConcept.uri, EscoConcept.kind)).all())
        for path, kind, language, rows in parsed:
            report.new_concepts += _upsert_concepts(session, kind, rows, known)
            labels = _replace_labels(session, kind, language, rows)
            report.files.append(FileImported(path.name, kind, language, len(rows), labels))
    return report


def _read(path: Path, kind: str) -> tuple[list[_Row], list[Problem]]:
    name = path.name
    try:
        content = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], [Problem("", "esco.encoding", {"file": name})]
    reader = csv.DictReader(io.StringIO(content, newline=""))
    columns = reader.fieldnames or []
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        return [], [Problem("", "esco.columns", {"file": name, "columns": missing})]
    rows: list[_Row] = []
    problems: list[Problem] = []
    seen: set[str] = set()
    for record in reader:
        line = reader.line_num
        uri = (record.get("conceptUri") or "").strip()
        concept_type = (record.get("conceptType") or "").strip()
        if concept_type != CONCEPT_TYPE[kind]:
            problems.append(Problem("", "esco.concept_type", {"file": name, "line": line, "found": concept_type,
                                                              "expected": CONCEPT_TYPE[kind]}))
            continue
        match = URI.match(uri)
        if not match or match.group(1) != kind:
            problems.append(Problem("", "esco.uri", {"file": name, "line": line, "uri": uri}))
            continue
        preferred = " ".join((record.get("preferredLabel") or "").split())
        if not preferred:
            problems.append(Problem("", "esco.label", {"file": name, "line": line}))
            continue
        if uri in seen:
            continue
        seen.add(uri)
        alternatives = _labels(record.get("altLabels"), {preferred})
        hidden = _labels(record.get("hiddenLabels"), {preferred, *alternatives})
        meta = {
            "code": (record.get("code") or "").strip()[:32],
            "isco_group": (record.get("iscoGroup") or "").strip()[:8],
            "skill_type": (record.get("skillType") or "").strip()[:32],
            "reuse_level": (record.get("reuseLevel") or "").strip()[:32],
            "status": (record.get("status") or "released").strip()[:16] or "released",
        }
        rows.append(_Row(uri, preferred[:500], alternatives, hidden, (record.get("description") or "").strip(), meta))
    return rows, problems


def _labels(cell: str | None, exclude: set[str]) -> tuple[str, ...]:
    out: list[str] = []
    for raw in (cell or "").splitlines():
        value = " ".join(raw.split())[:500]
        if value and value not in exclude and value not in out:
            out.append(value)
    return tuple(out)


def _upsert_concepts(session: Session, kind: str, rows: list[_Row], known: dict[str, str]) -> int:
    new = [{"uri": r.uri, "kind": kind, **r.meta} for r in rows if r.uri not in known]
    if new:
        session.execute(insert(EscoConcept), new)
    existing = [r for r in rows if r.uri in known]
    if existing:
        current = {c.uri: c for c in session.scalars(select(EscoConcept).where(
            EscoConcept.kind == kind))}
        changed = [{"b_uri": r.uri, **r.meta} for r in existing
                   if r.uri in current and any(getattr(current[r.uri], k) != v for k, v in r.meta.items())]
        if changed:
            stmt = update(EscoConcept.__table__).where(EscoConcept.__table__.c.uri == bindparam("b_uri"))
            session.execute(stmt.values({k: bindparam(k) for k in changed[0] if k != "b_uri"}), changed)
    known.update({r.uri: kind for r in rows})
    return len(new)


def _replace_labels(session: Session, kind: str, language: str, rows: list[_Row]) -> int:
    session.execute(delete(EscoLabel).where(EscoLabel.kind == kind, EscoLabel.language == language))
    values = []
    for r in rows:
        values.append({"uri": r.uri, "kind": kind, "language": language, "label_type": PREFERRED,
                       "label": r.preferred, "description": r.description, "search_text": normalized(r.preferred)})
        for label_type, labels in ((ALTERNATIVE, r.alternatives), (HIDDEN, r.hidden)):
            for text in labels:
                values.append({"uri": r.uri, "kind": kind, "language": language, "label_type": label_type,
                               "label": text, "description": "", "search_text": normalized(text)})
    for start in range(0, len(values), 5000):
        session.execute(insert(EscoLabel), values[start:start + 5000])
    return len(values)


# --- reading ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Suggestion:
    """One entry of a picker: the concept, its label in the user's language (or the nearest one), and
    the other label that matched the typing, if it was not the preferred one."""

    uri: str
    kind: str
    label: str
    language: str
    matched: str = ""
    code: str = ""


def suggest(session: Session, typed: str, *, kind: str | None = None, lang: str = DEFAULT_LANGUAGE,
            limit: int = 10) -> list[Suggestion]:
    """Concepts whose labels (any language; the user's first) contain words starting with what was typed."""
    wanted = query_words(typed)
    if not wanted:
        return []
    textindex.ensure_indexes(session)
    dialect = textindex.dialect_of(session)
    stmt = (select(EscoLabel.uri, EscoLabel.kind, EscoLabel.language, EscoLabel.label_type, EscoLabel.label,
                   EscoLabel.search_text)
            .where(textindex.ESCO_LABELS.condition(dialect, wanted))
            .order_by(case((EscoLabel.language == lang, 0), else_=1), EscoLabel.label_type,
                      func.length(EscoLabel.label), EscoLabel.id)
            .limit(max(200, limit * 20)))
    if kind:
        stmt = stmt.where(EscoLabel.kind == kind)
    typed_norm = " ".join(wanted)
    best: dict[str, tuple[tuple, str, str]] = {}
    for uri, concept_kind, language, label_type, label, search_text in session.execute(stmt):
        rank = (language != lang, not search_text.startswith(typed_norm), label_type, len(label), uri)
        current = best.get(uri)
        if current is None or rank < current[0]:
            best[uri] = (rank, concept_kind, label if label_type != HIDDEN else "")
    chosen = sorted(best.items(), key=lambda item: item[1][0])[:limit]
    uris = [uri for uri, _ in chosen]
    labels = preferred_labels(session, uris, lang)
    codes = dict(session.execute(select(EscoConcept.uri, EscoConcept.code).where(EscoConcept.uri.in_(uris))).all())
    out = []
    for uri, (_, concept_kind, matched) in chosen:
        label, language = labels.get(uri, (matched or uri, lang))
        out.append(Suggestion(uri, concept_kind, label, language, matched if matched != label else "",
                              codes.get(uri, "")))
    return out


# Built once, its URIs bound when run: labels are looked up on every page of profiles.
_PREFERRED = select(EscoLabel.uri, EscoLabel.language, EscoLabel.label).where(
    EscoLabel.uri.in_(bindparam("uris", expanding=True)), EscoLabel.label_type == PREFERRED)


def preferred_labels(session: Session, uris: Iterable[str], lang: str) -> dict[str, tuple[str, str]]:
    """uri -> (preferred label, its language): the user's language, else en/it/fr, else any."""
    uris = list(dict.fromkeys(uris))
    if not uris:
        return {}
    order = [lang] + [x for x in FALLBACK if x != lang]
    found: dict[str, dict[str, str]] = {}
    connection = session.connection()
    for start in range(0, len(uris), 500):
        for uri, language, label in connection.execute(_PREFERRED, {"uris": uris[start:start + 500]}).tuples():
            found.setdefault(uri, {})[language] = label
    out = {}
    for uri, by_language in found.items():
        language = next((x for x in order if x in by_language), min(by_language))
        out[uri] = (by_language[language], language)
    return out


def concepts(session: Session, uris: Sequence[str]) -> dict[str, EscoConcept]:
    if not uris:
        return {}
    return {c.uri: c for c in session.scalars(select(EscoConcept).where(EscoConcept.uri.in_(list(set(uris)))))}


def resolve_labels(session: Session, kind: str, texts: Iterable[str]) -> dict[str, str]:
    """Free texts that are exactly a label (preferred or alternative, any language) of one concept of
    `kind`: normalized text -> URI. A text naming two concepts stays free text."""
    wanted = {normalized(t) for t in texts} - {""}
    found: dict[str, set[str]] = {}
    wanted_list = sorted(wanted)
    for start in range(0, len(wanted_list), 500):
        chunk = wanted_list[start:start + 500]
        for search_text, uri in session.execute(select(EscoLabel.search_text, EscoLabel.uri).where(
                EscoLabel.kind == kind, EscoLabel.label_type != HIDDEN, EscoLabel.search_text.in_(chunk))):
            found.setdefault(search_text, set()).add(uri)
    return {text: next(iter(uris)) for text, uris in found.items() if len(uris) == 1}


def labels_in_all_languages(session: Session, uris: Iterable[str]) -> dict[str, list[str]]:
    """uri -> its preferred and alternative labels in it/fr/en (what a profile's search text holds, so
    that an Italian operator finds a profile written in French)."""
    uris = list(dict.fromkeys(uris))
    out: dict[str, list[str]] = {}
    for start in range(0, len(uris), 500):
        for uri, label in session.execute(select(EscoLabel.uri, EscoLabel.label).where(
                EscoLabel.uri.in_(uris[start:start + 500]), EscoLabel.label_type != HIDDEN,
                EscoLabel.language.in_(LANGUAGES))
                .order_by(EscoLabel.id)):
            out.setdefault(uri, []).append(label)
    return out


def kind_word(kind: str, lang: str) -> str:
    return message(f"esco.kind.{kind}", lang)


def demo_directory() -> Path:
    return Path(__file__).resolve().parent / "data" / "esco"


def is_esco_uri(value: str) -> bool:
    return bool(URI.match(value or ""))


__all__ = ["EscoImport", "EscoImportError", "Suggestion", "concepts", "demo_directory", "esco_files", "import_esco",
           "is_esco_uri", "kind_word", "labels_in_all_languages", "preferred_labels", "resolve_labels", "suggest"]
