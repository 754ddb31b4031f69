"""Assessment files on disk, their revisions in the database, the built specs in memory.

Like pathways: each valid distinct content is a revision stored once; an invalid file never replaces the
last valid revision; responses are pinned to the revision they were answered on.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .assessment import Assessment, CheckedAssessment, build_assessment
from .assessment_scenarios import load_assessments
from .db import writing
from .errors import InvalidOperation
from .models import AssessmentRevision
from .revision_library import RevisionLibrary


class AssessmentLibrary(RevisionLibrary[Assessment]):
    revision_model = AssessmentRevision
    unknown = ("unknown_assessment", "assessment")
    last_report: list[CheckedAssessment]

    def sync(self, known_pathways: set[str] | None = None) -> list[CheckedAssessment]:
        if self.directory is None or not self.directory.is_dir():
            return []
        report = list(load_assessments(self.directory, known_pathways).values())
        with writing(self.session_factory).begin() as session:
            for checked in report:
                if checked.assessment is not None and checked.source is not None:
                    self._store(session, checked.assessment, checked.source.text, checked.file)
        self.last_report = report
        return report

    def register(self, assessment: Assessment, source_text: str = "", source_file: str = "") -> int:
        with writing(self.session_factory).begin() as session:
            return self._store(session, assessment, source_text, source_file).id

    @staticmethod
    def _store(session: Session, assessment: Assessment, text: str, file: str) -> AssessmentRevision:
        existing = session.scalar(select(AssessmentRevision).where(
            AssessmentRevision.assessment_id == assessment.id,
            AssessmentRevision.content_hash == assessment.content_hash))
        if existing is not None:
            return existing
        revision = AssessmentRevision(assessment_id=assessment.id, version=assessment.version,
                                      content_hash=assessment.content_hash, source_text=text,
                                      document=dict(assessment.document), source_file=file)
        session.add(revision)
        session.flush()
        return revision

    def _build(self, revision_id: int, document: dict[str, Any]) -> Assessment:
        return build_assessment(document)

    def current_revision_id(self, assessment_id: str, session: Session) -> int:
        """The newest stored revision of an assessment (files that fail never get stored)."""
        found = session.scalar(select(AssessmentRevision.id).where(
            AssessmentRevision.assessment_id == assessment_id).order_by(AssessmentRevision.id.desc()).limit(1))
        if found is None:
            raise InvalidOperation("unknown_assessment", assessment=assessment_id)
        return found

    def assessment_ids(self) -> list[str]:
        with self.session_factory() as session:
            return sorted(set(session.scalars(select(AssessmentRevision.assessment_id))))
