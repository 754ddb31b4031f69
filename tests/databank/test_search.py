"""Full-text search, filters and facet counts; the same answers on SQLite and PostgreSQL (this module
runs on both: every expected value below holds on each)."""
from __future__ import annotations

from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert, select

from databank import ProfileQuery, ResourceQuery, search_profiles, search_resources
from databank.models import Resource, ResourceText
from databank.text import matches, normalized, words
from databank.textindex import RESOURCES, dialect_of, ensure_indexes
from engine import NotAllowed

from .conftest import (
    ADMIN, DRAWINGS, GENOVA_OPERATOR, HULLS, MENTOR, NICE_OPERATOR, WELDER, WELDING, WORKER, seed,
)


@pytest.fixture
def ids(databank):  # noqa: ANN001, ANN201
    return seed(databank)


def found(sessions, actor, query, lang="en"):  # noqa: ANN001, ANN201
    with sessions() as session:
        return search_profiles(session, actor, query, lang)


PROFILES = ("anna", "luca", "sara", "marc", "elena")


def names(result, ids):  # noqa: ANN001, ANN201
    """The seed's names of the results (profiles and resources have ids of their own)."""
    def name(item):  # noqa: ANN001, ANN202
        kind_names = [k for k in ids if (k in PROFILES) == ("category" not in item)]
        return next(k for k in kind_names if ids[k] == item["id"])

    return [name(item) for item in result.items]


def test_text_finds_profiles_by_esco_labels_in_every_language(sessions, ids):
    for text in ("welder", "soudeur", "saldatore"):
        assert names(found(sessions, GENOVA_OPERATOR, ProfileQuery(text=text)), ids) == ["elena", "anna"], text
    # "saldat" also starts "saldatura", a word of a skill Marc has
    assert names(found(sessions, GENOVA_OPERATOR, ProfileQuery(text="saldat")), ids) == ["elena", "marc", "anna"]
    assert names(found(sessions, GENOVA_OPERATOR, ProfileQuery(text="SALDATORE, Gênes")), ids) == ["anna"]
    assert names(found(sessions, GENOVA_OPERATOR, ProfileQuery(text="turbine techn")), ids) == ["marc"]


def test_personal_words_find_a_profile_only_for_who_may_see_them(sessions, ids):
    assert names(found(sessions, GENOVA_OPERATOR, ProfileQuery(text="rossi")), ids) == ["anna"]
    assert names(found(sessions, ADMIN, ProfileQuery(text="rossi")), ids) == ["anna"]
    assert names(found(sessions, NICE_OPERATOR, ProfileQuery(text="rossi")), ids) == []
    assert names(found(sessions, MENTOR, ProfileQuery(text="anna")), ids) == []
    # Luca consented: his name finds him everywhere
    assert names(found(sessions, NICE_OPERATOR, ProfileQuery(text="bianchi")), ids) == ["luca"]
    # and the public words of another desk's profile still find it
    assert names(found(sessions, NICE_OPERATOR, ProfileQuery(text="cantieri liguri")), ids) == ["luca", "anna"]


def test_results_of_other_desks_have_no_personal_part(sessions, ids):
    result = found(sessions, NICE_OPERATOR, ProfileQuery(text="welder"))
    anna = next(item for item in result.items if item["id"] == ids["anna"])
    assert anna["personal"] is False and "display_name" not in anna and "email" not in anna


