"""Import and export of profiles and resources as CSV or XLSX.

Import is all or nothing: every row is checked first (with the same rules as the forms, and a report
per row), and only a file without a single problem is written, in one transaction. A file that cannot
be read (wrong columns, not UTF-8, not a spreadsheet, a formula anywhere) is refused as a whole with a
clear message; nothing changes. A row with an `id` updates that entry (if the actor may edit it); a row
without one creates an entry at the desk named for the import.

Export writes any filtered list (the search's filters) with the same columns, so an exported file can
be edited and imported again. Cells that a spreadsheet would run as formulas are written as text.
Multi-valued cells are separated by "; "; occupations and skills are written `label (ESCO URI) [level]`.
"""
from __future__ import annotations

import csv
import io
import re
import time
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from engine.cases import Actor
from engine.db import writing
from engine.i18n import DEFAULT_LANGUAGE

from . import esco, textindex
from .errors import Problem
from .fields import looks_like_formula
from .i18n import message
from .models import Profile, Resource
from .operations import (
    IMPORT_SUBJECT, PERSONAL_PROFILE_FIELDS, Databank, ProfileDraft, ResourceDraft, Taxonomy, refuse_edit,
    apply_profile, apply_resource, check_profile, check_resource, may_edit, profile_access, record_change,
    require_reader,
)
from .search import ProfileQuery, ResourceQuery, profile_conditions, resource_conditions
from .territory import gazetteer
from .vocabulary import LEVELS, label

PROFILE_COLUMNS = (
    "id", "display_name", "email", "phone", "summary", "person_id", "years_experience", "occupations", "skills",
    "qualifications", "languages", "country", "region", "province", "municipality", "latitude", "longitude",
    "mobility", "availability", "available_from", "supply_chains", "origin_firm", "origin_firm_nace",
    "consent_to_share",
)
RESOURCE_COLUMNS = (
    "id", "title", "category", "description", "country", "region", "province", "municipality", "address",
    "latitude", "longitude", "surface_m2", "capacity", "condition", "offers", "available_from", "terms",
    "owner_kind", "owner_name", "contact_name", "contact_email", "contact_phone", "origin_firm", "origin_firm_nace",
    "supply_chains", "status", "published",
)
COLUMNS = {"profiles": PROFILE_COLUMNS, "resources": RESOURCE_COLUMNS}
REQUIRED = {"profiles": ("display_name",), "resources": ("title", "category")}
MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 20_000
# What a file may unpack to, and the shape of its rows: a small file made to be huge when unpacked (or wide,
# or long, or slow) is refused before it is read into memory, or as soon as a bound is passed while reading.
MAX_UNPACKED_BYTES = 64 * 1024 * 1024      # every part of an XLSX together
MAX_PART_BYTES = {"sharedStrings": 16 * 1024 * 1024, "sheet": 48 * 1024 * 1024, "other": 4 * 1024 * 1024}
MAX_PARTS = 200
MAX_SHARED_STRINGS = 300_000
MAX_COLUMNS = max(len(PROFILE_COLUMNS), len(RESOURCE_COLUMNS)) + 20  # some spare (empty) columns are fine
MAX_CELL_CHARS = 32_767                    # a spreadsheet's own limit
MAX_READ_SECONDS = 20
MAX_EXPORT = 200_000
_URI_IN_TEXT = re.compile(r"\(?\s*(http://data\.europa\.eu/esco/(?:occupation|skill)/[A-Za-z0-9.\-]+)\s*\)?")


@dataclass
class RowReport:
    row: int  # as a spreadsheet numbers it: the header is row 1
    action: str  # create / update
    id: int | None = None
    problems: list[Problem] = field(default_factory=list)


