"""The public catalogue: available resources and aggregated skills, never a person."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from databank import ResourceQuery
from databank.public import (
    area_map_svg, area_skills, catalogue, mapped_resources, overview, public_photo, public_resource, slug,
)

from .conftest import GENOVA_OPERATOR, NICE_OPERATOR, WELDER, anna, seed

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def ids(databank):  # noqa: ANN001, ANN201
    return seed(databank)


def personal_values(databank, ids):  # noqa: ANN001, ANN201
    """Every personal value the seed holds: names, e-mails, phones, summaries, towns of people, contacts."""
    values = set()
    for name in ("anna", "luca", "sara", "marc", "elena"):
        profile = databank.get_profile(GENOVA_OPERATOR if name in ("anna", "luca", "sara") else NICE_OPERATOR, ids[name])
        values |= {profile[k] for k in ("display_name", "email", "phone", "summary", "person_id") if profile[k]}
    for name in ("shed", "cnc", "area", "hangar", "hidden"):
        resource = databank.get_resource(GENOVA_OPERATOR, ids[name])
        values |= {resource[k] for k in ("owner_name", "contact_name", "contact_email", "contact_phone") if resource[k]}
    return values


def test_no_personal_data_ever_appears_in_the_public_catalogue(databank, sessions, ids):
    databank.add_resource_file(GENOVA_OPERATOR, ids["shed"], "photo", "vista.png", PNG, "Vista")
    databank.add_resource_file(GENOVA_OPERATOR, ids["shed"], "document", "perizia.txt", b"Perizia di Marco Curatore")
    with sessions() as session:
        outputs = [catalogue(session, ResourceQuery(), lang).items for lang in ("it", "fr", "en")]
        outputs += [catalogue(session, ResourceQuery(text=t), "en").items for t in ("curatore", "claire", "rossi")]
        outputs += [public_resource(session, ids[name], "it") for name in ("shed", "cnc", "hangar")]
        for area in ("", "IT-42", "IT-GE", "FR-PAC"):
            skills = area_skills(session, area, "en", threshold=3, rounding=1)
            outputs.append([skills.people, skills.occupations, skills.supply_chains, skills.territories])
        outputs.append(area_map_svg(catalogue(session, ResourceQuery(), "en").items))
    published = json.dumps(outputs, default=lambda o: getattr(o, "__dict__", str(o)), ensure_ascii=False)
    for value in personal_values(databank, ids):
        assert value not in published, value
    assert "perizia" not in published  # documents are never public


def test_the_catalogue_shows_only_published_available_resources(databank, sessions, service, ids):
    from engine import Member

    receipt = service.open_case(GENOVA_OPERATOR, pathway_id="mini", desk_id="genova", members=[Member("w-anna")])
    databank.reserve_resource(GENOVA_OPERATOR, ids["cnc"], receipt.case_id, receipt.version)
    with sessions() as session:
        result = catalogue(session, ResourceQuery(), "it")
        assert sorted(item["id"] for item in result.items) == sorted([ids["shed"], ids["area"], ids["hangar"]])
        assert "desk" not in result.facets and "status" not in result.facets
        assert public_resource(session, ids["hidden"]) is None and public_resource(session, ids["cnc"]) is None
        assert public_resource(session, ids["shed"], "fr")["category_label"] == "Hangar / entrepôt"


def test_only_public_photos_of_public_resources_are_served(databank, sessions, ids):
    photo = databank.add_resource_file(GENOVA_OPERATOR, ids["shed"], "photo", "a.png", PNG)
    private = databank.add_resource_file(GENOVA_OPERATOR, ids["shed"], "photo", "b.png", PNG, public=False)
    hidden = databank.add_resource_file(NICE_OPERATOR, ids["hidden"], "photo", "c.png", PNG)
    with sessions() as session:
        assert public_photo(session, ids["shed"], photo) is not None
        assert public_photo(session, ids["shed"], private) is None
        assert public_photo(session, ids["hidden"], hidden) is None
        assert public_photo(session, ids["cnc"], photo) is None


def test_small_groups_are_never_shown_and_counts_are_rounded(databank, sessions):
    for i in range(7):
        databank.create_profile(GENOVA_OPERATOR, anna(person_id=None, display_name=f"Saldatore {i}"))
    for i in range(2):
        databank.create_profile(GENOVA_OPERATOR, anna(person_id=None, display_name=f"Guida {i}", province="IT-SP",
                                                      occupations=["guida turistica"], skills=[],
                                                      supply_chains=["sustainable_tourism"]))
    databank.create_profile(GENOVA_OPERATOR, anna(person_id=None, display_name="Unico", occupations=["palombaro"],
                                                  skills=[]))
    with sessions() as session:
        liguria = area_skills(session, "IT-42", "it")
    assert liguria.area_name == "Liguria" and liguria.people.count == 10
    assert [(c.code, c.count) for c in liguria.occupations] == [(WELDER, 5)]  # 7 shown as 5; 2 + 1 + free text hidden
    assert [(c.code, c.count) for c in liguria.supply_chains] == [("nautical_shipbuilding", 10)]
    assert [(c.code, c.count) for c in liguria.territories] == [("IT-GE", 10)]
    assert liguria.territories[0].label == "Genova"
    with sessions() as session:
        spezia = area_skills(session, "IT-SP", "fr")
    assert spezia.people.count is None and spezia.occupations == [] and spezia.people.shown("fr") == "moins de 5"


def test_the_suppressed_rest_is_shown_as_other_only_when_large_enough(databank, sessions):
    for province in ("IT-SP", "IT-SP", "IT-SV", "IT-SV", "IT-IM", "IT-GE", "IT-GE", "IT-GE", "IT-GE", "IT-GE"):
        databank.create_profile(GENOVA_OPERATOR, anna(person_id=None, province=province, municipality=""))
    with sessions() as session:
        liguria = area_skills(session, "IT-42", "en", rounding=1)
    assert [(c.code, c.count) for c in liguria.territories] == [("IT-GE", 5), ("other", 5)]
    assert liguria.territories[1].label == "other"


def test_the_map_is_an_svg_with_a_marker_per_located_resource(sessions, ids):
    with sessions() as session:
        items = catalogue(session, ResourceQuery(), "fr").items
    svg = area_map_svg(items + [{"id": 99, "title": "<script>alert(1)</script>", "category_label": "x",
                                 "province": "FR-2A"}], "fr")
    root = ET.fromstring(svg)
    circles = root.findall(".//{http://www.w3.org/2000/svg}circle")
    assert len(circles) == len(items) + 1
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert "Corse" in svg and "Ligurie" in svg


def test_an_embedded_map_links_each_marker_to_its_page_and_carries_no_style(sessions, ids):
    with sessions() as session:
        items = catalogue(session, ResourceQuery(), "it").items
    svg = area_map_svg(items, "it", embedded=True, href=lambda r: f"/catalogue/it/resources/{r['id']}")
    root = ET.fromstring(svg)
    links = root.findall("{http://www.w3.org/2000/svg}a")
    assert sorted(a.get("href") for a in links) == sorted(f"/catalogue/it/resources/{r['id']}" for r in items)
    assert "<style" not in svg and root.get("role") == "group"
    assert "<style" in area_map_svg(items, "it") and ET.fromstring(area_map_svg(items, "it")).get("role") == "img"


def test_the_overview_counts_resources_and_people_per_supply_chain_without_small_groups(databank, sessions, ids):
    for i in range(6):
        databank.create_profile(GENOVA_OPERATOR, anna(person_id=None, display_name=f"Saldatore {i}"))
    with sessions() as session:
        everything = overview(session, "en")
        liguria = overview(session, "fr", "IT-42")
    chains = {code: (resources, people) for code, _label, resources, people in everything.supply_chains}
    assert everything.resources == 4
    assert chains["nautical_shipbuilding"][0] == 3 and chains["blue_green_energy"][0] == 1
    assert chains["nautical_shipbuilding"][1].count == 10  # the seed's people and 6 welders, rounded
    assert chains["sustainable_tourism"] == (0, None)  # too few people to show
    assert {(f.code, f.count) for f in everything.regions} == {("IT-42", 3), ("FR-PAC", 1)}
    assert liguria.resources == 3 and {f.code for f in liguria.regions} == {"IT-42"}
    with sessions() as session:
        mapped = {r["id"] for r in mapped_resources(session, "en")}
    assert mapped == {ids["shed"], ids["cnc"], ids["area"], ids["hangar"]}


def test_a_title_becomes_a_plain_url_slug():
    assert slug("Hangar portuaire avec pont roulant — Côte d'Azur") == "hangar-portuaire-avec-pont-roulant-cote-d-azur"
    assert slug("Capannone 2.400 m²") == "capannone-2-400-m2"
    assert slug("«»") == "resource" and len(slug("x" * 300)) == 60