def test_filters_combine(sessions, ids):
    def only(**filters):  # noqa: ANN003, ANN202
        return names(found(sessions, GENOVA_OPERATOR, ProfileQuery(**filters)), ids)

    assert only(regions=("IT-42",)) == ["sara", "luca", "anna"]
    assert only(provinces=("FR-06", "FR-83")) == ["elena", "marc"]
    assert only(supply_chains=("blue_green_energy",)) == ["elena", "marc"]
    assert only(occupations=(WELDER,)) == ["elena", "anna"]
    assert only(skills=(WELDING,)) == ["elena", "marc", "anna"]
    assert only(skills=(WELDING,), min_skill_level=3) == ["anna"]
    assert only(skills=(HULLS, DRAWINGS)) == ["luca"]
    assert only(available_by=date(2026, 12, 31)) == ["marc", "sara", "anna"]
    assert only(available_by=date(2027, 2, 1)) == ["marc", "sara", "luca", "anna"]
    assert only(mobility=("cross_border", "local")) == ["marc", "sara"]
    assert only(min_years=10) == ["luca", "anna"]
    assert only(desks=("nice",), text="weld") == ["elena", "marc"]
    assert only(sort="experience") == ["anna", "luca", "marc", "sara", "elena"]


def test_facets_count_the_whole_result(sessions, ids):
    result = found(sessions, GENOVA_OPERATOR, ProfileQuery(), "it")
    assert result.total == 5
    facets = {name: [(v.code, v.count) for v in values] for name, values in result.facets.items()}
    assert facets["region"] == [("IT-42", 3), ("FR-PAC", 2)]
    assert facets["province"] == [("FR-06", 1), ("FR-83", 1), ("IT-GE", 1), ("IT-SP", 1), ("IT-SV", 1)]
    assert facets["supply_chain"] == [("nautical_shipbuilding", 3), ("blue_green_energy", 2), ("sustainable_tourism", 1)]
    assert facets["skill"][0] == (WELDING, 3)
    assert facets["occupation"][0] == (WELDER, 2)
    assert facets["desk"] == [("genova", 3), ("nice", 2)]
    labels = {v.code: v.label for v in result.facets["skill"]}
    assert labels[WELDING] == "utilizzare apparecchiature per saldatura"
    assert labels["text:lettura del disegno"] == "lettura del disegno"
    assert [v.label for v in result.facets["region"]] == ["Liguria", "Provenza-Alpi-Costa Azzurra"]


def test_pages_of_results(sessions, ids):
    first = found(sessions, GENOVA_OPERATOR, ProfileQuery(per_page=2))
    second = found(sessions, GENOVA_OPERATOR, ProfileQuery(per_page=2, page=3))
    assert (first.total, first.pages, len(first.items), len(second.items)) == (5, 3, 2, 1)


def test_workers_and_designers_cannot_search_profiles(sessions, ids):
    with pytest.raises(NotAllowed):
        found(sessions, WORKER, ProfileQuery())


def test_resources_by_text_filters_and_facets(sessions, ids):
    def only(**filters):  # noqa: ANN003, ANN202
        with sessions() as session:
            return names(search_resources(session, NICE_OPERATOR, ResourceQuery(**filters)), ids)

    assert only(text="ex cantiere") == ["shed"]
    assert only(text="capannone") == ["hangar", "shed"]  # the category's label in every language
    assert only(text="cnc") == ["cnc"]
    assert only(text="carroponte 20") == ["shed"]
    assert only(categories=("shed", "industrial_area")) == ["hangar", "area", "shed"]
    assert only(regions=("IT-42",), offers=("rent",)) == ["area", "shed"]
    assert only(min_surface=2000) == ["area", "shed"]
    assert only(size_bands=("500_2000", "unknown")) == ["hidden", "hangar", "cnc"]
    assert only(published_only=True, regions=("FR-20R",)) == []
    assert only(sort="surface") == ["area", "shed", "hangar", "hidden", "cnc"]
    with sessions() as session:
        result = search_resources(session, NICE_OPERATOR, ResourceQuery(), "fr")
    facets = {name: [(v.code, v.count) for v in values] for name, values in result.facets.items()}
    assert facets["category"] == [("shed", 2), ("equipment", 1), ("industrial_area", 1), ("machine", 1)]
    assert facets["offer"] == [("sale", 3), ("rent", 2), ("free_loan", 1)]
    assert facets["size_band"] == [("500_2000", 1), ("2000_10000", 1), ("ge_10000", 1), ("unknown", 2)]
    assert facets["status"] == [("available", 5)]
    assert [v.label for v in result.facets["category"]][:1] == ["Hangar / entrepôt"]