@dataclass
class ImportReport:
    kind: str
    dry_run: bool
    file_problems: list[Problem] = field(default_factory=list)
    rows: list[RowReport] = field(default_factory=list)
    committed: bool = False

    @property
    def ok(self) -> bool:
        return not self.file_problems and not any(r.problems for r in self.rows)

    @property
    def created(self) -> int:
        return sum(r.action == "create" for r in self.rows)

    @property
    def updated(self) -> int:
        return sum(r.action == "update" for r in self.rows)

    def summary(self, lang: str = DEFAULT_LANGUAGE) -> str:
        if self.file_problems:
            return message("exchange.file_errors", lang)
        failed = sum(bool(r.problems) for r in self.rows)
        if failed:
            return message("exchange.row_errors", lang, count=failed)
        code = "exchange.imported" if self.committed else "exchange.checked"
        return message(code, lang, created=self.created, updated=self.updated)

    def messages(self, lang: str = DEFAULT_LANGUAGE) -> list[str]:
        """Every problem, one line each: the file's, then row by row."""
        lines = [p.message(lang) for p in self.file_problems]
        for r in self.rows:
            for p in r.problems:
                lines.append(message("exchange.row", lang, row=r.row, column=p.field, message=p.message(lang)))
        return lines


class _Refused(Exception):
    def __init__(self, problem: Problem):
        self.problem = problem


# --- reading files -----------------------------------------------------------------------------------

