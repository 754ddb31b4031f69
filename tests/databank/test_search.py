"""Full-text search, filters and facet counts; the same answers on SQLite and PostgreSQL (this module
runs on both: every expected value below holds on each)."""
from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, event, func, insert, select, update

from databank import ProfileQuery, ResourceQuery, esco, search_profiles, search_resources
from databank.models import (
    CompetenceCode, FacetCount, Profile, ProfileOccupation, ProfileSearch, ProfileSkill, ProfileText, Resource, ResourceSearch,
    ResourceText,
)
from databank.operations import profile_access, profile_record
from databank.public import catalogue
from databank.search import band_of, profile_conditions
from databank.text import matches, normalized, words
from databank.textindex import RESOURCES, dialect_of, ensure_indexes
from databank.vocabulary import CHAIN_BITS, OFFER_BITS
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


@pytest.mark.parametrize("actor", [ADMIN, GENOVA_OPERATOR, NICE_OPERATOR])
@pytest.mark.parametrize("query", [ProfileQuery(), ProfileQuery(text="saldat"), ProfileQuery(regions=("IT-42",)),
                                   ProfileQuery(skills=(WELDING,), sort="experience")])
def test_a_page_of_results_shows_each_profile_as_its_record(sessions, ids, actor, query):
    """The page is read as plain rows: each item is the record of the profile loaded as an object, with its
    occupations and skills in their order, their labels in the reader's language, personal part or not."""
    with sessions.begin() as session:  # a second row at the same position: the order stays the one of the ids
        session.add(ProfileSkill(profile_id=ids["anna"], key="text:molatura", label="molatura", level=2, position=0))
    result = found(sessions, actor, query, "fr")
    assert result.items
    with sessions() as session:
        for item in result.items:
            profile = session.get(Profile, item["id"])
            labels = esco.preferred_labels(session, [c.esco_uri for c in [*profile.occupations, *profile.skills]
                                                     if c.esco_uri], "fr")
            record = profile_record(profile, profile_access(actor, profile) or "limited", "fr", labels)
            # (the relationship orders by position only; the page by position, then the row's id)
            for name in ("occupations", "skills"):
                record[name] = [record[name][i] for i in sorted(
                    range(len(record[name])),
                    key=lambda i: (getattr(profile, name)[i].position, getattr(profile, name)[i].id))]
            assert item == record


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


def test_words_that_read_as_numbers_are_words_on_both_databases(sessions, desks):
    """PostgreSQL's parser would read `0e0a` as the number 0e0 and the word a: the index takes the words as
    they are, as FTS5 does."""
    documents = ["Pressa 1e5x", "0e0a", "Tornio 12e3 cnc", "2e 3e3b"]
    with sessions.begin() as session:
        ensure_indexes(session)
        session.execute(insert(Resource), [
            {"id": i + 1, "desk_id": "genova", "category": "machine", "title": text, "created_by": "t", "updated_by": "t"}
            for i, text in enumerate(documents)])
        session.execute(insert(ResourceText), [
            {"resource_id": i + 1, "search_text": normalized(text)} for i, text in enumerate(documents)])
    for query, expected in (("1e5x", [1]), ("1e5", [1]), ("0e0a", [2]), ("0e0", [2]), ("a", []), ("12e3 cnc", [3]),
                            ("3e3b", [4]), ("b", []), ("x", [])):
        with sessions() as session:
            got = sorted(session.scalars(select(Resource.id).where(RESOURCES.condition(dialect_of(session), words(query)))))
        assert got == expected, query


def test_text_searches_sort_and_page_like_the_others(sessions, ids):
    by_experience = found(sessions, GENOVA_OPERATOR, ProfileQuery(text="cantieri", sort="experience"))
    # "cantieri" starts the firm's name, and "cantieristica" of the shipbuilding chain
    assert names(by_experience, ids) == ["anna", "luca", "elena"]
    second_page = found(sessions, GENOVA_OPERATOR, ProfileQuery(text="cantieri", sort="experience", per_page=2, page=2))
    assert (second_page.total, names(second_page, ids)) == (3, ["elena"])
    with sessions() as session:
        largest = search_resources(session, GENOVA_OPERATOR, ResourceQuery(text="ex", sort="surface"))
    assert names(largest, ids) == ["area", "shed"]


def test_occupation_and_skill_facets_count_every_result_not_only_the_latest(sessions, ids):
    for text in ("", "cantieri"):
        page = found(sessions, GENOVA_OPERATOR, ProfileQuery(text=text, per_page=1))
        everything = found(sessions, GENOVA_OPERATOR, ProfileQuery(text=text, per_page=200))
        assert page.total > 1 and len(everything.items) == page.total
        for name, part in (("occupation", "occupations"), ("skill", "skills")):
            expected = Counter(c["key"] for item in everything.items for c in item[part])
            wanted = sorted(expected.items(), key=lambda kv: (-kv[1], kv[0]))[:12]
            assert wanted and [(v.code, v.count) for v in page.facets[name]] == wanted, (text, name)


def test_occupation_facets_are_exact_over_thousands_of_results(sessions, desks):
    """More results than any page or sample: every one of them counts (a text, a filter, or none)."""
    with sessions.begin() as session:
        ensure_indexes(session)
        for model in (ProfileOccupation, ProfileSkill, ProfileText, Profile):
            session.execute(delete(model))
        many = 1500
        session.execute(insert(Profile), [{
            "id": i, "desk_id": "genova", "display_name": f"P{i}", "country": "IT", "region": "IT-42",
            "province": "IT-GE" if i % 3 else "IT-SP", "availability": "available", "chain_mask": 0,
            "consent_to_share": False, "created_by": "t", "updated_by": "t"} for i in range(1, many + 1)])
        session.execute(insert(ProfileText), [{"profile_id": i, "search_text": "saldatore" if i % 2 else "guida",
                                               "personal_text": ""} for i in range(1, many + 1)])
        # the oldest profiles are welders by trade, the newest drivers
        session.execute(insert(ProfileOccupation), [{
            "profile_id": i, "key": "text:saldatore" if i <= 1000 else "text:autista", "esco_uri": None,
            "label": "x", "level": None, "position": 0} for i in range(1, many + 1)])
    profiles = range(1, many + 1)
    for query, kept in ((ProfileQuery(), lambda i: True), (ProfileQuery(text="saldatore"), lambda i: i % 2),
                        (ProfileQuery(provinces=("IT-GE",)), lambda i: i % 3)):
        result = found(sessions, ADMIN, query)
        expected = Counter("text:saldatore" if i <= 1000 else "text:autista" for i in profiles if kept(i))
        assert result.total == sum(expected.values()) > 700
        assert {v.code: v.count for v in result.facets["occupation"]} == dict(expected), query


