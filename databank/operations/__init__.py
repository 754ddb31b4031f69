"""Every change to the databank: profiles, resources, their files, reservations for cases, contact requests.

Each operation takes the actor as an argument, checks what they may do (`access.py`, the access policy's
answers), validates the values
with localized problems (`values.py`), and runs in one transaction that writes one audit entry
(`recording.py`). Reserving a resource for a case changes the resource's status and records a
`reference_linked` event on the case, as one step: if the case refuses, the resource is given back
(`reservations.py`).

Where things are: `base.py` (the transaction, `Saved`), `profiles.py`, `resources.py` (with photos and
documents), `reservations.py`, `contacts.py` — the operations, one subject a module, joined in `Databank`;
`records.py`: an entry as the pages read it.
"""
from __future__ import annotations

from .access import may_edit, profile_access, refuse_edit, require_reader
from .base import DatabankBase, Saved
from .contacts import ContactOperations
from .profiles import ProfileOperations
from .records import profile_record, resource_record
from .recording import IMPORT_SUBJECT, PROFILE_SUBJECT, PUBLIC_ACTOR, RESOURCE_SUBJECT, record_change
from .reservations import RESOURCE_KIND, RESOURCE_TAKEN_KIND, ReservationOperations
from .resources import DOCUMENT_TYPES, MAX_FILE_BYTES, PHOTO_TYPES, ResourceOperations
from .values import (
    MAX_COMPETENCES, PERSONAL_PROFILE_FIELDS, PROFILE_FIELDS, RESOURCE_FIELDS, ProfileDraft,
    ResourceDraft, Taxonomy, apply_profile, apply_resource, check_profile, check_resource, index_profile,
    index_resource, split_level,
)


class Databank(ProfileOperations, ResourceOperations, ReservationOperations, ContactOperations, DatabankBase):
    """Every operation of the databank (see the modules of this package)."""


__all__ = [
    "DOCUMENT_TYPES", "IMPORT_SUBJECT", "MAX_COMPETENCES", "MAX_FILE_BYTES", "PERSONAL_PROFILE_FIELDS", "PHOTO_TYPES",
    "PROFILE_FIELDS", "PROFILE_SUBJECT", "PUBLIC_ACTOR", "RESOURCE_FIELDS", "RESOURCE_KIND", "RESOURCE_SUBJECT",
    "RESOURCE_TAKEN_KIND", "Databank", "DatabankBase", "ProfileDraft", "ResourceDraft",
    "Saved", "Taxonomy", "apply_profile", "apply_resource", "check_profile", "check_resource", "index_profile",
    "index_resource", "may_edit", "profile_access", "profile_record", "record_change", "refuse_edit",
    "require_reader", "resource_record", "split_level",
]
