"""The demo databank loads through the real operations, and its skills are ESCO concepts."""
from __future__ import annotations

from sqlalchemy import select

from databank import ProfileQuery, search_profiles
from databank.demo import PROFILES, RESOURCES, load_demo
from databank.models import ProfileOccupation, ProfileSkill

from .conftest import ADMIN


def test_the_demo_loads_once_with_esco_concepts_everywhere(sessions, desks):
    assert load_demo(sessions) == {"profiles": len(PROFILES), "resources": len(RESOURCES)}
    assert load_demo(sessions) == {"profiles": 0, "resources": 0}
    with sessions() as session:
        free = session.scalars(select(ProfileSkill.label).where(ProfileSkill.esco_uri.is_(None))).all()
        free += session.scalars(select(ProfileOccupation.label).where(ProfileOccupation.esco_uri.is_(None))).all()
        assert free == []
        found = search_profiles(session, ADMIN, ProfileQuery(text="welder"), "fr")
        assert {item["display_name"] for item in found.items} == {"Anna Rossi", "Claire Martin"}
        assert {item["desk_id"] for item in found.items} == {"genova", "nice"}
