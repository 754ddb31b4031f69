"""Fixtures of the databank tests: the engine's database fixtures, the ESCO test taxonomy, actors."""
from __future__ import annotations

from pathlib import Path

import pytest

from databank import Databank
from databank.esco import import_esco
from engine import Actor

ESCO_FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "esco"
OCC = "http://data.europa.eu/esco/occupation/11111111-aaaa-4aaa-8aaa-00000000000"
SKILL = "http://data.europa.eu/esco/skill/22222222-bbbb-4bbb-8bbb-00000000000"
WELDER, SHIPWRIGHT, TOUR_GUIDE, WIND_TECHNICIAN = (OCC + str(i) for i in range(1, 5))
WELDING, TIG, DRAWINGS, LANGUAGES, TURBINES, HULLS = (SKILL + str(i) for i in range(1, 7))

GENOVA_OPERATOR = Actor.of("op-ge", ["operator"], ["genova"])
NICE_OPERATOR = Actor.of("op-nice", ["operator"], ["nice"])
ADMIN = Actor.of("admin", ["admin"])
MENTOR = Actor.of("mentor", ["mentor"])
WORKER = Actor.of("w-anna", ["worker"])
OTHER_WORKER = Actor.of("w-luca", ["worker"])
DESIGNER = Actor.of("designer", ["designer"])


@pytest.fixture
def taxonomy(sessions):  # noqa: ANN001, ANN201
    return import_esco(sessions, ESCO_FIXTURE)


@pytest.fixture
def databank(sessions, files, service, taxonomy):  # noqa: ANN001, ANN201
    return Databank(sessions, files, service)


def anna(**changes):  # noqa: ANN003, ANN201
    """A welder of a shipyard in crisis in Genova, who consented to nothing."""
    data = {
        "desk_id": "genova", "person_id": "w-anna", "display_name": "Anna Rossi", "email": "anna.rossi@example.org",
        "phone": "+39 010 555 0101", "summary": "Vent'anni al cantiere di Sestri Ponente.",
        "years_experience": 20, "occupations": [{"uri": WELDER, "level": 4}],
        "skills": [{"uri": WELDING, "level": "expert"}, {"uri": TIG, "level": 3}, "lettura del disegno [2]"],
        "qualifications": ["Patentino saldatore EN ISO 9606-1"], "languages": ["it:native", "en:B1"],
        "region": "Liguria", "province": "IT-GE", "municipality": "Genova", "mobility": "region",
        "availability": "available", "supply_chains": ["nautical_shipbuilding"],
        "origin_firm": "Cantieri Navali Liguri S.p.A.", "origin_firm_nace": "C30.11",
    }
    data.update(changes)
    return data


def shed(**changes):  # noqa: ANN003, ANN201
    data = {
        "desk_id": "genova", "category": "shed", "title": "Capannone ex cantiere, 2.400 m²",
        "description": "Capannone con carroponte da 20 t, accesso al mare, piazzale.", "region": "IT-42",
        "province": "IT-SP", "municipality": "La Spezia", "latitude": 44.1025, "longitude": 9.8241,
        "surface_m2": 2400, "condition": "good", "offers": ["rent", "sale"], "owner_kind": "insolvency_administrator",
        "owner_name": "Dott. Marco Curatore", "contact_name": "Marco Curatore",
        "contact_email": "curatore@example.org", "contact_phone": "+39 0187 555 0199",
        "origin_firm": "Cantieri Navali Liguri S.p.A.", "origin_firm_nace": "30.11",
        "supply_chains": ["nautical_shipbuilding"],
    }
    data.update(changes)
    return data


