"""Who may do what in the databank: the access policy's answers (`engine.policy`), refused with the
databank's words. An admin everything; an operator creates, edits and deletes the profiles and resources of
their desks, sees every resource, and the profiles of other desks without their personal part unless the
worker consented to sharing, and reserves resources for the cases they manage; a mentor sees like an operator
of another desk and changes nothing; a worker sees and edits their own profile (the one whose `person_id` is
theirs), and may erase it."""
from __future__ import annotations

from typing import Any

from engine import policy
from engine.cases import Actor

from ..errors import DatabankNotAllowed, StaleEntry
from ..models import EditedMixin, Profile


def may_edit(actor: Actor, desk_id: str) -> bool:
    return policy.may_edit_entry(actor, desk_id)


def profile_access(actor: Actor, profile: Profile) -> str | None:
    """"full", "limited" (no personal part) or None (may not see it at all)."""
    return policy.profile_access(actor, profile.desk_id, profile.person_id, profile.consent_to_share,
                                 bool(profile.processing_stopped))


def refuse_edit(actor: Actor, desk_id: str, own: bool = False) -> None:
    reason = policy.entry_edit_refusal(actor, desk_id, own=own)
    if reason is not None:
        raise DatabankNotAllowed(reason)


def refuse_move_or_stale(actor: Actor, record: EditedMixin, version: int, changes: dict[str, Any]) -> None:
    """A record moved to another desk needs the right on that desk too; a save based on a version older than
    the record's is refused (someone else saved in between)."""
    if "desk_id" in changes:
        refuse_edit(actor, str(changes["desk_id"] or ""))
    if record.version != version:
        raise StaleEntry(version, record.version)


def require_reader(actor: Actor) -> None:
    reason = policy.databank_read_refusal(actor)
    if reason is not None:
        raise DatabankNotAllowed(reason)