def test_the_most_frequent_skills_are_the_first_twelve_ties_in_the_order_of_their_keys(sessions, desks):
    """Twenty skills, some tied at the twelfth place: the facet shows the twelve counted most, ties in the
    byte order of their keys (as the whole databank's kept counts order them), for a filter, a text and both."""
    keys = [f"text:skill {chr(ord('a') + n)}" for n in range(20)]
    # skill n on (n % 7) + 1 profiles of each desk: 2 or 3 keys per count, the twelfth place within a tie of 3
    wanted_by = {key: (n % 7) + 1 for n, key in enumerate(keys)}
    with sessions.begin() as session:
        ensure_indexes(session)
        for model in (ProfileOccupation, ProfileSkill, ProfileText, Profile):
            session.execute(delete(model))
        session.execute(insert(Profile), [{
            "id": i, "desk_id": desk, "display_name": f"P{i}", "country": "IT", "region": "IT-42",
            "province": "IT-GE", "created_by": "t", "updated_by": "t"}
            for i, desk in ((i, "genova" if i <= 8 else "nice") for i in range(1, 17))])
        session.execute(insert(ProfileText), [{"profile_id": i, "search_text": "saldatore", "personal_text": ""}
                                              for i in range(1, 17)])
        session.execute(insert(ProfileSkill), [
            {"profile_id": first + k, "key": key, "esco_uri": None, "label": key[5:], "level": 2, "position": n}
            for n, key in enumerate(reversed(keys)) for first in (1, 9) for k in range(wanted_by[key])])
    for query in (ProfileQuery(desks=("genova",)), ProfileQuery(text="saldatore", desks=("genova",)),
                  ProfileQuery(text="saldatore", regions=("IT-42",))):
        per_desk = 1 if query.desks else 2
        expected = sorted(((key, n * per_desk) for key, n in wanted_by.items()), key=lambda kv: (-kv[1], kv[0]))
        result = found(sessions, ADMIN, query)
        assert [(v.code, v.count) for v in result.facets["skill"]] == expected[:12], query
        assert expected[11][1] == expected[12][1]  # the cut falls within a tie


def test_sqlites_lists_of_codes_are_counted_whatever_their_spacing():
    from databank.search import _count_codes

    assert _count_codes("[3,5],[5],[]") == {3: 1, 5: 2}
    assert _count_codes("[3, 5],[5]") == {3: 1, 5: 2}
    assert _count_codes(None) == {} and _count_codes("[]") == {} and _count_codes("null,[4],null") == {4: 1}


def test_the_kept_counts_of_the_whole_databank_follow_every_change(sessions, desks):
    """The unfiltered list reads the counts that triggers keep: after profiles, occupations and skills are
    added, changed, deleted and stopped, they still equal the counts of a filtered search over the same
    profiles; a profile whose processing stopped counts only for its desk."""
    with sessions.begin() as session:
        ensure_indexes(session)
        for model in (ProfileOccupation, ProfileSkill, ProfileText, Profile):
            session.execute(delete(model))
        session.execute(insert(Profile), [{
            "id": i, "desk_id": "genova" if i % 2 else "nice", "display_name": f"P{i}", "years_experience": 5,
            "country": PLACES[i % 5][1][:2], "region": PLACES[i % 5][0], "province": PLACES[i % 5][1],
            "availability": "available", "mobility": "region", "chain_mask": i % 16, "consent_to_share": False,
            "created_by": "t", "updated_by": "t"} for i in range(1, 31)])
        session.execute(insert(ProfileOccupation), [{"profile_id": i, "key": f"text:o{i % 3}", "label": "o",
                                                     "position": 0} for i in range(1, 31)])
        session.execute(insert(ProfileSkill), [{"profile_id": i, "key": f"text:s{(i + k) % 4}", "label": "s",
                                                "position": k} for i in range(1, 31) for k in (0, 1)])
    with sessions.begin() as session:
        session.execute(update(Profile).where(Profile.id <= 5).values(region="FR-PAC", province="FR-06", chain_mask=1))
        session.execute(update(ProfileSkill).where(ProfileSkill.profile_id > 25).values(key="text:moved"))
        session.execute(delete(ProfileOccupation).where(ProfileOccupation.profile_id.in_([7, 8])))
        for model in (ProfileOccupation, ProfileSkill):
            session.execute(delete(model).where(model.profile_id == 9))
        session.execute(delete(Profile).where(Profile.id == 9))
        session.execute(update(Profile).where(Profile.id.in_([10, 11])).values(processing_stopped=True))
    for actor, total in ((ADMIN, 29), (GENOVA_OPERATOR, 28), (NICE_OPERATOR, 28)):
        whole = found(sessions, actor, ProfileQuery())
        counted = found(sessions, actor, ProfileQuery(min_years=0))  # every profile, counted row by row
        assert whole.total == counted.total == total, actor
        assert whole.facets == counted.facets, actor
        assert {v.code: v.count for v in whole.facets["skill"]}["text:moved"] == 10
    assert {v.code: v.count for v in found(sessions, NICE_OPERATOR, ProfileQuery()).facets["desk"]} == \
        {"genova": 13, "nice": 15}  # 9 deleted, 11 stopped (Genova's: not for Nice), 10 stopped (Nice's)


def _resources(sessions, count):  # noqa: ANN001, ANN202
    """`count` resources spread over the places, categories, statuses, masks and surfaces."""
    with sessions.begin() as session:
        ensure_indexes(session)
        session.execute(delete(ResourceText))
        session.execute(delete(Resource))
        session.execute(insert(Resource), [{
            "id": i, "desk_id": "genova" if i % 2 else "nice", "category": ("machine", "shed", "plant")[i % 3],
            "title": f"R{i}", "status": ("available", "taken")[i % 2], "condition": ("good", "poor")[i % 2],
            "country": PLACES[i % 5][1][:2], "region": PLACES[i % 5][0], "province": PLACES[i % 5][1],
            "chain_mask": i % 16, "offer_mask": i % 8, "surface_m2": SURFACES[i % len(SURFACES)],
            "published": True, "created_by": "t", "updated_by": "t"} for i in range(1, count + 1)])


def _change_resources(sessions):  # noqa: ANN001, ANN202
    with sessions.begin() as session:
        session.execute(update(Resource).where(Resource.id <= 5).values(category="plant", region="FR-PAC",
                                                                          province="FR-06", offer_mask=7))
        session.execute(update(Resource).where(Resource.id > 25).values(status="reserved", chain_mask=0))
        session.execute(delete(Resource).where(Resource.id.in_([7, 8])))
        session.execute(insert(Resource), [{"id": 40, "desk_id": "nice", "category": "shed", "title": "new",
                                            "status": "available", "condition": "good", "country": "FR",
                                            "region": "FR-PAC", "province": "FR-83", "chain_mask": 3,
                                            "offer_mask": 1, "published": False, "created_by": "t",
                                            "updated_by": "t"}])


def _assert_kept_resource_counts_are_exact(sessions, total):  # noqa: ANN001, ANN202
    every_category = ResourceQuery(categories=("machine", "shed", "plant"))  # every resource, counted row by row
    with sessions() as session:
        whole = search_resources(session, ADMIN, ResourceQuery(), "en")
        counted = search_resources(session, ADMIN, every_category, "en")
    assert whole.total == counted.total == total
    assert whole.facets == counted.facets
    assert {v.code: v.count for v in whole.facets["status"]} == {"available": 12, "taken": 12, "reserved": 5}


def test_the_kept_counts_of_the_whole_databank_follow_every_change_of_resources(sessions, desks):
    """The unfiltered list of resources reads the counts that triggers keep: after resources are added,
    changed and deleted, they still equal the counts of a filtered search over the same resources."""
    _resources(sessions, 30)
    _change_resources(sessions)
    _assert_kept_resource_counts_are_exact(sessions, 29)


def test_the_resource_counts_are_made_when_a_databank_with_resources_is_upgraded(db_engine, db_url, sessions, desks):
    """A databank with resources from before the kept resource counts (migration 0028) has them exact once
    upgraded, and keeps them after."""
    from alembic import command

    from engine.db import alembic_config, upgrade

    _resources(sessions, 30)
    db_engine.dispose()
    command.downgrade(alembic_config(db_url), "0027")
    _change_resources(sessions)  # changes while nothing counts them (on PostgreSQL)
    db_engine.dispose()
    upgrade(db_url)
    db_engine.dispose()
    _assert_kept_resource_counts_are_exact(sessions, 29)
    with sessions.begin() as session:
        session.execute(update(Resource).where(Resource.id == 1).values(status="available"))
        session.execute(update(Resource).where(Resource.id == 40).values(status="taken"))
    _assert_kept_resource_counts_are_exact(sessions, 29)



