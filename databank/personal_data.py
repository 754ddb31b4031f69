"""The databank's part of a worker's personal data: their professional profiles in the download, erased with
them, and hidden from other desks and the catalogue once they withdraw their consent.

Joins the engine's export and erasure as one kind of personal data (`engine.personal_data.register_kind`).
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, delete, select, update
from sqlalchemy.orm import Session, selectinload

from engine import audit
from engine.personal_data import Erasure, PersonalDataKind, register_kind

from . import esco, textindex
from .models import Profile, ProfileOccupation, ProfileSkill, ProfileText
from .operations.recording import PROFILE_SUBJECT
from .operations.records import profile_record

PROFILES, TEXTS = Profile.__table__, ProfileText.__table__
OCCUPATIONS, SKILLS = ProfileOccupation.__table__, ProfileSkill.__table__


def export_profiles(connection: Connection, person_id: str, lang: str = "en") -> list[dict[str, Any]]:
    """The person's profiles as they see them (all of it)."""
    with Session(bind=connection) as session:
        profiles = session.scalars(select(Profile).where(Profile.person_id == person_id).order_by(Profile.id)
                                   .options(selectinload(Profile.occupations), selectinload(Profile.skills))).all()
        uris = [c.esco_uri for p in profiles for c in [*p.occupations, *p.skills] if c.esco_uri]
        labels = esco.preferred_labels(session, uris, lang)
        return [profile_record(p, "full", lang, labels) for p in profiles]


def profile_words(connection: Connection, person_id: str) -> set[str]:
    """How the profiles name and reach the person (to scrub from free text elsewhere)."""
    words: set[str] = set()
    for row in connection.execute(select(PROFILES.c.display_name, PROFILES.c.email, PROFILES.c.phone).where(
            PROFILES.c.person_id == person_id)):
        words.update(w for w in row if w)
    return words


def erase_profiles(erasure: Erasure) -> None:
    """The profiles go whole (name, contacts, summary, competences, the words of the search index), each with
    an audit entry that names the profile, never the person."""
    connection = erasure.connection
    for profile in list(connection.execute(select(PROFILES.c.id, PROFILES.c.desk_id).where(
            PROFILES.c.person_id == erasure.person_id))):
        for table in (TEXTS, OCCUPATIONS, SKILLS):
            connection.execute(delete(table).where(table.c.profile_id == profile.id))
        connection.execute(delete(PROFILES).where(PROFILES.c.id == profile.id))
        audit.record(connection, subject_type=PROFILE_SUBJECT, subject_id=profile.id, type="profile_deleted",
                     actor_id=erasure.actor_id, actor_roles=["admin"], at=erasure.now,
                     data={"desk": profile.desk_id, "person_erased": True})
    textindex.forget_unused_free_text(connection)
    textindex.forget_deleted_words(connection)


def stop_processing(connection: Connection, person_id: str, actor_id: str, actor_roles: list[str]) -> list[int]:
    """The worker withdrew their consent: their profiles are no longer shared nor listed outside their desk
    (in the caller's transaction, an audit entry each). Returns the profiles' ids."""
    ids = list(connection.execute(select(PROFILES.c.id).where(
        PROFILES.c.person_id == person_id, PROFILES.c.processing_stopped.is_(False))).scalars())
    for profile_id in ids:
        desk = connection.execute(update(PROFILES).where(PROFILES.c.id == profile_id).values(
            processing_stopped=True, consent_to_share=False, version=PROFILES.c.version + 1)
            .returning(PROFILES.c.desk_id)).scalar_one()
        audit.record(connection, subject_type=PROFILE_SUBJECT, subject_id=profile_id, type="profile_changed",
                     actor_id=actor_id, actor_roles=actor_roles,
                     data={"desk": desk, "fields": ["consent_to_share", "processing_stopped"],
                           "consent_to_share": False, "processing_stopped": True})
    return ids


def resume_processing(connection: Connection, person_id: str, actor_id: str, actor_roles: list[str]) -> list[int]:
    """Consent given again: the profiles are listed to other desks again (sharing the personal part stays
    off until the worker or their desk chooses it)."""
    ids = list(connection.execute(select(PROFILES.c.id).where(
        PROFILES.c.person_id == person_id, PROFILES.c.processing_stopped.is_(True))).scalars())
    for profile_id in ids:
        desk = connection.execute(update(PROFILES).where(PROFILES.c.id == profile_id).values(
            processing_stopped=False, version=PROFILES.c.version + 1).returning(PROFILES.c.desk_id)).scalar_one()
        audit.record(connection, subject_type=PROFILE_SUBJECT, subject_id=profile_id, type="profile_changed",
                     actor_id=actor_id, actor_roles=actor_roles,
                     data={"desk": desk, "fields": ["processing_stopped"], "processing_stopped": False})
    return ids


PROFILES_KIND = register_kind(PersonalDataKind(
    "databank_profiles", export=export_profiles, erase=erase_profiles, words=profile_words))
