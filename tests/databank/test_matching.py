"""Suggestions for a case: ranked by fit, each with the reasons of its score."""
from __future__ import annotations

import pytest

from databank.matching import Need, need_for_case, suggest_profiles, suggest_resources
from engine import Member, NotAllowed

from .conftest import DRAWINGS, GENOVA_OPERATOR, HULLS, NICE_OPERATOR, SHIPWRIGHT, WELDER, WELDING, WORKER, seed


@pytest.fixture
def ids(databank):  # noqa: ANN001, ANN201
    return seed(databank)


def test_a_shed_and_a_cnc_machine_in_liguria_come_first_with_their_reasons(sessions, ids):
    need = Need(categories=("shed", "machine"), region="IT-42", province="IT-SP", municipality="La Spezia",
                supply_chains=("nautical_shipbuilding",), min_surface_m2=2000, words="carroponte cnc")
    with sessions() as session:
        found = suggest_resources(session, GENOVA_OPERATOR, need, "it")
    ranked = [s.id for s in found]
    assert ranked[:2] == [ids["shed"], ids["cnc"]]
    assert ids["hidden"] in ranked  # equipment stands in for a machine, with fewer points
    assert found[0].score > found[1].score > found[-1].score
    reasons = found[0].explain("it")
    assert reasons[0].startswith("Capannone / magazzino, come richiesto")
    assert any(r.startswith("a 0 km da La Spezia") for r in reasons)
    assert any(r.startswith("2400 m², almeno i 2000 m² richiesti") for r in reasons)
    assert any(r.startswith("filiera: Nautica e cantieristica") for r in reasons)
    assert any(r.startswith("cita carroponte") for r in reasons)
    assert sum(r.points for r in found[0].reasons) == pytest.approx(found[0].score, abs=0.5)
    equipment = next(s for s in found if s.id == ids["hidden"])
    assert equipment.explain("en")[0].startswith("Equipment can stand in for Machine")


def test_a_far_resource_loses_points_for_distance_and_says_how_far(sessions, ids):
    need = Need(categories=("shed",), municipality="Genova", province="IT-GE", region="IT-42")
    with sessions() as session:
        found = suggest_resources(session, NICE_OPERATOR, need, "en")
    by_id = {s.id: s for s in found}
    assert by_id[ids["shed"]].score > by_id[ids["hangar"]].score
    assert any(r.startswith("about") or "km from Genova" in r for r in by_id[ids["hangar"]].explain("en"))


def test_reserved_resources_are_not_suggested(databank, sessions, service, ids):
    receipt = service.open_case(GENOVA_OPERATOR, pathway_id="mini", desk_id="genova", members=[Member("w-anna")])
    databank.reserve_resource(GENOVA_OPERATOR, ids["shed"], receipt.case_id, receipt.version)
    with sessions() as session:
        found = suggest_resources(session, GENOVA_OPERATOR, Need(categories=("shed",), region="IT-42"))
    assert ids["shed"] not in [s.id for s in found]


def test_profiles_are_ranked_by_skills_occupation_distance_and_availability(sessions, ids):
    need = Need(skills=(WELDING, HULLS, DRAWINGS), occupations=(WELDER, SHIPWRIGHT), region="IT-42",
                province="IT-GE", supply_chains=("nautical_shipbuilding",))
    with sessions() as session:
        found = suggest_profiles(session, NICE_OPERATOR, need, "en")
    ranked = [s.id for s in found]
    assert ids["elena"] not in ranked  # not available
    assert ranked[0] in (ids["anna"], ids["luca"]) and set(ranked[:2]) == {ids["anna"], ids["luca"]}
    luca = next(s for s in found if s.id == ids["luca"])
    assert any(r.startswith("2 of the 3 skills needed: repair ship hulls, read engineering drawings") for r in luca.explain("en"))
    assert any(r.startswith("available from 15 Jan 2027") for r in luca.explain("en"))
    marc = next(s for s in found if s.id == ids["marc"])
    assert any(r.startswith("willing to move (Across the border too)") for r in marc.explain("en"))
    anna = next(s for s in found if s.id == ids["anna"])
    assert "display_name" not in anna.record  # another desk sees no personal part


def test_a_need_starts_from_the_case(sessions, service, ids):
    receipt = service.open_case(GENOVA_OPERATOR, pathway_id="mini", desk_id="genova", members=[Member("w-anna")],
                                supply_chains=["nautical_shipbuilding"])
    with sessions() as session:
        need = need_for_case(session, receipt.case_id, categories=["shed"])
    assert (need.region, need.supply_chains, need.categories) == ("IT-42", ("nautical_shipbuilding",), ("shed",))


def test_workers_get_no_suggestions(sessions, ids):
    with sessions() as session, pytest.raises(NotAllowed):
        suggest_resources(session, WORKER, Need(categories=("shed",)))


def test_suggestions_carry_whole_records_though_scoring_reads_only_what_the_need_asks(sessions, databank, ids):
    from engine.scenarios import sample_file

    databank.add_resource_file(GENOVA_OPERATOR, ids["shed"], "photo", "shed.png", sample_file("shed.png", 500))
    need = Need(region="IT-42")  # no skills, occupations or words: none of them is loaded to score
    with sessions() as session:
        resources = {s.id: s.record for s in suggest_resources(session, GENOVA_OPERATOR, need)}
        profiles = {s.id: s.record for s in suggest_profiles(session, GENOVA_OPERATOR, need)}
    assert [f["filename"] for f in resources[ids["shed"]]["files"]] == ["shed.png"]
    assert [c["uri"] for c in profiles[ids["anna"]]["occupations"]] == [WELDER]
    assert len(profiles[ids["anna"]]["skills"]) == 3 and profiles[ids["anna"]]["skills"][0]["uri"] == WELDING