def _assert_kept_catalogue_counts_are_exact(sessions):  # noqa: ANN001, ANN202
    """The catalogue's first page (its counts kept by triggers) counts what a filtered catalogue search over
    the same resources counts, row by row, and what the published, available resources are."""
    every_category = ResourceQuery(categories=("machine", "shed", "plant"))
    with sessions() as session:
        whole = catalogue(session, ResourceQuery(), "en")
        counted = catalogue(session, every_category, "en")
        shown = session.execute(select(Resource.category, Resource.surface_m2).where(
            Resource.published.is_(True), Resource.status == "available")).all()
        # the same resources asked for by an operator, who sees the desks too
        in_catalogue = ResourceQuery(statuses=("available",), published_only=True)
        listed = search_resources(session, ADMIN, in_catalogue, "en")
        listed_counted = search_resources(session, ADMIN, replace(in_catalogue, categories=every_category.categories),
                                          "en")
    assert whole.total == counted.total == listed.total == len(shown)
    assert whole.facets == counted.facets
    assert listed.facets == listed_counted.facets and listed.facets["desk"]
    assert {v.code: v.count for v in whole.facets["category"]} == Counter(category for category, _ in shown)
    assert {v.code: v.count for v in whole.facets["size_band"]} == Counter(band_of(surface) for _, surface in shown)
    return whole


def _change_what_the_catalogue_shows(sessions):  # noqa: ANN001, ANN202
    with sessions.begin() as session:
        session.execute(update(Resource).where(Resource.id.in_([1, 3, 5])).values(published=False))
        session.execute(update(Resource).where(Resource.id.in_([2, 4])).values(status="available"))
        session.execute(update(Resource).where(Resource.id.in_([10, 12])).values(surface_m2=None))  # shown ones
        session.execute(update(Resource).where(Resource.id.in_([14, 16])).values(surface_m2=25_000))
        session.execute(delete(Resource).where(Resource.id == 17))


def test_the_kept_counts_of_the_catalogue_follow_every_change_of_what_it_shows(sessions, desks):
    """The catalogue's first page reads the counts that triggers keep of the published, available resources
    (their size bands too): resources published and withdrawn, taken and freed, resized and deleted move in
    and out of them."""
    _resources(sessions, 30)
    before = _assert_kept_catalogue_counts_are_exact(sessions)
    _change_resources(sessions)
    _change_what_the_catalogue_shows(sessions)
    after = _assert_kept_catalogue_counts_are_exact(sessions)
    assert after.total != before.total and after.facets["size_band"] != before.facets["size_band"]
    with sessions() as session:  # it reads them: a count changed by hand shows on the first page alone
        session.execute(update(FacetCount).where(FacetCount.facet == "catalogue_category",
                                                 FacetCount.value == "shed").values(n=FacetCount.n + 100))
        tampered = catalogue(session, ResourceQuery(), "en")
        counted = catalogue(session, ResourceQuery(categories=("machine", "shed", "plant")), "en")
        session.rollback()
    shed = {v.code: v.count for v in tampered.facets["category"]}["shed"]
    assert shed == {v.code: v.count for v in counted.facets["category"]}["shed"] + 100


def test_the_catalogue_counts_are_made_when_a_databank_with_resources_is_upgraded(db_engine, db_url, sessions,
                                                                                   desks):
    """A databank with resources from before the kept catalogue counts (migration 0038) has them exact once
    upgraded (on SQLite, by the first search, as its other counts), and keeps them after."""
    from alembic import command

    from databank import textindex
    from engine.db import alembic_config, upgrade

    _resources(sessions, 30)
    db_engine.dispose()
    command.downgrade(alembic_config(db_url), "0037")
    if db_engine.dialect.name == "sqlite":  # as databank.textindex left a databank then: no catalogue counts
        with db_engine.begin() as connection:
            for event in ("ai", "ad", "au"):
                connection.exec_driver_sql(f"DROP TRIGGER databank_facet_counts_catalogue_{event}")
            connection.exec_driver_sql("DELETE FROM databank_facet_counts WHERE facet LIKE 'catalogue%'")
        textindex._ready.clear()  # a process started after the upgrade
    _change_what_the_catalogue_shows(sessions)  # changes while nothing counts them
    db_engine.dispose()
    upgrade(db_url)
    db_engine.dispose()
    _assert_kept_catalogue_counts_are_exact(sessions)
    with sessions.begin() as session:
        session.execute(update(Resource).where(Resource.id == 1).values(published=True))
        session.execute(update(Resource).where(Resource.id == 21).values(status="taken", surface_m2=300))
    _assert_kept_catalogue_counts_are_exact(sessions)


def _skill_counts(sessions, actor, query):  # noqa: ANN001, ANN202
    result = found(sessions, actor, query)
    return {v.code: v.count for v in result.facets["skill"]}, {v.code: v.count for v in result.facets["occupation"]}


def test_the_competence_numbers_are_given_when_a_databank_with_profiles_is_upgraded(db_engine, db_url, sessions,
                                                                                      desks):
    """A databank with occupations and skills from before their keys were numbered (migration 0030) counts
    them exactly once upgraded, whatever was added or changed before, and numbers every new key after."""
    from alembic import command

    from engine.db import alembic_config, upgrade

    with sessions.begin() as session:
        _only_plain_profiles(session, 20)
        session.execute(insert(ProfileSkill), [{"profile_id": i, "key": f"text:s{(i + k) % 4}", "label": "s",
                                                "position": k} for i in range(1, 21) for k in (0, 1)])
    db_engine.dispose()
    command.downgrade(alembic_config(db_url), "0029")
    with sessions.begin() as session:  # rows written while nothing numbers them
        session.execute(update(ProfileSkill).where(ProfileSkill.profile_id > 15).values(key="text:moved"))
        session.execute(insert(ProfileOccupation), [{"profile_id": i, "key": f"text:o{i % 3}", "label": "o",
                                                     "position": 0} for i in range(1, 21)])
    db_engine.dispose()
    upgrade(db_url)
    db_engine.dispose()
    filtered = ProfileQuery(regions=("IT-42",))  # counted row by row, not the kept counts
    skills, occupations = _skill_counts(sessions, ADMIN, filtered)
    assert skills == {"text:s0": 7, "text:s1": 7, "text:s2": 8, "text:s3": 8, "text:moved": 10}
    assert occupations == {"text:o0": 6, "text:o1": 7, "text:o2": 7}
    with sessions.begin() as session:
        session.execute(update(ProfileSkill).where(ProfileSkill.profile_id == 1).values(key="text:new"))
        session.execute(insert(ProfileOccupation), [{"profile_id": 2, "key": "text:o1", "label": "o", "position": 1},
                                                    {"profile_id": 3, "key": "text:o9", "label": "o", "position": 1}])
    skills, occupations = _skill_counts(sessions, ADMIN, filtered)
    assert skills == {"text:s0": 7, "text:s1": 6, "text:s2": 7, "text:s3": 8, "text:moved": 10, "text:new": 2}
    assert occupations == {"text:o0": 6, "text:o1": 8, "text:o2": 7, "text:o9": 1}
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(ProfileSkill).where(ProfileSkill.code.is_(None))) == 0


