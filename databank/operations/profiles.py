"""Professional profiles: create, change (with the version the form showed), erase, read."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import policy
from engine.cases import Actor
from engine.i18n import DEFAULT_LANGUAGE

from .. import esco, textindex
from ..errors import DatabankNotAllowed, EntryInvalid, EntryNotFound
from ..models import Profile
from .access import profile_access, refuse_edit, refuse_move_or_stale
from .base import DatabankBase, Saved
from .recording import PROFILE_SUBJECT, given_fields, record_change
from .records import profile_record
from .values import PROFILE_FIELDS, ProfileDraft, Taxonomy, apply_profile, check_profile


class ProfileOperations(DatabankBase):
    """Creating, changing, erasing and reading professional profiles."""

    def create_profile(self, actor: Actor, data: dict[str, Any], locale: str | None = None) -> Saved:
        """`locale`: the language typed numbers are written in (None: plain notation, as in files)."""
        with self._transaction() as session:
            refuse_edit(actor, str(data.get("desk_id") or ""))
            taxonomy = Taxonomy(session)
            draft, problems = check_profile(session, actor, data, taxonomy=taxonomy, locale=locale)
            if problems:
                raise EntryInvalid(problems)
            profile = self._new_profile(session, actor, draft, taxonomy)
            record_change(session, actor, PROFILE_SUBJECT, profile.id, "profile_created", {"desk": profile.desk_id})
            return Saved(profile.id, profile.version)

    def _new_profile(self, session: Session, actor: Actor, draft: ProfileDraft, taxonomy: Taxonomy) -> Profile:
        now = self.clock()
        profile = Profile.new(actor.id, now)
        with session.no_autoflush:
            apply_profile(profile, draft, taxonomy)
        if profile.consent_to_share:
            profile.consent_recorded_at, profile.consent_recorded_by = now, actor.id
        return self._created(session, profile)

    def update_profile(self, actor: Actor, profile_id: int, version: int, changes: dict[str, Any],
                       locale: str | None = None) -> Saved:
        with self._transaction() as session:
            profile = self._profile(session, profile_id)
            own = policy.is_own_profile(actor, profile.person_id)
            refuse_edit(actor, profile.desk_id, own)
            for name in policy.profile_fields_locked_for(actor, profile.desk_id):
                if name in changes:
                    raise DatabankNotAllowed("not_allowed.worker_field", field=name)
            refuse_move_or_stale(actor, profile, version, changes)
            taxonomy = Taxonomy(session)
            draft, problems = check_profile(session, actor, changes, profile, taxonomy, locale=locale)
            if problems:
                raise EntryInvalid(problems)
            consent_before = profile.consent_to_share
            with session.no_autoflush:  # one UPDATE, so one new version
                apply_profile(profile, draft, taxonomy)
                now = self.clock()
                if profile.consent_to_share != consent_before:
                    profile.consent_recorded_at, profile.consent_recorded_by = now, actor.id
                profile.changed_by(actor.id, now)
            session.flush()
            record_change(session, actor, PROFILE_SUBJECT, profile.id, "profile_changed",
                    {"desk": profile.desk_id, "fields": given_fields(changes, PROFILE_FIELDS),
                     "consent_to_share": profile.consent_to_share})
            return Saved(profile.id, profile.version)

    def delete_profile(self, actor: Actor, profile_id: int) -> None:
        """Erase a profile (the worker's right to erasure, or the desk's clean-up)."""
        with self._transaction() as session:
            profile = self._profile(session, profile_id)
            refuse_edit(actor, profile.desk_id, policy.is_own_profile(actor, profile.person_id))
            session.delete(profile)
            session.flush()
            textindex.forget_unused_free_text(session.connection())
            record_change(session, actor, PROFILE_SUBJECT, profile_id, "profile_deleted", {"desk": profile.desk_id})

    def get_profile(self, actor: Actor, profile_id: int, lang: str = DEFAULT_LANGUAGE) -> dict[str, Any]:
        with self.sessions() as session:
            profile = self._profile(session, profile_id)
            access = profile_access(actor, profile)
            if access is None:
                # As if it did not exist: nothing about other people's profiles leaks to a worker.
                raise EntryNotFound("databank.profile_not_found", id=profile_id)
            uris = [c.esco_uri for c in [*profile.occupations, *profile.skills] if c.esco_uri]
            return profile_record(profile, access, lang, esco.preferred_labels(session, uris, lang))

    def own_profile(self, actor: Actor, lang: str = DEFAULT_LANGUAGE) -> dict[str, Any] | None:
        """The worker's own profile, for the portal (None if the desk has not made one)."""
        with self.sessions() as session:
            profile = session.scalar(select(Profile).where(Profile.person_id == actor.id).order_by(Profile.id))
            if profile is None:
                return None
            uris = [c.esco_uri for c in [*profile.occupations, *profile.skills] if c.esco_uri]
            return profile_record(profile, "full", lang, esco.preferred_labels(session, uris, lang))

    @staticmethod
    def _profile(session: Session, profile_id: int) -> Profile:
        return DatabankBase._found(session, Profile, profile_id, "databank.profile_not_found",
                                   Profile.occupations, Profile.skills)
