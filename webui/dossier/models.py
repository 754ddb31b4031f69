"""The dossier PDFs already made: one per case and language, the file in the file store."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.files import refer_to_files
from engine.models import Base, utcnow


class DossierPdf(Base):
    """The last PDF made of a case's dossier in a language. Laying a PDF out is the slow part of the page;
    the same document (the case at the same version, the same names and texts) gives the same PDF, so it
    is made again only when the HTML it comes from changed (`source_sha256`)."""

    __tablename__ = "dossier_pdfs"
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    lang: Mapped[str] = mapped_column(String(5), primary_key=True)
    source_sha256: Mapped[str] = mapped_column(String(64))
    sha256: Mapped[str] = mapped_column(String(64))  # the PDF, in the file store
    made_at: Mapped[datetime] = mapped_column(default=utcnow)


refer_to_files(DossierPdf.__table__.c.sha256)