def test_each_profile_lists_the_codes_of_its_occupations_and_skills_after_every_change(sessions, desks):
    """The codes listed on a profile (what a search counts) are those of its rows, whatever changed them."""
    with sessions.begin() as session:
        _only_plain_profiles(session, 8)
        session.execute(insert(ProfileSkill), [{"profile_id": i, "key": f"text:s{(i * k) % 5}", "label": "s",
                                                "position": k} for i in range(1, 9) for k in (1, 2, 3)])
        session.execute(insert(ProfileOccupation), [{"profile_id": i, "key": f"text:o{i % 2}", "label": "o",
                                                     "position": 0} for i in range(1, 9)])
    with sessions.begin() as session:
        session.execute(update(ProfileSkill).where(ProfileSkill.profile_id == 1).values(key="text:new"))
        session.execute(update(ProfileSkill).where(ProfileSkill.profile_id == 2, ProfileSkill.position == 1)
                        .values(profile_id=3))  # a row moved to another profile
        session.execute(delete(ProfileSkill).where(ProfileSkill.profile_id == 4))
        session.execute(delete(ProfileOccupation).where(ProfileOccupation.profile_id.in_([5, 6])))
    with sessions() as session:
        codes = dict(session.execute(select(CompetenceCode.key, CompetenceCode.code)).all())
        for model, column in ((ProfileSkill, Profile.skill_codes), (ProfileOccupation, Profile.occupation_codes)):
            rows: dict[int, Counter] = {}
            for profile_id, key in session.execute(select(model.profile_id, model.key)):
                rows.setdefault(profile_id, Counter())[codes[key]] += 1
            listed = dict(session.execute(select(Profile.id, column)).all())
            assert {i: Counter(listed[i] or []) for i in listed} == {i: rows.get(i, Counter()) for i in listed}, model
        assert not (session.scalar(select(Profile.skill_codes).where(Profile.id == 4)) or [])


# --- facet counts, totals and pages against a brute-force count in Python ------------------------------
# Random rows go straight into the tables; each search must then agree with the same filters applied and
# the same values counted here, over the rows themselves. Queries without any filter take another way
# through the database (the narrow indexes of the whole databank) than filtered or text ones: both are drawn.

PLACES = [("IT-42", "IT-GE"), ("IT-42", "IT-SP"), ("IT-52", "IT-LI"), ("FR-PAC", "FR-06"), ("FR-PAC", "FR-83")]
WORDS = ["saldatore", "saldatura", "guida", "tecnico", "eolico", "capannone", "carroponte"]
FREE_SKILLS = ["text:saldatura a filo", "text:carrellista", "text:patente nautica", "text:vetroresina"]
FREE_OCCUPATIONS = ["text:saldatore", "text:carpentiere", "text:guida turistica"]
NOBODYS = "text:nessuno"  # a key no profile has
SURFACES = [None, 120.0, 499.0, 500.0, 1999.5, 2000.0, 9999.0, 10000.0, 30000.0]


def _some(values):  # noqa: ANN001, ANN202
    """A filter on a few of these values, or (more often: filters combine) none."""
    return st.one_of(st.just(()), st.just(()), st.just(()),
                     st.lists(st.sampled_from(values), min_size=1, max_size=2, unique=True).map(tuple))


PROFILE_ROWS = st.lists(st.fixed_dictionaries({
    "place": st.sampled_from(PLACES), "availability": st.sampled_from(["available", "from_date", "unavailable"]),
    "mobility": st.sampled_from(["local", "region", "cross_border"]), "desk": st.sampled_from(["genova", "nice"]),
    "chains": st.integers(0, 15), "years": st.one_of(st.none(), st.integers(0, 30)),
    "words": st.lists(st.sampled_from(WORDS), max_size=3), "skills": st.lists(st.sampled_from(FREE_SKILLS),
                                                                              max_size=3, unique=True),
    "levels": st.lists(st.integers(1, 4), min_size=3, max_size=3),
    "occupations": st.lists(st.sampled_from(FREE_OCCUPATIONS), max_size=2, unique=True),
    "personal": st.lists(st.sampled_from(["rossi", "bianchi", "saldi"]), max_size=2), "consent": st.booleans(),
}), max_size=25)
PAGES = {"per_page": st.sampled_from([3, 20]), "page": st.integers(1, 3)}
PROFILE_QUERIES = st.builds(ProfileQuery, sort=st.sampled_from(["recent", "experience"]), **PAGES) | st.builds(
    ProfileQuery, text=st.sampled_from(["", "", "saldat", "guida", "tecnico eol", "rossi", "bianchi guida", "sald"]),
    regions=_some(["IT-42", "FR-PAC"]),
    provinces=_some(["IT-SP", "FR-06"]), supply_chains=_some(list(CHAIN_BITS)),
    availability=_some(["available", "unavailable"]), desks=_some(["nice"]),
    min_years=st.one_of(st.none(), st.just(10)), skills=_some(FREE_SKILLS[:2] + [NOBODYS]),
    min_skill_level=st.sampled_from([None, None, 3]), occupations=_some(FREE_OCCUPATIONS[:2] + [NOBODYS]),
    sort=st.sampled_from(["recent", "experience"]), **PAGES)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=PROFILE_ROWS, query=PROFILE_QUERIES, actor=st.sampled_from([ADMIN, GENOVA_OPERATOR, NICE_OPERATOR]))
def test_profile_facets_totals_and_pages_agree_with_a_count_of_the_rows(sessions, desks, rows, query, actor):
    """Personal words (a name) find a profile only for whom may see them: an administrator, the profile's
    desk, anyone if the worker consented."""
    with sessions.begin() as session:
        ensure_indexes(session)
        for model in (ProfileOccupation, ProfileSkill, ProfileText, Profile):
            session.execute(delete(model))
        if rows:
            session.execute(insert(Profile), [{
                "id": i, "desk_id": r["desk"], "display_name": f"P{i}", "years_experience": r["years"],
                "country": r["place"][1][:2], "region": r["place"][0], "province": r["place"][1],
                "mobility": r["mobility"], "availability": r["availability"], "chain_mask": r["chains"],
                "consent_to_share": r["consent"], "created_by": "t", "updated_by": "t"} for i, r in enumerate(rows, 1)])
            session.execute(insert(ProfileText), [{"profile_id": i, "search_text": " ".join(r["words"]),
                                                   "personal_text": " ".join(r["personal"])}
                                                  for i, r in enumerate(rows, 1)])
        skills = [{"profile_id": i, "key": key, "esco_uri": None, "label": key[5:], "level": r["levels"][n],
                   "position": n} for i, r in enumerate(rows, 1) for n, key in enumerate(r["skills"])]
        if skills:
            session.execute(insert(ProfileSkill), skills)
        occupations = [{"profile_id": i, "key": key, "esco_uri": None, "label": key[5:], "level": 2, "position": n}
                       for i, r in enumerate(rows, 1) for n, key in enumerate(r["occupations"])]
        if occupations:
            session.execute(insert(ProfileOccupation), occupations)
    with sessions() as session:
        result = search_profiles(session, actor, query, "en")

    def found_by_text(r):  # noqa: ANN001, ANN202
        sees_personal = actor.has("admin") or r["consent"] or r["desk"] in actor.desks
        return matches(query.text, " ".join(r["words"])) or (
            sees_personal and matches(query.text, " ".join(r["words"] + r["personal"])))

    def kept(r):  # noqa: ANN001, ANN202
        chains = [CHAIN_BITS[c] for c in query.supply_chains]
        return all([
            not query.text or found_by_text(r),
            not query.regions or r["place"][0] in query.regions,
            not query.provinces or r["place"][1] in query.provinces,
            not chains or any(r["chains"] & bit for bit in chains),
            not query.availability or r["availability"] in query.availability,
            not query.desks or r["desk"] in query.desks,
            query.min_years is None or (r["years"] is not None and r["years"] >= query.min_years),
            all(key in r["skills"] and r["levels"][r["skills"].index(key)] >= (query.min_skill_level or 1)
                for key in query.skills),
            not query.occupations or any(key in r["occupations"] for key in query.occupations),
        ])

    hits = [(i, r) for i, r in enumerate(rows, 1) if kept(r)]
    assert result.total == len(hits)
    expected = {
        "region": Counter(r["place"][0] for _, r in hits), "province": Counter(r["place"][1] for _, r in hits),
        "availability": Counter(r["availability"] for _, r in hits), "mobility": Counter(r["mobility"] for _, r in hits),
        "desk": Counter(r["desk"] for _, r in hits),
        "supply_chain": Counter(c for _, r in hits for c, bit in CHAIN_BITS.items() if r["chains"] & bit),
        "skill": Counter(key for _, r in hits for key in r["skills"]),
        "occupation": Counter(key for _, r in hits for key in r["occupations"]),
    }
    for name, counts in expected.items():
        wanted = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:12]
        assert [(v.code, v.count) for v in result.facets[name]] == wanted, name
    if query.sort == "experience":
        hits.sort(key=lambda h: (-(h[1]["years"] if h[1]["years"] is not None else -1), -h[0]))
    else:
        hits.sort(key=lambda h: -h[0])
    start = (query.page - 1) * query.per_page
    assert [item["id"] for item in result.items] == [i for i, _ in hits[start:start + query.per_page]]
    with sessions() as session:  # without facets: the same total and page
        bare = search_profiles(session, actor, query, "en", facets=False)
    assert (bare.total, [item["id"] for item in bare.items]) == (result.total, [item["id"] for item in result.items])


