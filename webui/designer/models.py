"""Tables of the designer workbench: drafts (texts not, or not yet, a revision) and the log of saves.

A draft is what a designer typed that did not become a revision: a file that fails validation, or a save
that lost a race with another designer's. It never becomes an active revision by itself.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.models import Base, utcnow


class PathwayDraft(Base):
    __tablename__ = "pathway_drafts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pathway_id: Mapped[str] = mapped_column(String(64), index=True)
    file_name: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    base_revision_id: Mapped[int | None] = mapped_column(ForeignKey("pathway_revisions.id"))
    reason: Mapped[str] = mapped_column(String(16))  # invalid / conflict
    problems: Mapped[list[Any]] = mapped_column(default=list)
    author: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PathwaySave(Base):
    """Who saved which revision of which pathway, and when.

    Each save names the pathway's previous save (`parent_save_id`, 0 for the first): two designers saving
    from the same state claim the same parent, and the unique constraint lets only one of them in.
    """

    __tablename__ = "pathway_saves"
    __table_args__ = (UniqueConstraint("pathway_id", "parent_save_id", name="uq_pathway_saves_parent"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    parent_save_id: Mapped[int] = mapped_column(Integer, default=0)
    pathway_id: Mapped[str] = mapped_column(String(64), index=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("pathway_revisions.id"))
    base_revision_id: Mapped[int | None] = mapped_column(ForeignKey("pathway_revisions.id"))
    author: Mapped[str] = mapped_column(String(64))
    saved_at: Mapped[datetime] = mapped_column(default=utcnow)
