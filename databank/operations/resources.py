"""Structural resources: create, change, delete, read, and their photos and documents (stored by content)."""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from engine.cases import Actor
from engine.files import TYPES, detect_type, safe_filename
from engine.i18n import DEFAULT_LANGUAGE

from ..errors import DatabankError, EntryInvalid, EntryNotFound, Problem
from ..models import Resource, ResourceFile, ResourceTranslation
from .access import refuse_edit, refuse_move_or_stale, require_reader
from .base import DatabankBase, Saved
from .recording import RESOURCE_SUBJECT, given_fields, record_change
from .records import resource_record
from .values import RESOURCE_FIELDS, ResourceDraft, apply_resource, check_resource


PHOTO_TYPES = ("jpg", "png")


DOCUMENT_TYPES = ("pdf", "docx", "odt", "xlsx", "ods", "txt", "jpg", "png")


MAX_FILE_BYTES = 10 * 1024 * 1024
TRANSLATED_LANGUAGES = ("it", "fr", "en")


class ResourceOperations(DatabankBase):
    """Creating, changing, deleting and reading structural resources, and their photos and documents."""

    def create_resource(self, actor: Actor, data: dict[str, Any], locale: str | None = None) -> Saved:
        """`locale`: the language typed numbers are written in (None: plain notation, as in files)."""
        with self._transaction() as session:
            refuse_edit(actor, str(data.get("desk_id") or ""))
            draft, problems = check_resource(session, actor, data, locale=locale)
            if problems:
                raise EntryInvalid(problems)
            resource = self._new_resource(session, actor, draft)
            record_change(session, actor, RESOURCE_SUBJECT, resource.id, "resource_created", {"desk": resource.desk_id})
            return Saved(resource.id, resource.version)

    def _new_resource(self, session: Session, actor: Actor, draft: ResourceDraft) -> Resource:
        resource = Resource.new(actor.id, self.clock())
        apply_resource(resource, draft)
        return self._created(session, resource)

    def update_resource(self, actor: Actor, resource_id: int, version: int, changes: dict[str, Any],
                        locale: str | None = None) -> Saved:
        with self._transaction() as session:
            resource = self._resource(session, resource_id)
            refuse_edit(actor, resource.desk_id)
            refuse_move_or_stale(actor, resource, version, changes)
            draft, problems = check_resource(session, actor, changes, resource, locale=locale)
            if problems:
                raise EntryInvalid(problems)
            with session.no_autoflush:
                apply_resource(resource, draft)
                resource.changed_by(actor.id, self.clock())
            session.flush()
            record_change(session, actor, RESOURCE_SUBJECT, resource.id, "resource_changed",
                    {"desk": resource.desk_id, "fields": given_fields(changes, RESOURCE_FIELDS)})
            return Saved(resource.id, resource.version)

    def delete_resource(self, actor: Actor, resource_id: int) -> None:
        with self._transaction() as session:
            resource = self._resource(session, resource_id)
            refuse_edit(actor, resource.desk_id)
            if resource.status == "reserved":
                raise EntryInvalid([Problem("status", "value.status_via_case")])
            session.delete(resource)
            session.flush()
            record_change(session, actor, RESOURCE_SUBJECT, resource_id, "resource_deleted", {"desk": resource.desk_id})

    def translate_resource(self, actor: Actor, resource_id: int, language: str, title: str,
                           description: str) -> None:
        """The title and description in another language than the owner's (for the public catalogue); both
        empty remove the translation."""
        with self._transaction() as session:
            resource = self._resource(session, resource_id)
            refuse_edit(actor, resource.desk_id)
            title, description = " ".join(title.split()), description.strip()
            problems = []
            if language not in TRANSLATED_LANGUAGES or language == resource.text_language:
                problems.append(Problem("language", "value.unknown_code", {
                    "value": language, "known": ", ".join(sorted(set(TRANSLATED_LANGUAGES) - {resource.text_language}))}))
            if description and not title:
                problems.append(Problem("title", "value.required"))
            if len(title) > 200:
                problems.append(Problem("title", "value.too_long", {"max": 200, "length": len(title)}))
            if len(description) > 5000:
                problems.append(Problem("description", "value.too_long", {"max": 5000, "length": len(description)}))
            if problems:
                raise EntryInvalid(problems)
            existing = next((t for t in resource.translations if t.language == language), None)
            if not title:
                if existing is None:
                    return
                resource.translations.remove(existing)
            elif existing is None:
                resource.translations.append(ResourceTranslation(language=language, title=title,
                                                                 description=description))
            else:
                existing.title, existing.description = title, description
            session.flush()
            record_change(session, actor, RESOURCE_SUBJECT, resource.id, "resource_translated",
                          {"desk": resource.desk_id, "language": language, "removed": not title})

    def get_resource(self, actor: Actor, resource_id: int, lang: str = DEFAULT_LANGUAGE) -> dict[str, Any]:
        require_reader(actor)
        with self.sessions() as session:
            return resource_record(self._resource(session, resource_id), lang)

    @staticmethod
    def _resource(session: Session, resource_id: int) -> Resource:
        return DatabankBase._found(session, Resource, resource_id, "databank.resource_not_found",
                                   Resource.files, Resource.links)

    def add_resource_file(self, actor: Actor, resource_id: int, kind: str, filename: str, content: bytes,
                          caption: str = "", public: bool | None = None) -> int:
        """Attach a photo (JPEG, PNG; public by default) or a document (not public by default)."""
        if self.files is None:
            raise RuntimeError("the databank was built without a FileStore")
        name = safe_filename(filename)
        if name is None:
            raise DatabankError("databank.file_name")
        if kind not in ("photo", "document"):
            raise EntryInvalid([Problem("kind", "value.unknown_code", {"value": kind, "known": ["photo", "document"]})])
        if len(content) > MAX_FILE_BYTES:
            raise DatabankError("databank.file_too_large", filename=name, max_mb=MAX_FILE_BYTES // (1024 * 1024))
        accepted = PHOTO_TYPES if kind == "photo" else DOCUMENT_TYPES
        file_type, found = detect_type(name, content, accepted)
        if file_type is None:
            raise DatabankError("databank.file_type", filename=name, kind=kind, found=found, accepted=list(accepted))
        with self._transaction() as session:
            resource = self._resource(session, resource_id)
            refuse_edit(actor, resource.desk_id)
            # The bytes first: the row only ever refers to a file that exists.
            digest = self.files.put(content)
            row = ResourceFile(kind=kind, sha256=digest, filename=name, content_type=TYPES[file_type],
                               size=len(content), caption=" ".join(caption.split())[:300],
                               public=(kind == "photo") if public is None else public,
                               uploaded_by=actor.id, uploaded_at=self.clock())
            resource.files.append(row)
            session.flush()
            record_change(session, actor, RESOURCE_SUBJECT, resource_id, "resource_file_added",
                    {"file": row.id, "kind": kind, "sha256": digest, "public": row.public})
            return row.id

    def remove_resource_file(self, actor: Actor, resource_id: int, file_id: int) -> None:
        with self._transaction() as session:
            resource = self._resource(session, resource_id)
            refuse_edit(actor, resource.desk_id)
            row = next((f for f in resource.files if f.id == file_id), None)
            if row is None:
                raise EntryNotFound("databank.file_not_found", id=file_id)
            # The bytes stay: the store is content-addressed and another row may share them.
            resource.files.remove(row)
            session.flush()
            record_change(session, actor, RESOURCE_SUBJECT, resource_id, "resource_file_removed", {"file": file_id})