RESOURCE_ROWS = st.lists(st.fixed_dictionaries({
    "place": st.sampled_from(PLACES), "desk": st.sampled_from(["genova", "nice"]),
    "category": st.sampled_from(["machine", "shed", "plant"]), "status": st.sampled_from(["available", "taken"]),
    "condition": st.sampled_from(["good", "poor"]), "chains": st.integers(0, 15), "offers": st.integers(0, 7),
    "surface": st.sampled_from(SURFACES), "published": st.booleans(), "words": st.lists(st.sampled_from(WORDS),
                                                                                         max_size=3),
}), max_size=25)
RESOURCE_QUERIES = st.builds(ResourceQuery, sort=st.sampled_from(["recent", "surface"]), **PAGES) | st.builds(
    ResourceQuery, text=st.sampled_from(["", "", "capannone", "carro"]), categories=_some(["shed", "plant"]),
    regions=_some(["IT-42", "FR-PAC"]), offers=_some(["rent", "sale"]), statuses=_some(["available"]),
    supply_chains=_some(list(CHAIN_BITS)), min_surface=st.one_of(st.none(), st.just(2000.0)),
    size_bands=_some(["500_2000", "ge_10000", "unknown"]), published_only=st.sampled_from([False, False, True]),
    sort=st.sampled_from(["recent", "surface"]), **PAGES)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=RESOURCE_ROWS, query=RESOURCE_QUERIES)
def test_resource_facets_totals_and_pages_agree_with_a_count_of_the_rows(sessions, desks, rows, query):
    with sessions.begin() as session:
        ensure_indexes(session)
        session.execute(delete(ResourceText))
        session.execute(delete(Resource))
        if rows:
            session.execute(insert(Resource), [{
                "id": i, "desk_id": r["desk"], "category": r["category"], "title": f"R{i}", "status": r["status"],
                "condition": r["condition"], "country": r["place"][1][:2], "region": r["place"][0],
                "province": r["place"][1], "chain_mask": r["chains"], "offer_mask": r["offers"],
                "surface_m2": r["surface"], "published": r["published"], "created_by": "t", "updated_by": "t",
            } for i, r in enumerate(rows, 1)])
            session.execute(insert(ResourceText), [{"resource_id": i, "search_text": " ".join(r["words"])}
                                                   for i, r in enumerate(rows, 1)])
    with sessions() as session:
        result = search_resources(session, NICE_OPERATOR, query, "en")

    def kept(r):  # noqa: ANN001, ANN202
        chains, offers = [CHAIN_BITS[c] for c in query.supply_chains], [OFFER_BITS[o] for o in query.offers]
        return all([
            not query.text or matches(query.text, " ".join(r["words"])),
            not query.categories or r["category"] in query.categories,
            not query.regions or r["place"][0] in query.regions,
            not chains or any(r["chains"] & bit for bit in chains),
            not offers or any(r["offers"] & bit for bit in offers),
            not query.statuses or r["status"] in query.statuses,
            query.min_surface is None or (r["surface"] is not None and r["surface"] >= query.min_surface),
            not query.size_bands or band_of(r["surface"]) in query.size_bands,
            not query.published_only or r["published"],
        ])

    hits = [(i, r) for i, r in enumerate(rows, 1) if kept(r)]
    assert result.total == len(hits)
    expected = {name: Counter(r[key] for _, r in hits) for name, key in (
        ("category", "category"), ("status", "status"), ("condition", "condition"), ("desk", "desk"))}
    expected["region"] = Counter(r["place"][0] for _, r in hits)
    expected["province"] = Counter(r["place"][1] for _, r in hits)
    expected["supply_chain"] = Counter(c for _, r in hits for c, bit in CHAIN_BITS.items() if r["chains"] & bit)
    expected["offer"] = Counter(o for _, r in hits for o, bit in OFFER_BITS.items() if r["offers"] & bit)
    for name, counts in expected.items():
        assert [(v.code, v.count) for v in result.facets[name]] == sorted(counts.items(),
                                                                          key=lambda item: (-item[1], item[0])), name
    bands = Counter(band_of(r["surface"]) for _, r in hits)
    assert [(v.code, v.count) for v in result.facets["size_band"]] == [
        (code, bands[code]) for code in ["lt_500", "500_2000", "2000_10000", "ge_10000", "unknown"] if bands[code]]
    if query.sort == "surface":
        hits.sort(key=lambda h: (-(h[1]["surface"] if h[1]["surface"] is not None else -1), -h[0]))
    else:
        hits.sort(key=lambda h: -h[0])
    start = (query.page - 1) * query.per_page
    assert [item["id"] for item in result.items] == [i for i, _ in hits[start:start + query.per_page]]


def test_the_full_text_tables_are_made_inside_a_transaction_that_writes_already(sessions, monkeypatch):
    """Not in a second writing transaction, which would wait for the first one's lock (SQLite)."""
    import weakref

    from sqlalchemy import text

    from databank import textindex
    from engine.db import writing

    monkeypatch.setattr(textindex, "_ready", weakref.WeakKeyDictionary())  # as in a process just started
    with writing(sessions).begin() as session:
        session.execute(text("SELECT 1"))  # the transaction has begun: on SQLite it holds the write lock
        textindex.ensure_indexes(session)


def _only_plain_profiles(session, count: int) -> None:  # noqa: ANN001
    """The databank emptied, then `count` profiles (ids 1..count) of one desk, without competences."""
    ensure_indexes(session)
    for model in (ProfileOccupation, ProfileSkill, ProfileText, Profile):
        session.execute(delete(model))
    session.execute(insert(Profile), [{
        "id": i, "desk_id": "genova", "display_name": f"P{i}", "country": "IT", "region": "IT-42",
        "province": "IT-GE", "availability": "available", "chain_mask": 0, "consent_to_share": False,
        "created_by": "t", "updated_by": "t"} for i in range(1, count + 1)])