def test_changes_are_searchable_at_once(databank, sessions, ids):
    saved = databank.get_resource(GENOVA_OPERATOR, ids["shed"])
    databank.update_resource(GENOVA_OPERATOR, ids["shed"], saved["version"], {"description": "Ora con pannelli solari."})
    with sessions() as session:
        assert names(search_resources(session, GENOVA_OPERATOR, ResourceQuery(text="carroponte")), ids) == []
        assert names(search_resources(session, GENOVA_OPERATOR, ResourceQuery(text="pannelli sol")), ids) == ["shed"]
    databank.delete_resource(GENOVA_OPERATOR, ids["shed"])
    with sessions() as session:
        assert names(search_resources(session, GENOVA_OPERATOR, ResourceQuery(text="pannelli")), ids) == []


def test_text_is_cut_into_the_same_words_for_both_databases():
    assert words("Saldatura TIG, acciaio inox — Ø 30 mm; Città: Gênes") == [
        "saldatura", "tig", "acciaio", "inox", "o", "30", "mm", "citta", "genes"]
    assert normalized("Œuvre  d'Art") == "oeuvre d art"
    assert words("συγκόλληση")[0].startswith("x0003c3")


TOKENS = st.text(alphabet="abcdeèz09ΣЖ", min_size=1, max_size=6)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(documents=st.lists(st.lists(TOKENS, min_size=1, max_size=5).map(" ".join), min_size=1, max_size=6),
       query=st.lists(TOKENS, min_size=1, max_size=3).map(" ".join))
def test_the_database_index_matches_exactly_what_the_rule_says(sessions, desks, documents, query):
    """On SQLite (FTS5) and PostgreSQL (tsvector) alike: every query word is a prefix of a word."""
    with sessions.begin() as session:
        ensure_indexes(session)
        session.execute(delete(ResourceText))
        session.execute(delete(Resource))
        session.execute(insert(Resource), [
            {"id": i + 1, "desk_id": "genova", "category": "other", "title": text, "created_by": "t", "updated_by": "t"}
            for i, text in enumerate(documents)])
        session.execute(insert(ResourceText), [
            {"resource_id": i + 1, "search_text": normalized(text)} for i, text in enumerate(documents)])
    with sessions() as session:
        condition = RESOURCES.condition(dialect_of(session), words(query)) if words(query) else None
        got = sorted(session.scalars(select(Resource.id).where(condition))) if condition is not None else None
    if got is not None:
        assert got == [i + 1 for i, text in enumerate(documents) if matches(query, normalized(text))]


def test_text_searches_sort_and_page_like_the_others(sessions, ids):
    by_experience = found(sessions, GENOVA_OPERATOR, ProfileQuery(text="cantieri", sort="experience"))
    # "cantieri" starts the firm's name, and "cantieristica" of the shipbuilding chain
    assert names(by_experience, ids) == ["anna", "luca", "elena"]
    second_page = found(sessions, GENOVA_OPERATOR, ProfileQuery(text="cantieri", sort="experience", per_page=2, page=2))
    assert (second_page.total, names(second_page, ids)) == (3, ["elena"])
    with sessions() as session:
        largest = search_resources(session, GENOVA_OPERATOR, ResourceQuery(text="ex", sort="surface"))
    assert names(largest, ids) == ["area", "shed"]


def test_occupation_and_skill_facets_count_the_latest_results_when_there_are_many(sessions, ids, monkeypatch):
    from databank import search

    monkeypatch.setattr(search, "FACET_SAMPLE", 2)
    for text in ("", "cantieri"):
        result = found(sessions, GENOVA_OPERATOR, ProfileQuery(text=text))
        assert result.sampled == 2 and result.total > 2
        latest = {item["id"] for item in result.items[:2]}
        counted = sum(v.count for v in result.facets["occupation"])
        assert counted == len(latest)  # one occupation each among the two latest
        assert sum(v.count for v in result.facets["region"]) == result.total  # the others count everything