def read_table(filename: str, content: bytes) -> tuple[list[str], list[list[Any]]]:
    """The header and the rows of a CSV or XLSX file; raises _Refused with the reason it cannot be read."""
    if len(content) > MAX_BYTES:
        raise _Refused(Problem("", "exchange.too_large", {"max_mb": MAX_BYTES // (1024 * 1024)}))
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension == "xlsx":
        return _read_xlsx(content)
    if extension in ("csv", "txt"):
        return _read_csv(content)
    raise _Refused(Problem("", "exchange.format", {"filename": filename}))


def _read_csv(content: bytes) -> tuple[list[str], list[list[Any]]]:
    if content.startswith(b"PK\x03\x04") or b"\x00" in content[:4096] and not content.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _Refused(Problem("", "exchange.binary"))
    try:
        if content.startswith((b"\xff\xfe", b"\xfe\xff")):
            text = content.decode("utf-16")
        else:
            text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _Refused(Problem("", "exchange.encoding", {"position": exc.start})) from exc
    first_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    bounds = _Bounds()
    rows: list[list[Any]] = []
    try:
        for record in reader:
            bounds.check_row(record, reader.line_num, len(rows) + 1)
            rows.append(record)
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise _Refused(Problem("", "exchange.cell_too_long", {"cell": f"{reader.line_num}",
                                                                  "max": MAX_CELL_CHARS})) from exc
        raise _Refused(Problem("", "exchange.csv_syntax", {"line": reader.line_num, "reason": str(exc)})) from exc
    if not rows:
        raise _Refused(Problem("", "exchange.empty"))
    return [str(h) for h in rows[0]], rows[1:]


class _Bounds:
    """The rows, columns, cell lengths and time a file may take, checked row by row as it is read."""

    def __init__(self) -> None:
        self.deadline = time.monotonic() + MAX_READ_SECONDS

    def check_row(self, values: Iterable[Any] | list[Any], where: int | str, count: int) -> None:
        if count > MAX_ROWS + 1:
            raise _Refused(Problem("", "exchange.too_many_rows", {"rows": f"> {MAX_ROWS}", "max": MAX_ROWS}))
        if len(values) > MAX_COLUMNS:  # type: ignore[arg-type]
            raise _Refused(Problem("", "exchange.too_many_columns", {"row": where, "max": MAX_COLUMNS}))
        for value in values:
            if isinstance(value, str) and len(value) > MAX_CELL_CHARS:
                raise _Refused(Problem("", "exchange.cell_too_long", {"cell": where, "max": MAX_CELL_CHARS}))
        if time.monotonic() > self.deadline:
            raise _Refused(Problem("", "exchange.too_slow", {"seconds": MAX_READ_SECONDS}))


def _check_archive(content: bytes) -> None:
    """Refuse an XLSX whose parts would unpack beyond the bounds, before any of it is unpacked. The sizes come
    from the archive's directory; a part that unpacks to more than it declares fails its read."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            parts = archive.infolist()
            if len(parts) > MAX_PARTS:
                raise _Refused(Problem("", "exchange.unpacked_too_large", {"max_mb": MAX_UNPACKED_BYTES // 2**20}))
            total = 0
            for part in parts:
                name = part.filename.rsplit("/", 1)[-1]
                kind = "sharedStrings" if name.startswith("sharedStrings") else \
                    "sheet" if part.filename.startswith("xl/worksheets/") else "other"
                total += part.file_size
                if part.file_size > MAX_PART_BYTES[kind] or total > MAX_UNPACKED_BYTES:
                    raise _Refused(Problem("", "exchange.unpacked_too_large",
                                           {"max_mb": MAX_UNPACKED_BYTES // 2**20}))
                if kind == "sharedStrings" and _count_in_part(archive, part, b"<si") > MAX_SHARED_STRINGS:
                    raise _Refused(Problem("", "exchange.unpacked_too_large",
                                           {"max_mb": MAX_UNPACKED_BYTES // 2**20}))
    except zipfile.BadZipFile as exc:
        raise _Refused(Problem("", "exchange.xlsx_unreadable", {"reason": type(exc).__name__})) from exc


def _count_in_part(archive: zipfile.ZipFile, part: zipfile.ZipInfo, needle: bytes) -> int:
    """How often `needle` occurs in a part, unpacked a chunk at a time (a million tiny strings are slow to
    parse, not to count)."""
    count, tail = 0, b""
    with archive.open(part) as stream:
        while chunk := stream.read(1 << 20):
            block = tail + chunk
            count += block.count(needle)
            tail = block[-(len(needle) - 1):]
            count -= tail.count(needle)  # counted again with the next chunk
    return count + tail.count(needle)


def _read_xlsx(content: bytes) -> tuple[list[str], list[list[Any]]]:
    import openpyxl  # defusedxml, installed beside it, makes it refuse XML bombs
    from openpyxl.utils import get_column_letter
    from openpyxl.utils.exceptions import InvalidFileException

    _check_archive(content)
    try:
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise _Refused(Problem("", "exchange.xlsx_unreadable", {"reason": type(exc).__name__})) from exc
    except Exception as exc:  # noqa: BLE001 - a malformed or hostile file may fail anywhere inside the reader
        raise _Refused(Problem("", "exchange.xlsx_unreadable", {"reason": type(exc).__name__})) from exc
    bounds = _Bounds()
    try:
        sheet = book.worksheets[0]
        sheet.reset_dimensions()  # the size the file claims is not trusted: rows are as long as their cells
        rows: list[list[Any]] = []
        for row in sheet.iter_rows():
            bounds.check_row(row, len(rows) + 1, len(rows) + 1)
            values = []
            for cell in row:
                if getattr(cell, "data_type", None) == "f":
                    where = f"{get_column_letter(cell.column)}{cell.row}"
                    raise _Refused(Problem("", "exchange.formula_cell", {"cell": where}))
                value = _cell_value(cell.value)
                if isinstance(value, str) and len(value) > MAX_CELL_CHARS:
                    raise _Refused(Problem("", "exchange.cell_too_long", {"cell": f"{len(rows) + 1}",
                                                                          "max": MAX_CELL_CHARS}))
                values.append(value)
            rows.append(values)
    except _Refused:
        raise
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, EOFError) as exc:  # a part that lies about its size
        raise _Refused(Problem("", "exchange.xlsx_unreadable", {"reason": type(exc).__name__})) from exc
    finally:
        book.close()
    while rows and all(v in (None, "") for v in rows[-1]):
        rows.pop()
    if not rows:
        raise _Refused(Problem("", "exchange.empty"))
    return ["" if h is None else str(h) for h in rows[0]], rows[1:]


def _cell_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.date() if value.time() == datetime.min.time() else value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _columns(kind: str, header: list[str]) -> list[str]:
    names = [re.sub(r"[\s\-]+", "_", h.strip().lower()) for h in header]
    while names and names[-1] == "":
        names.pop()
    known = COLUMNS[kind]
    unknown = [h for h in names if h not in known]
    if unknown:
        raise _Refused(Problem("", "exchange.unknown_columns", {"columns": [h or "''" for h in unknown], "known": list(known)}))
    twice = sorted({h for h in names if names.count(h) > 1})
    if twice:
        raise _Refused(Problem("", "exchange.duplicate_columns", {"columns": twice}))
    missing = [c for c in REQUIRED[kind] if c not in names]
    if missing:
        raise _Refused(Problem("", "exchange.missing_columns", {"columns": missing}))
    return names


# --- import ------------------------------------------------------------------------------------------

def import_file(databank: Databank, actor: Actor, kind: str, filename: str, content: bytes, desk_id: str,
                dry_run: bool = False) -> ImportReport:
    """Check a file of profiles or resources and, if every row is right and it is not a dry run, write
    them all in one transaction. The report says what was (or would be) done, row by row."""
    if kind not in COLUMNS:
        raise ValueError(kind)
    report = ImportReport(kind, dry_run)
    refuse_edit(actor, desk_id)
    try:
        header, rows = read_table(filename, content)
        names = _columns(kind, header)
        if len(rows) > MAX_ROWS:
            raise _Refused(Problem("", "exchange.too_many_rows", {"rows": len(rows), "max": MAX_ROWS}))
    except _Refused as refused:
        report.file_problems.append(refused.problem)
        return report
    entries = [(number, record) for number, record in enumerate(rows, start=2)
               if any(v not in (None, "") and str(v).strip() for v in record)]
    if not entries:
        report.file_problems.append(Problem("", "exchange.empty"))
        return report
    with writing(databank.sessions).begin() as session:
        taxonomy = Taxonomy(session)
        drafts = _check_rows(session, actor, kind, names, entries, desk_id, taxonomy, report)
        if not report.ok or dry_run:
            session.rollback()
            return report
        now = databank.clock()
        for row, current, draft in drafts:
            if current is None:
                entry = databank._new_profile(session, actor, draft, taxonomy) if kind == "profiles" \
                    else databank._new_resource(session, actor, draft)  # type: ignore[arg-type]
            else:
                with session.no_autoflush:
                    if kind == "profiles":
                        apply_profile(current, draft, taxonomy)  # type: ignore[arg-type]
                    else:
                        apply_resource(current, draft)  # type: ignore[arg-type]
                    current.updated_at, current.updated_by = now, actor.id
                session.flush()
                entry = current
            row.id = entry.id
        # One import, one audit entry: the rows it created and updated.
        record_change(session, actor, IMPORT_SUBJECT, desk_id, f"{kind}_imported", {
            "filename": filename[:200], "created": [r.id for r in report.rows if r.action == "create"],
            "updated": [r.id for r in report.rows if r.action == "update"]})
        report.committed = True
    return report


def _check_rows(session: Session, actor: Actor, kind: str, names: list[str], entries: list[tuple[int, list[Any]]],
                desk_id: str, taxonomy: Taxonomy, report: ImportReport
                ) -> list[tuple[RowReport, Profile | Resource | None, ProfileDraft | ResourceDraft]]:
    model = Profile if kind == "profiles" else Resource
    ids = [_int(dict(zip(names, record)).get("id")) for _, record in entries]
    loaded = {e.id: e for e in session.scalars(select(model).where(model.id.in_([i for i in ids if i])))}
    if kind == "profiles":
        _prefetch(taxonomy, names, entries)
    drafts = []
    seen_ids: set[int] = set()
    for (number, record), entry_id in zip(entries, ids):
        data = {name: _text(value) for name, value in zip(names, record) if name}
        raw_id = data.pop("id", "")
        row = RowReport(number, "create")
        beyond = [v for v in record[len(names):] if v not in (None, "") and str(v).strip()]
        if beyond:  # never cut silently: a shifted row would put its values under the wrong columns
            row.problems.append(Problem("", "exchange.extra_cells", {"cells": len(names) + len(beyond),
                                                                    "columns": len(names)}))
            report.rows.append(row)
            continue
        current = None
        if raw_id:
            current = loaded.get(entry_id) if entry_id else None
            if current is None or not may_edit(actor, current.desk_id) or entry_id in seen_ids:
                row.problems.append(Problem("id", "exchange.not_found", {"value": raw_id}))
                report.rows.append(row)
                continue
            seen_ids.add(entry_id)
            row.action, row.id = "update", entry_id
        else:
            data["desk_id"] = desk_id
        if kind == "profiles":
            draft, problems = check_profile(session, actor, data, current, taxonomy, from_file=True)  # type: ignore[arg-type]
        else:
            draft, problems = check_resource(session, actor, data, current, from_file=True)  # type: ignore[arg-type]
        row.problems.extend(problems)
        report.rows.append(row)
        drafts.append((row, current, draft))
    return drafts


def _prefetch(taxonomy: Taxonomy, names: list[str], entries: list[tuple[int, list[Any]]]) -> None:
    """Ask the taxonomy about every occupation and skill of the file at once."""
    from .fields import split_list
    from .operations import split_level

    for column, kind in (("occupations", "occupation"), ("skills", "skill")):
        if column not in names:
            continue
        index = names.index(column)
        texts = []
        for _, record in entries:
            if index < len(record):
                texts += [_competence_text(split_level(str(item))[0]) for item in split_list(_text(record[index]))]
        taxonomy.prefetch(kind, [t for t in texts if t])


def _competence_text(text: str) -> str:
    match = _URI_IN_TEXT.search(text)
    return match.group(1) if match else text


def _text(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str):
        text = value.strip()
        return _with_uris(text)
    return value


def _with_uris(text: str) -> str:
    """`saldatore (http://data.europa.eu/esco/...) [expert]` -> the URI with its level."""
    if "http://data.europa.eu/esco/" not in text:
        return text
    from .fields import split_list
    from .operations import split_level

    items = []
    for item in split_list(text):
        head, level = split_level(item)
        head = _competence_text(head)
        items.append(f"{head} [{level}]" if level else head)
    return "; ".join(items)


def _int(value: Any) -> int | None:
    try:
        return int(str(value).strip()) if value not in (None, "") else None
    except ValueError:
        return None


# --- export ------------------------------------------------------------------------------------------

def export_profiles(session: Session, actor: Actor, query: ProfileQuery, fmt: str = "csv",
                    lang: str = DEFAULT_LANGUAGE) -> bytes:
    """The profiles a search finds, as the actor may see them (other desks' personal columns empty)."""
    require_reader(actor)
    textindex.ensure_indexes(session)
    rows = session.scalars(select(Profile).where(*profile_conditions(session, actor, query)).order_by(Profile.id)
                           .limit(MAX_EXPORT).options(selectinload(Profile.occupations), selectinload(Profile.skills)))
    profiles = list(rows)
    uris = [c.esco_uri for p in profiles for c in [*p.occupations, *p.skills] if c.esco_uri]
    labels = esco.preferred_labels(session, uris, lang)
    places = gazetteer()
    table = []
    for p in profiles:
        full = profile_access(actor, p) == "full"
        values = {
            "id": p.id, "display_name": p.display_name, "email": p.email, "phone": p.phone, "summary": p.summary,
            "person_id": p.person_id or "", "years_experience": p.years_experience,
            "occupations": _competences(p.occupations, labels, lang),
            "skills": _competences(p.skills, labels, lang),
            "qualifications": "; ".join(p.qualifications or []),
            "languages": "; ".join(f"{x['code']}:{x['level']}" if x.get("level") else x["code"] for x in p.languages or []),
            "country": p.country, "region": places.name(p.region, lang) if p.region else "",
            "province": places.name(p.province, lang) if p.province else "", "municipality": p.municipality,
            "latitude": p.latitude, "longitude": p.longitude,
            "mobility": label("mobility", p.mobility, lang), "availability": label("availability", p.availability, lang),
            "available_from": p.available_from, "supply_chains": "; ".join(label("supply_chain", c, lang) for c in p.supply_chains),
            "origin_firm": p.origin_firm, "origin_firm_nace": p.origin_firm_nace,
            "consent_to_share": message("exchange.yes" if p.consent_to_share else "exchange.no", lang),
        }
        if not full:
            for name in PERSONAL_PROFILE_FIELDS:
                values[name] = None
        table.append([values[c] for c in PROFILE_COLUMNS])
    return _write(fmt, PROFILE_COLUMNS, table, "profiles")


def export_resources(session: Session, actor: Actor, query: ResourceQuery, fmt: str = "csv",
                     lang: str = DEFAULT_LANGUAGE) -> bytes:
    require_reader(actor)
    textindex.ensure_indexes(session)
    rows = session.scalars(select(Resource).where(*resource_conditions(session, query)).order_by(Resource.id)
                           .limit(MAX_EXPORT))
    places = gazetteer()
    table = []
    for r in rows:
        values = {name: getattr(r, name) for name in RESOURCE_COLUMNS if name not in ("offers", "supply_chains")}
        values.update({
            "category": label("category", r.category, lang), "condition": label("condition", r.condition, lang),
            "owner_kind": label("owner_kind", r.owner_kind, lang), "status": label("status", r.status, lang),
            "region": places.name(r.region, lang) if r.region else "",
            "province": places.name(r.province, lang) if r.province else "",
            "offers": "; ".join(label("offer", o, lang) for o in r.offers),
            "supply_chains": "; ".join(label("supply_chain", c, lang) for c in r.supply_chains),
            "published": message("exchange.yes" if r.published else "exchange.no", lang),
        })
        table.append([values[c] for c in RESOURCE_COLUMNS])
    return _write(fmt, RESOURCE_COLUMNS, table, "resources")


def _competences(items: Iterable[Any], labels: dict[str, tuple[str, str]], lang: str) -> str:
    out = []
    for c in items:
        text = f"{labels.get(c.esco_uri, (c.label,))[0]} ({c.esco_uri})" if c.esco_uri else c.label
        if c.level:
            text += f" [{label('level', LEVELS[c.level - 1], lang)}]"
        out.append(text)
    return "; ".join(out)


def _write(fmt: str, header: tuple[str, ...], table: list[list[Any]], title: str) -> bytes:
    if fmt == "xlsx":
        return _write_xlsx(header, table, title)
    if fmt != "csv":
        raise ValueError(fmt)
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in table:
        writer.writerow([_csv_cell(v) for v in row])
    return "\ufeff".encode() + out.getvalue().encode("utf-8")  # BOM: Excel opens it as UTF-8


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value)
    # A spreadsheet would run it: write it as text.
    return "'" + text if looks_like_formula(text) else text


def _write_xlsx(header: tuple[str, ...], table: list[list[Any]], title: str) -> bytes:
    import openpyxl
    from openpyxl.cell import WriteOnlyCell

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet(title)
    sheet.append(list(header))
    for row in table:
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str) and value.startswith("="):
                cell.data_type = "s"  # text, not a formula
            cells.append(cell)
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()