def test_the_words_found_follow_every_change_of_the_texts(sessions, desks):
    """On PostgreSQL the full-text indexes point to narrow rows of their own (`ProfileSearch`), kept by
    triggers on the texts: new texts, changed words (public or personal), unchanged words, deleted texts."""
    with sessions.begin() as session:
        _only_plain_profiles(session, 3)
        session.execute(insert(ProfileText), [{"profile_id": i, "search_text": f"saldatore w{i}",
                                               "personal_text": f"rossi{i}"} for i in (1, 2, 3)])

    def ids(text, actor=GENOVA_OPERATOR):  # noqa: ANN001, ANN202
        with sessions() as session:
            return sorted(item["id"] for item in search_profiles(session, actor, ProfileQuery(text=text)).items)

    assert ids("saldat") == [1, 2, 3] and ids("w2") == [2] and ids("rossi2", ADMIN) == [2]
    with sessions.begin() as session:
        session.execute(update(ProfileText).where(ProfileText.profile_id == 2).values(search_text="carrellista"))
        session.execute(update(ProfileText).where(ProfileText.profile_id == 3).values(personal_text="bianchi"))
        session.execute(update(ProfileText).where(ProfileText.profile_id == 1).values(search_text="saldatore w1"))
    assert ids("saldat") == [1, 3] and ids("carrell") == [2] and ids("w2") == []
    assert ids("rossi", ADMIN) == [1, 2] and ids("bianchi", ADMIN) == [3] and ids("saldatore bianchi", ADMIN) == [3]
    with sessions.begin() as session:  # through the ORM, as the operations change them
        session.get(Profile, 1).set_texts("tornitore", "verdi")
    assert ids("saldat") == [3] and ids("tornit") == [1] and ids("verdi", ADMIN) == [1]
    with sessions.begin() as session:
        session.execute(delete(ProfileText).where(ProfileText.profile_id == 3))
    assert ids("saldat") == [] and ids("bianchi", ADMIN) == []
    with sessions() as session:
        if dialect_of(session) == "postgresql":
            rows = dict(session.execute(select(ProfileSearch.profile_id, ProfileSearch.version)).all())
            assert rows == {1: 2, 2: 2}  # a new version for each change of the words, none for the same words


@pytest.mark.parametrize("query", [ProfileQuery(text="saldat"), ProfileQuery(text="weld", skills=(WELDING,)),
                                   ProfileQuery(text="cantieri", regions=("IT-42",)),
                                   ProfileQuery(skills=(WELDING,), provinces=("FR-06", "IT-GE"), sort="experience"),
                                   ProfileQuery(text="rossi")])
def test_the_matches_joined_or_looked_up_one_by_one_give_the_same_results(sessions, ids, monkeypatch, query):
    """PostgreSQL joins the matches of a text or a skill to the profiles when a territory bounds them, and
    looks them up one by one otherwise: the same results, facets and page either way."""
    from databank import search

    def everything(joined):  # noqa: ANN001, ANN202
        monkeypatch.setattr(search, "_join_sets", lambda _query: joined)
        out = []
        for actor in (ADMIN, GENOVA_OPERATOR, NICE_OPERATOR):
            result = found(sessions, actor, query)
            out.append((result.total, result.items, result.facets))
        return out

    assert everything(True) == everything(False)
    assert everything(True)[0][0] > 0


def test_the_matches_of_a_text_are_filtered_and_counted_as_their_profiles_are_after_every_change(sessions, desks):
    """On PostgreSQL a text's matches are filtered and counted from the profiles' search rows, which the
    database keeps as copies of the profiles' columns: every change of a profile (through the ORM, by a
    statement on several profiles, by its skills) shows in the next search, as on SQLite."""
    from databank.models import SEARCHED

    with sessions.begin() as session:
        ensure_indexes(session)
        for model in (ProfileOccupation, ProfileSkill, ProfileText, Profile):
            session.execute(delete(model))
        session.execute(insert(Profile), [{
            "id": i, "desk_id": "genova", "display_name": f"P{i}", "country": "IT", "region": "IT-42",
            "province": "IT-GE", "availability": "available", "chain_mask": 0, "years_experience": 1,
            "created_by": "t", "updated_by": "t"} for i in (1, 2, 3)])
        session.execute(insert(ProfileText), [{"profile_id": i, "search_text": "saldatore", "personal_text": ""}
                                              for i in (1, 2, 3)])

    def search(actor=ADMIN, **filters):  # noqa: ANN001, ANN003, ANN202
        result = found(sessions, actor, ProfileQuery(text="saldatore", **filters))
        return sorted(item["id"] for item in result.items), {v.code: v.count for v in result.facets["skill"]}

    assert search(regions=("IT-52",)) == ([], {})
    with sessions.begin() as session:  # one profile through the ORM
        profile = session.get(Profile, 1)
        profile.region, profile.province, profile.desk_id = "IT-52", "IT-LI", "nice"
    assert search(regions=("IT-52",))[0] == [1] and search(desks=("nice",))[0] == [1]
    assert search(regions=("IT-42",))[0] == [2, 3]
    with sessions.begin() as session:  # several profiles by one statement
        session.execute(update(Profile).where(Profile.id.in_([2, 3])).values(years_experience=10, chain_mask=1))
    assert search(min_years=5)[0] == [2, 3] and search(supply_chains=(next(iter(CHAIN_BITS)),))[0] == [2, 3]
    with sessions.begin() as session:  # a skill added: its code reaches the search row through the profile
        session.add(ProfileSkill(profile_id=2, key="text:gru", label="gru", level=2, position=0))
    assert search() == ([1, 2, 3], {"text:gru": 1})
    assert search(skills=("text:gru",)) == ([2], {"text:gru": 1})
    with sessions.begin() as session:
        session.execute(delete(ProfileSkill).where(ProfileSkill.profile_id == 2))
        session.execute(update(Profile).where(Profile.id == 2).values(availability="from_date",
                                                                        available_from=date(2027, 3, 1)))
        session.execute(update(Profile).where(Profile.id == 3).values(processing_stopped=True))
    assert search() == ([1, 2, 3], {}) and search(available_by=date(2027, 1, 1))[0] == [1, 3]
    assert search(NICE_OPERATOR)[0] == [1, 2]  # 3 stopped: only its own desk lists it
    with sessions() as session:
        if dialect_of(session) == "postgresql":  # the copies are the profiles' columns, value for value
            columns = [getattr(Profile, c) for c in SEARCHED]
            copies = [getattr(ProfileSearch, c) for c in SEARCHED]
            profiles = session.execute(select(Profile.id, *columns).order_by(Profile.id)).all()
            assert session.execute(select(ProfileSearch.profile_id, *copies).order_by(ProfileSearch.profile_id)
                                   ).all() == profiles


def test_a_databank_upgraded_with_its_profiles_finds_them_by_text_and_filters(db_engine, db_url, sessions, desks):
    """Profiles written before their search rows carried the searched columns (migration 0036) are found by a
    text and filters as their columns say once upgraded, and follow later changes."""
    from alembic import command

    from engine.db import alembic_config, upgrade

    db_engine.dispose()
    command.downgrade(alembic_config(db_url), "0035")
    with sessions.begin() as session:
        _only_plain_profiles(session, 4)
        session.execute(insert(ProfileText), [{"profile_id": i, "search_text": "saldatore", "personal_text": ""}
                                              for i in range(1, 5)])
        session.execute(update(Profile).where(Profile.id > 2).values(region="IT-52", province="IT-LI"))
        session.execute(insert(ProfileSkill), [{"profile_id": 4, "key": "text:gru", "label": "gru", "position": 0}])
    db_engine.dispose()
    upgrade(db_url)
    db_engine.dispose()

    def search(**filters):  # noqa: ANN003, ANN202
        result = found(sessions, ADMIN, ProfileQuery(text="saldatore", **filters))
        return sorted(item["id"] for item in result.items), {v.code: v.count for v in result.facets["skill"]}

    assert search(regions=("IT-52",)) == ([3, 4], {"text:gru": 1})
    assert search(regions=("IT-42",)) == ([1, 2], {})
    with sessions.begin() as session:
        session.execute(update(Profile).where(Profile.id == 1).values(region="IT-52", province="IT-LI"))
    assert search(regions=("IT-52",)) == ([1, 3, 4], {"text:gru": 1})