def seed(databank):  # noqa: ANN001, ANN201
    """A small databank: five profiles and five resources on both sides of the border."""
    ids = {}
    ids["anna"] = databank.create_profile(GENOVA_OPERATOR, anna()).id
    ids["luca"] = databank.create_profile(GENOVA_OPERATOR, anna(
        person_id="w-luca", display_name="Luca Bianchi", email="luca@example.org", phone="", summary="Carpentiere.",
        occupations=[SHIPWRIGHT], skills=[{"uri": HULLS, "level": 4}, {"uri": DRAWINGS, "level": 3}],
        province="IT-SP", municipality="La Spezia", years_experience=12, consent_to_share=True,
        qualifications=["Diploma di maestro d'ascia"],
        availability="from_date", available_from="2027-01-15")).id
    ids["sara"] = databank.create_profile(GENOVA_OPERATOR, anna(
        person_id=None, display_name="Sara Verdi", email="", phone="", summary="", occupations=[TOUR_GUIDE],
        skills=[{"uri": LANGUAGES, "level": 4}], province="IT-SV", municipality="Savona", years_experience=6,
        supply_chains=["sustainable_tourism"], origin_firm="Hotel Riviera", origin_firm_nace="I55.10", qualifications=[],
        mobility="local")).id
    ids["marc"] = databank.create_profile(NICE_OPERATOR, anna(
        desk_id="nice", person_id="w-marc", display_name="Marc Dupont", email="marc@example.fr", phone="",
        summary="Technicien éolien.", occupations=[WIND_TECHNICIAN], skills=[{"uri": TURBINES, "level": 3}, WELDING],
        region="FR-PAC", province="FR-06", municipality="Nice", years_experience=9, mobility="cross_border",
        supply_chains=["blue_green_energy"], origin_firm="Éoliennes Azur", origin_firm_nace="D35.11",
        languages=["fr:native", "it:B2"], qualifications=["BTS Électrotechnique"])).id
    ids["elena"] = databank.create_profile(NICE_OPERATOR, anna(
        desk_id="nice", person_id=None, display_name="Elena Neri", email="", phone="", summary="",
        occupations=[WELDER], skills=[{"uri": WELDING, "level": 2}], region="FR-PAC", province="FR-83",
        municipality="Toulon", years_experience=3, availability="unavailable",
        supply_chains=["nautical_shipbuilding", "blue_green_energy"], qualifications=[],
        origin_firm="Chantiers Navals du Var", origin_firm_nace="C30.11")).id
    ids["shed"] = databank.create_resource(GENOVA_OPERATOR, shed()).id
    ids["cnc"] = databank.create_resource(GENOVA_OPERATOR, shed(
        category="machine", title="Centro di lavoro CNC a 5 assi", description="Fresatrice CNC, corsa 3000 mm.",
        surface_m2=None, capacity="5 assi, 3000 x 1500 mm", province="IT-GE", municipality="Genova",
        latitude=44.41, longitude=8.93, offers=["sale"], condition="good")).id
    ids["area"] = databank.create_resource(GENOVA_OPERATOR, shed(
        category="industrial_area", title="Area ex Italsider", description="Area industriale con banchina.",
        surface_m2=25000, province="IT-SV", municipality="Vado Ligure", latitude=None, longitude=None,
        offers=["rent"], supply_chains=["blue_green_energy"])).id
    ids["hangar"] = databank.create_resource(NICE_OPERATOR, shed(
        desk_id="nice", title="Hangar portuaire", description="Hangar près du port, pont roulant.",
        region="FR-PAC", province="FR-83", municipality="La Seyne-sur-Mer", latitude=43.1, longitude=5.88,
        surface_m2=1200, offers=["free_loan"], owner_kind="public_body", owner_name="Métropole",
        contact_name="Claire Martin", contact_email="claire.martin@example.fr", contact_phone="+33 4 94 00 00 00")).id
    ids["hidden"] = databank.create_resource(NICE_OPERATOR, shed(
        desk_id="nice", category="equipment", title="Gru mobile", description="Non pubblicata.", published=False,
        region="FR-20R", province="FR-2B", municipality="Bastia", latitude=None, longitude=None, surface_m2=None,
        offers=["sale"])).id
    return ids
HEADER_CSV = "display_name,email,occupations\n"