def test_the_resources_found_follow_every_change_of_their_texts(sessions, desks):
    """Resources too: on PostgreSQL their full-text index points to narrow rows kept by triggers."""
    with sessions.begin() as session:
        session.execute(delete(ResourceText))
        session.execute(delete(Resource))
        session.execute(insert(Resource), [{"id": i, "desk_id": "genova", "category": "shed", "title": f"R{i}",
                                            "country": "IT", "region": "IT-42", "province": "IT-GE",
                                            "created_by": "t", "updated_by": "t"} for i in (1, 2)])
        session.execute(insert(ResourceText), [{"resource_id": i, "search_text": f"capannone r{i}"} for i in (1, 2)])

    def ids(text):  # noqa: ANN001, ANN202
        with sessions() as session:
            return sorted(item["id"] for item in search_resources(session, ADMIN, ResourceQuery(text=text)).items)

    assert ids("capan") == [1, 2] and ids("r1") == [1]
    with sessions.begin() as session:
        session.execute(update(ResourceText).where(ResourceText.resource_id == 1).values(search_text="tornio cnc"))
    assert ids("capan") == [2] and ids("tornio") == [1] and ids("r1") == []
    with sessions.begin() as session:
        session.execute(delete(ResourceText).where(ResourceText.resource_id == 2))
    assert ids("capan") == []
    with sessions() as session:
        if dialect_of(session) == "postgresql":
            assert dict(session.execute(select(ResourceSearch.resource_id, ResourceSearch.version)).all()) == {1: 2}


def test_a_desks_profiles_are_listed_and_counted_from_the_desk_index_alone(db_engine, sessions, desks):
    """A desk's profiles, as another desk sees them: those whose processing stopped are left out of the total,
    the facets and the page; on SQLite the profiles are found from the
    index by desk alone (it carries what the listing condition reads), not from their rows, and their facets
    are grouped as the facet index lists them, not copied aside and sorted."""
    rows = [(i, "genova" if i % 3 else "nice", i % 4 == 0, f"w-{i}" if i % 5 == 0 else None) for i in range(1, 41)]
    with sessions.begin() as session:
        ensure_indexes(session)
        session.execute(insert(Profile), [{
            "id": i, "desk_id": desk, "display_name": f"P{i}", "region": "IT-42", "province": "IT-GE",
            "processing_stopped": stopped, "person_id": person, "created_by": "t", "updated_by": "t"}
            for i, desk, stopped, person in rows])
        session.execute(insert(ProfileSkill), [
            {"profile_id": i, "key": f"text:skill {i % 3}", "esco_uri": None, "label": f"skill {i % 3}", "level": 2,
             "position": 0} for i, *_ in rows])
    statements = []
    seen = lambda _c, _cursor, statement, parameters, _context, _many: statements.append(  # noqa: E731
        (statement, parameters))
    for actor in (NICE_OPERATOR, GENOVA_OPERATOR):
        listed = [i for i, desk, stopped, _ in rows
                  if desk == "genova" and (not stopped or "genova" in actor.desks)]
        event.listen(db_engine, "before_cursor_execute", seen)
        try:
            with sessions() as session:
                result = search_profiles(session, actor, ProfileQuery(desks=("genova",), per_page=50), "en")
        finally:
            event.remove(db_engine, "before_cursor_execute", seen)
        assert result.total == len(listed)
        assert [item["id"] for item in result.items] == sorted(listed, reverse=True)
        skills = Counter(f"text:skill {i % 3}" for i in listed)
        assert [(v.code, v.count) for v in result.facets["skill"]] == sorted(skills.items(),
                                                                             key=lambda kv: (-kv[1], kv[0]))
    with sessions() as session:
        if dialect_of(session) == "sqlite":
            listing = select(Profile.id).where(Profile.desk_id.in_(["genova"]), Profile.processing_stopped.is_(False)
                                               | (Profile.person_id == "op-nice") | Profile.desk_id.in_(["nice"]))
            plan = " ".join(str(row[-1]) for row in session.connection().exec_driver_sql(
                "EXPLAIN QUERY PLAN " + str(listing.compile(compile_kwargs={"literal_binds": True}))))
            assert "COVERING INDEX ix_databank_profiles_desk" in plan, plan
            counting = [(statement, parameters) for statement, parameters in statements if "facet_groups" in statement]
            assert len(counting) == 2, statements  # one search per actor
            statement, parameters = counting[0]

            def plan_of_groups() -> list[str]:  # the steps up to the first branch of the union
                steps = [str(row[-1]) for row in session.connection().exec_driver_sql(
                    "EXPLAIN QUERY PLAN " + statement, parameters)]
                return steps[:next(i for i, step in enumerate(steps) if step.startswith("SCAN facet_groups"))]

            # the groups are counted from the profiles' index, the matches never copied aside
            assert not [step for step in plan_of_groups() if "MATERIALIZE matched" in step], plan_of_groups()
            # with the statistics of ANALYZE (as in the benchmark), grouped as the facet index lists them: no sort
            session.connection().exec_driver_sql("ANALYZE")
            steps = plan_of_groups()
            assert [step for step in steps if "COVERING INDEX ix_databank_profiles_facets" in step], steps
            assert not [step for step in steps if "TEMP B-TREE" in step], steps


def test_the_facets_of_resources_found_by_a_text_are_grouped_by_hashing_and_nothing_else_is(db_engine, sessions,
                                                                                           ids):
    """PostgreSQL takes the resources matching a text (an array it cannot size) for ten rows, and would sort
    thousands of them to count their facets: the facet statement alone runs with sorts off (hashing), the
    page after it with the planner's own choice again. SQLite is told nothing."""
    from sqlalchemy import event, text

    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args):  # noqa: ANN001, ANN202
        statements.append(" ".join(statement.split())[:60])

    event.listen(db_engine, "before_cursor_execute", seen)
    try:
        with sessions() as session:
            result = search_resources(session, NICE_OPERATOR, ResourceQuery(text="capannone"))
            after = session.scalar(text("SHOW enable_sort")) if db_engine.dialect.name == "postgresql" else None
    finally:
        event.remove(db_engine, "before_cursor_execute", seen)
    assert names(result, ids) == ["hangar", "shed"] and result.total == 2
    hints = [i for i, s in enumerate(statements) if s.startswith("SET LOCAL enable_sort")]
    facets = [i for i, s in enumerate(statements) if s.startswith("WITH facet_groups")]
    page = [i for i, s in enumerate(statements) if s.startswith("SELECT databank_resources.id")]
    assert len(facets) == 1 and page, statements
    if db_engine.dialect.name == "sqlite":
        assert hints == []
        return
    assert [statements[i] for i in hints] == ["SET LOCAL enable_sort = off", "SET LOCAL enable_sort TO DEFAULT"]
    assert hints[0] < facets[0] < hints[1] < page[0]
    assert after == "on"


def test_skills_and_occupations_are_found_from_the_index_of_their_codes(db_engine, sessions, desks):
    """PostgreSQL finds the profiles with a skill or an occupation from the GIN index of the codes their
    search rows list (never by looking up each profile that has it), and a text with a skill from both
    indexes, never by computing the text's words of each profile with the skill; several sets of ids (two
    skills at a minimum level) are intersected before their ids are looked up: PostgreSQL 15 would try
    every pair of ids of `id = ANY(a) AND id = ANY(b)`."""
    from sqlalchemy import event

    with sessions.begin() as session:
        ensure_indexes(session)
        for model in (ProfileOccupation, ProfileSkill, ProfileText, Profile):
            session.execute(delete(model))
        _insert_many(session, Profile, [{
            "id": i, "desk_id": "genova", "display_name": f"P{i}", "region": "IT-42", "province": "IT-GE",
            "availability": "available", "created_by": "t", "updated_by": "t"} for i in range(1, 1501)])
        _insert_many(session, ProfileText, [{"profile_id": i, "search_text": "saldatore" if i % 2 else "guida",
                                             "personal_text": ""} for i in range(1, 1501)])
        _insert_many(session, ProfileSkill, [
            {"profile_id": i, "key": f"text:skill {(i + n) % 40}", "esco_uri": None, "label": "s", "level": 1 + n,
             "position": n} for i in range(1, 1501) for n in range(3)])
        _insert_many(session, ProfileOccupation, [
            {"profile_id": i, "key": f"text:occupation {i % 30}", "esco_uri": None, "label": "o", "level": 2,
             "position": 0} for i in range(1, 1501)])
    _analyze(db_engine, "databank_profile_search", "databank_profiles", "databank_profile_skills",
             "databank_profile_occupations", "databank_competence_codes")
    statements: list[tuple[str, Any]] = []

    def seen(_conn, _cursor, statement, parameters, *_args):  # noqa: ANN001, ANN202
        if statement.lstrip().startswith("WITH matched"):
            statements.append((statement, parameters))

    def skills_of(i: int) -> dict[str, int]:
        return {f"text:skill {(i + n) % 40}": 1 + n for n in range(3)}

    queries = {
        "one skill": (ProfileQuery(skills=("text:skill 7",)), lambda i: "text:skill 7" in skills_of(i)),
        "a text and a skill": (ProfileQuery(text="saldatore", skills=("text:skill 7",)),
                               lambda i: i % 2 == 1 and "text:skill 7" in skills_of(i)),
        "an occupation": (ProfileQuery(occupations=("text:occupation 3", "text:occupation 4")),
                          lambda i: i % 30 in (3, 4)),
        "two skills at a level": (ProfileQuery(skills=("text:skill 7", "text:skill 8"), min_skill_level=2),
                                  lambda i: skills_of(i).get("text:skill 7", 0) >= 2
                                  and skills_of(i).get("text:skill 8", 0) >= 2),
    }
    event.listen(db_engine, "before_cursor_execute", seen)
    try:
        for name, (query, wanted) in queries.items():
            with sessions() as session:
                result = search_profiles(session, ADMIN, replace(query, per_page=200), "en")
            expected = [i for i in range(1500, 0, -1) if wanted(i)]
            assert result.total == len(expected) > 0, name
            assert [item["id"] for item in result.items] == expected[:200], name
    finally:
        event.remove(db_engine, "before_cursor_execute", seen)
    if db_engine.dialect.name != "postgresql":
        return
    assert len(statements) == len(queries)
    with db_engine.connect() as connection:
        connection.exec_driver_sql("SET jit = off")
        connection.exec_driver_sql("SET enable_seqscan = off")  # what the indexes can answer, at any size
        plans = []
        for statement, parameters in statements:
            plans.append("\n".join(row[0] for row in connection.exec_driver_sql("EXPLAIN " + statement, parameters)))
    one_skill, text_and_skill, occupation, two_skills = plans
    assert "ix_databank_profile_search_skill_codes" in one_skill, one_skill
    assert "ix_databank_profile_search_occupation_codes" in occupation, occupation
    # the text's words are read from their index, not computed for each row the skill finds
    assert "Index Cond: (databank_profile_all_words" in text_and_skill, text_and_skill
    assert not [line for line in text_and_skill.splitlines()
                if "Filter:" in line and "databank_profile_" in line], text_and_skill
    with sessions() as session:  # the lookup path of export and matching: one set of ids looked up
        conditions = profile_conditions(session, ADMIN, ProfileQuery(skills=("text:skill 7", "text:skill 8"),
                                                                        min_skill_level=2))
        where = " ".join(str(c.compile(dialect=db_engine.dialect)) for c in conditions)
    assert where.count("= ANY (array(") == 1 and "INTERSECT" in where, where
    assert "ix_databank_profile_search_skill_codes" in two_skills, two_skills


def test_resources_of_some_supply_chains_or_offers_are_counted_from_the_index_of_the_masks(db_engine, sessions,
                                                                                           desks):
    """The supply chains and offers asked are the masks that have one of their bits; on PostgreSQL asked as
    the list of those masks, which the covering index of the masks answers (a bit test would read every
    resource): the same resources either way."""
    from sqlalchemy import event

    chains, offers = list(CHAIN_BITS.values()), list(OFFER_BITS.values())

    def chain_of(i: int) -> int:  # the first chain's bit in one resource of five, with others or alone
        return (i % (2 * max(chains))) | 1 if i % 5 == 0 else (i % (2 * max(chains))) & ~1

    def offer_of(i: int) -> int:
        return ((i // 5) % (2 * max(offers))) | 1 if i % 4 == 0 else ((i // 5) % (2 * max(offers))) & ~1

    with sessions.begin() as session:
        ensure_indexes(session)
        session.execute(delete(ResourceText))
        session.execute(delete(Resource))
        _insert_many(session, Resource, [{
            "id": i, "desk_id": "genova", "category": "shed", "title": f"R{i}", "status": "available",
            "condition": "good", "country": "IT", "region": "IT-42", "province": "IT-GE",
            "chain_mask": chain_of(i), "offer_mask": offer_of(i), "surface_m2": 100.0 + i,
            "published": True, "created_by": "t", "updated_by": "t"} for i in range(1, 2501)])
    _analyze(db_engine, "databank_resources")
    chain, offer = next(iter(CHAIN_BITS)), next(iter(OFFER_BITS))
    statements: list[tuple[str, Any]] = []

    def seen(_conn, _cursor, statement, parameters, *_args):  # noqa: ANN001, ANN202
        if statement.lstrip().startswith("WITH facet_groups"):
            statements.append((statement, parameters))

    event.listen(db_engine, "before_cursor_execute", seen)
    try:
        with sessions() as session:
            result = catalogue(session, ResourceQuery(supply_chains=(chain,), offers=(offer,), per_page=12), "en")
    finally:
        event.remove(db_engine, "before_cursor_execute", seen)
    expected = [i for i in range(2500, 0, -1) if chain_of(i) & CHAIN_BITS[chain] and offer_of(i) & OFFER_BITS[offer]]
    assert result.total == len(expected) > 50
    assert [item["id"] for item in result.items] == expected[:12]
    if db_engine.dialect.name != "postgresql":
        return
    assert len(statements) == 1
    with db_engine.connect() as connection:
        connection.exec_driver_sql("SET jit = off")
        connection.exec_driver_sql("SET enable_sort = off")  # as the search runs it (`_groups_hashed`)
        # whether the index can answer the condition (at this size, reading the table is as cheap)
        connection.exec_driver_sql("SET enable_seqscan = off")
        plan = "\n".join(row[0] for row in connection.exec_driver_sql("EXPLAIN " + statements[0][0],
                                                                        statements[0][1]))
    assert "Index Cond: (chain_mask = ANY" in plan and " ix_databank_resources_masks" in plan, plan


def _insert_many(session, model, rows: list[dict]) -> None:  # noqa: ANN001
    """Rows written by a few INSERTs of many rows each: the tables' statement triggers (counts, codes, search
    rows) then run a few times, not once a row."""
    for start in range(0, len(rows), 500):
        session.execute(insert(model).values(rows[start:start + 500]))


def _analyze(db_engine, *tables: str) -> None:  # noqa: ANN001
    """PostgreSQL: the planner's statistics of these tables, as autovacuum leaves them."""
    if db_engine.dialect.name == "postgresql":
        with db_engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql(f"VACUUM ANALYZE {', '.join(tables)}")
