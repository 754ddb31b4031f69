"""Creating, changing and erasing profiles and resources; validation with localized problems; who may
do what (the role matrix); reserving a resource for a case, recorded on the case."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from databank.errors import DatabankError, EntryInvalid, EntryNotFound, StaleEntry
from databank.models import CompetenceCode, FacetCount, Profile, Resource, ResourceLink
from engine import ConflictError, Member, NotAllowed
from engine.models import Event

from .conftest import (
    ADMIN, DESIGNER, GENOVA_OPERATOR, MENTOR, NICE_OPERATOR, OTHER_WORKER, TIG, WELDER, WELDING, WORKER, anna, shed,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%fake but well-formed enough for sniffing\n"


def problems_of(refusal: EntryInvalid) -> dict[str, list[str]]:
    return {p.field: sorted({q.code for q in refusal.value.problems if q.field == p.field})
            for p in refusal.value.problems}


# --- profiles ---------------------------------------------------------------------------------------

def test_a_profile_keeps_esco_concepts_free_text_levels_and_territory(databank):
    saved = databank.create_profile(GENOVA_OPERATOR, anna())
    profile = databank.get_profile(GENOVA_OPERATOR, saved.id, "it")
    assert [(o["uri"], o["label"], o["level"]) for o in profile["occupations"]] == [(WELDER, "saldatore", 4)]
    assert [(s["uri"], s["level"], s["level_label"]) for s in profile["skills"]] == [
        (WELDING, 4, "Esperto"), (TIG, 3, "Avanzato"), (None, 2, "Intermedio")]
    assert profile["skills"][2]["label"] == "lettura del disegno"
    assert (profile["country"], profile["region"], profile["province"]) == ("IT", "IT-42", "IT-GE")
    assert profile["region_name"] == "Liguria" and profile["province_name"] == "Genova"
    assert profile["languages"] == [{"code": "it", "level": "native"}, {"code": "en", "level": "B1"}]
    assert profile["origin_firm_nace"] == "C30.11" and profile["supply_chains"] == ["nautical_shipbuilding"]
    assert profile["display_name"] == "Anna Rossi" and profile["personal"] is True


def test_a_free_text_that_is_exactly_an_esco_label_becomes_that_concept(databank):
    saved = databank.create_profile(GENOVA_OPERATOR, anna(skills=["Saldatura TIG [expert]", "saper fare la pizza"]))
    skills = databank.get_profile(GENOVA_OPERATOR, saved.id, "en")["skills"]
    assert [(s["uri"], s["label"]) for s in skills] == [(TIG, "tungsten inert gas welding"),
                                                        (None, "saper fare la pizza")]


def test_a_municipality_of_the_area_fills_in_its_province_and_region(databank):
    data = anna(region="", province="", municipality="La Spezia")
    profile = databank.get_profile(GENOVA_OPERATOR, databank.create_profile(GENOVA_OPERATOR, data).id)
    assert (profile["region"], profile["province"], profile["country"]) == ("IT-42", "IT-SP", "IT")


def test_wrong_values_are_all_reported_with_localized_messages(databank):
    data = anna(display_name="", email="anna-at-example", years_experience="venti", region="Lombardia",
                province="Var", availability="from_date", occupations=["http://data.europa.eu/esco/skill/22222222-bbbb-4bbb-8bbb-000000000001"],
                skills=["http://data.europa.eu/esco/skill/99999999-0000-4000-8000-000000000000", "TIG [guru]"],
                supply_chains=["cheese"], origin_firm_nace="pizza", languages=["italiano"], latitude=44.1,
                shoe_size=42)
    with pytest.raises(EntryInvalid) as refused:
        databank.create_profile(GENOVA_OPERATOR, data)
    assert problems_of(refused) == {
        "display_name": ["value.required"], "email": ["value.email"], "years_experience": ["value.not_integer"],
        "region": ["value.unknown_region"], "available_from": ["value.from_date_required"],
        "occupations": ["value.esco_kind"], "skills": ["value.unknown_code", "value.unknown_esco"],
        "supply_chains": ["value.unknown_code"], "origin_firm_nace": ["value.nace"], "languages": ["value.language"],
        "longitude": ["value.coordinates"], "shoe_size": ["value.unknown_field"],
    }
    errors = refused.value.field_errors("fr")
    assert errors["email"] == ["« anna-at-example » n'est pas une adresse e-mail."]
    assert errors["occupations"] == ["« http://data.europa.eu/esco/skill/22222222-bbbb-4bbb-8bbb-000000000001 » "
                                     "est dans ESCO une compétence, pas un métier."]
    with databank.sessions() as session:
        assert session.scalars(select(Profile)).all() == []


def test_a_province_outside_the_region_given_is_refused(databank):
    with pytest.raises(EntryInvalid) as refused:
        databank.create_profile(GENOVA_OPERATOR, anna(region="IT-42", province="FR-83"))
    assert refused.value.field_errors("it") == {"province": ["Varo non è in Liguria."]}


def test_the_same_skill_twice_is_refused(databank):
    with pytest.raises(EntryInvalid) as refused:
        databank.create_profile(GENOVA_OPERATOR, anna(skills=[TIG, "TIG welding"]))
    assert problems_of(refused) == {"skills": ["value.duplicate"]}


def test_an_update_changes_only_what_it_names_and_needs_the_current_version(databank):
    saved = databank.create_profile(GENOVA_OPERATOR, anna())
    updated = databank.update_profile(GENOVA_OPERATOR, saved.id, saved.version,
                                      {"availability": "from_date", "available_from": "01/03/2027"})
    assert updated.version == saved.version + 1
    profile = databank.get_profile(GENOVA_OPERATOR, saved.id)
    assert (profile["availability"], str(profile["available_from"])) == ("from_date", "2027-03-01")
    assert [o["uri"] for o in profile["occupations"]] == [WELDER] and len(profile["skills"]) == 3
    with pytest.raises(StaleEntry) as stale:
        databank.update_profile(GENOVA_OPERATOR, saved.id, saved.version, {"years_experience": 21})
    assert "version 1" in stale.value.message("en") and "nothing was changed" in stale.value.message("en")
    assert databank.get_profile(GENOVA_OPERATOR, saved.id)["years_experience"] == 20


def test_an_update_checks_the_fields_tied_to_the_ones_it_changes(databank):
    saved = databank.create_profile(GENOVA_OPERATOR, anna())
    with pytest.raises(EntryInvalid) as refused:
        databank.update_profile(GENOVA_OPERATOR, saved.id, saved.version, {"availability": "from_date"})
    assert problems_of(refused) == {"available_from": ["value.from_date_required"]}


def test_consent_is_recorded_with_who_and_when(databank):
    saved = databank.create_profile(GENOVA_OPERATOR, anna())
    databank.update_profile(WORKER, saved.id, saved.version, {"consent_to_share": True})
    with databank.sessions() as session:
        profile = session.get(Profile, saved.id)
        assert profile.consent_to_share and profile.consent_recorded_by == "w-anna"
        assert profile.consent_recorded_at is not None


# --- who may do what: the role matrix --------------------------------------------------------------

def test_other_desks_see_a_profile_without_its_personal_part(databank):
    saved = databank.create_profile(GENOVA_OPERATOR, anna())
    for actor in (NICE_OPERATOR, MENTOR):
        seen = databank.get_profile(actor, saved.id)
        assert seen["personal"] is False
        for name in ("display_name", "email", "phone", "summary", "person_id", "municipality", "latitude"):
            assert name not in seen
        assert [o["uri"] for o in seen["occupations"]] == [WELDER] and seen["province"] == "IT-GE"


def test_with_consent_other_desks_see_the_whole_profile(databank):
    saved = databank.create_profile(GENOVA_OPERATOR, anna(consent_to_share=True))
    assert databank.get_profile(NICE_OPERATOR, saved.id)["email"] == "anna.rossi@example.org"


def test_a_worker_sees_and_edits_only_their_own_profile(databank):
    saved = databank.create_profile(GENOVA_OPERATOR, anna())
    assert databank.own_profile(WORKER)["display_name"] == "Anna Rossi"
    assert databank.own_profile(OTHER_WORKER) is None
    databank.update_profile(WORKER, saved.id, saved.version, {"phone": "+39 333 000 1111"})
    with pytest.raises(EntryNotFound):
        databank.get_profile(OTHER_WORKER, saved.id)
    with pytest.raises(NotAllowed) as refused:
        databank.update_profile(OTHER_WORKER, saved.id, saved.version + 1, {"phone": "+39 333 000 2222"})
    assert refused.value.message("en") == "You are not allowed to do this: a worker can only see and edit their own profile."
    with pytest.raises(NotAllowed) as moved:
        databank.update_profile(WORKER, saved.id, saved.version + 1, {"desk_id": "nice"})
    assert moved.value.reason_code == "not_allowed.worker_field"


@pytest.mark.parametrize("actor, may", [
    (GENOVA_OPERATOR, True), (ADMIN, True), (NICE_OPERATOR, False), (MENTOR, False), (WORKER, False),
    (DESIGNER, False),
])
def test_only_operators_of_the_desk_and_admins_create_edit_and_delete_entries(databank, actor, may):
    def attempts():  # noqa: ANN202
        profile = databank.create_profile(actor, anna(person_id=None))
        databank.update_profile(actor, profile.id, profile.version, {"years_experience": 3})
        databank.delete_profile(actor, profile.id)
        resource = databank.create_resource(actor, shed())
        databank.update_resource(actor, resource.id, resource.version, {"surface_m2": 2500})
        databank.delete_resource(actor, resource.id)

    if may:
        attempts()
        return
    with pytest.raises(NotAllowed):
        attempts()
    owned_profile = databank.create_profile(GENOVA_OPERATOR, anna(person_id=None))
    owned_resource = databank.create_resource(GENOVA_OPERATOR, shed())
    for change in (lambda: databank.update_profile(actor, owned_profile.id, 1, {"years_experience": 3}),
                   lambda: databank.delete_profile(actor, owned_profile.id),
                   lambda: databank.update_resource(actor, owned_resource.id, 1, {"surface_m2": 1}),
                   lambda: databank.delete_resource(actor, owned_resource.id)):
        with pytest.raises(NotAllowed):
            change()


def test_every_operator_sees_every_resource_but_workers_and_designers_do_not(databank):
    saved = databank.create_resource(GENOVA_OPERATOR, shed())
    for actor in (GENOVA_OPERATOR, NICE_OPERATOR, MENTOR, ADMIN):
        assert databank.get_resource(actor, saved.id)["title"].startswith("Capannone")
    for actor in (WORKER, DESIGNER):
        with pytest.raises(NotAllowed):
            databank.get_resource(actor, saved.id)


def test_a_worker_may_erase_their_own_profile(databank):
    saved = databank.create_profile(GENOVA_OPERATOR, anna())
    databank.delete_profile(WORKER, saved.id)
    with pytest.raises(EntryNotFound):
        databank.get_profile(GENOVA_OPERATOR, saved.id)


# --- resources ------------------------------------------------------------------------------------

def test_a_resource_keeps_its_category_offers_size_owner_and_chains(databank):
    saved = databank.create_resource(GENOVA_OPERATOR, shed(offers="affitto; comodato d'uso gratuito"))
    resource = databank.get_resource(NICE_OPERATOR, saved.id, "fr")
    assert (resource["category"], resource["category_label"]) == ("shed", "Hangar / entrepôt")
    assert resource["offers"] == ["rent", "free_loan"] and resource["surface_m2"] == 2400
    assert resource["owner_kind_label"] == "Administrateur judiciaire"
    assert (resource["status"], resource["published"]) == ("available", True)


def test_a_resource_cannot_be_made_reserved_by_hand(databank):
    with pytest.raises(EntryInvalid) as refused:
        databank.create_resource(GENOVA_OPERATOR, shed(status="reserved"))
    assert problems_of(refused) == {"status": ["value.status_reserved"]}


def test_photos_and_documents_are_stored_by_content_and_type_checked(databank, files):
    saved = databank.create_resource(GENOVA_OPERATOR, shed())
    photo = databank.add_resource_file(GENOVA_OPERATOR, saved.id, "photo", "../../vista.png", PNG, "Vista dal mare")
    document = databank.add_resource_file(GENOVA_OPERATOR, saved.id, "document", "perizia.pdf", PDF)
    resource = databank.get_resource(GENOVA_OPERATOR, saved.id)
    by_id = {f["id"]: f for f in resource["files"]}
    assert (by_id[photo]["filename"], by_id[photo]["public"], by_id[photo]["content_type"]) == ("vista.png", True, "image/png")
    assert (by_id[document]["public"], by_id[document]["content_type"]) == (False, "application/pdf")
    assert files.read(by_id[photo]["sha256"]) == PNG
    with pytest.raises(DatabankError) as refused:
        databank.add_resource_file(GENOVA_OPERATOR, saved.id, "photo", "vista.png", PDF)
    assert refused.value.message("en") == "'vista.png' is not an accepted photo (it is pdf; accepted: jpg, png)."
    with pytest.raises(NotAllowed):
        databank.add_resource_file(NICE_OPERATOR, saved.id, "photo", "x.png", PNG)
    databank.remove_resource_file(GENOVA_OPERATOR, saved.id, photo)
    assert [f["id"] for f in databank.get_resource(GENOVA_OPERATOR, saved.id)["files"]] == [document]


# --- reserving a resource for a case ---------------------------------------------------------------

def open_case(service, desk="genova"):  # noqa: ANN001, ANN201
    operator = GENOVA_OPERATOR if desk == "genova" else NICE_OPERATOR
    receipt = service.open_case(operator, pathway_id="mini", desk_id=desk, members=[Member("w-anna", "Anna Rossi")])
    return receipt.case_id, receipt.version


def test_reserving_a_resource_changes_its_status_and_records_an_event_on_the_case(databank, service):
    case_id, version = open_case(service)
    resource = databank.create_resource(NICE_OPERATOR, shed(desk_id="nice"))
    receipt = databank.reserve_resource(GENOVA_OPERATOR, resource.id, case_id, version, "per la cooperativa")
    assert receipt.version == version + 1 and receipt.event_type == "reference_linked"
    seen = databank.get_resource(NICE_OPERATOR, resource.id)
    assert (seen["status"], seen["reserved_case_id"]) == ("reserved", case_id)
    assert [link["case_id"] for link in seen["links"]] == [case_id]
    assert [r["id"] for r in databank.resources_of_case(GENOVA_OPERATOR, case_id)] == [resource.id]
    with databank.sessions() as session:
        event = session.scalars(select(Event).where(Event.case_id == case_id).order_by(Event.seq.desc())).first()
        assert (event.type, event.data["kind"], event.data["ref"]) == ("reference_linked", "databank.resource", str(resource.id))
        assert event.data["label"] == "Capannone ex cantiere, 2.400 m²"


def test_a_reserved_resource_cannot_be_reserved_again(databank, service):
    first, v1 = open_case(service)
    second, v2 = open_case(service)
    resource = databank.create_resource(GENOVA_OPERATOR, shed())
    databank.reserve_resource(GENOVA_OPERATOR, resource.id, first, v1)
    with pytest.raises(DatabankError) as refused:
        databank.reserve_resource(GENOVA_OPERATOR, resource.id, second, v2)
    assert refused.value.message("it") == "Questa risorsa è Riservato: non può essere riservata."
    with databank.sessions() as session:
        assert session.scalars(select(Event.type).where(Event.case_id == second)).all() == ["case_opened"]


def test_two_cases_reserving_one_resource_at_once_one_gets_it_and_the_other_case_records_nothing(databank, service):
    import threading

    cases = [open_case(service) for _i in range(4)]
    resource = databank.create_resource(GENOVA_OPERATOR, shed())
    start = threading.Barrier(len(cases))
    won: list[int] = []
    refused: list[str] = []

    def reserve(case_id: int, version: int) -> None:
        start.wait()
        try:
            databank.reserve_resource(GENOVA_OPERATOR, resource.id, case_id, version)
            won.append(case_id)
        except DatabankError as exc:
            refused.append(exc.code)

    threads = [threading.Thread(target=reserve, args=c) for c in cases]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(won) == 1 and refused == ["databank.resource_not_available"] * (len(cases) - 1)
    with databank.sessions() as session:
        assert session.get(Resource, resource.id).reserved_case_id == won[0]
        assert [link.case_id for link in session.scalars(select(ResourceLink))] == won
        linked = session.scalars(select(Event.case_id).where(Event.type == "reference_linked")).all()
        assert linked == won  # the losers' cases have no event about it


def test_a_refused_case_operation_leaves_the_resource_available(databank, service):
    case_id, version = open_case(service)
    resource = databank.create_resource(GENOVA_OPERATOR, shed())
    with pytest.raises(ConflictError):
        databank.reserve_resource(GENOVA_OPERATOR, resource.id, case_id, version + 5)
    with pytest.raises(NotAllowed):
        databank.reserve_resource(NICE_OPERATOR, resource.id, case_id, version)
    with databank.sessions() as session:
        assert session.get(Resource, resource.id).status == "available"
        assert session.scalars(select(ResourceLink)).all() == []
        assert session.scalars(select(Event.type).where(Event.case_id == case_id)).all() == ["case_opened"]


def test_taking_and_releasing_a_resource_are_recorded_on_the_case(databank, service):
    case_id, version = open_case(service)
    resource = databank.create_resource(GENOVA_OPERATOR, shed())
    version = databank.reserve_resource(GENOVA_OPERATOR, resource.id, case_id, version).version
    version = databank.mark_resource_taken(GENOVA_OPERATOR, resource.id, case_id, version).version
    assert databank.get_resource(GENOVA_OPERATOR, resource.id)["status"] == "taken"
    receipt = databank.release_resource(GENOVA_OPERATOR, resource.id, case_id, version, "il piano è cambiato")
    assert receipt.event_type == "reference_unlinked"
    seen = databank.get_resource(GENOVA_OPERATOR, resource.id)
    assert (seen["status"], seen["reserved_case_id"]) == ("available", None)
    assert seen["links"][0]["taken_at"] is not None and seen["links"][0]["released_at"] is not None
    with databank.sessions() as session:
        kinds = session.execute(select(Event.type, Event.data).where(Event.case_id == case_id).order_by(Event.seq)).all()
        assert [(t, d.get("kind")) for t, d in kinds] == [
            ("case_opened", None), ("reference_linked", "databank.resource"),
            ("reference_linked", "databank.resource.taken"), ("reference_unlinked", "databank.resource")]


def test_only_the_case_it_is_reserved_for_can_release_it(databank, service):
    first, v1 = open_case(service)
    second, v2 = open_case(service)
    resource = databank.create_resource(GENOVA_OPERATOR, shed())
    databank.reserve_resource(GENOVA_OPERATOR, resource.id, first, v1)
    with pytest.raises(DatabankError) as refused:
        databank.release_resource(GENOVA_OPERATOR, resource.id, second, v2)
    assert refused.value.code == "databank.not_reserved_for_case"
    with pytest.raises(EntryInvalid):
        databank.update_resource(GENOVA_OPERATOR, resource.id, 2, {"status": "available"})
    with pytest.raises(EntryInvalid):
        databank.delete_resource(GENOVA_OPERATOR, resource.id)


# --- contact requests -------------------------------------------------------------------------------

def test_a_contact_request_goes_to_the_desk_of_the_resource_or_of_the_region(databank):
    resource = databank.create_resource(NICE_OPERATOR, shed(desk_id="nice"))
    about = databank.submit_contact_request({"name": "Investor", "email": "invest@example.com",
                                             "message": "Interested.", "resource_id": resource.id})
    regional = databank.submit_contact_request({"name": "Investor", "email": "invest@example.com",
                                                "message": "Skills?", "region": "Liguria", "language": "it"})
    assert [r["id"] for r in databank.contact_requests(NICE_OPERATOR)] == [about]
    assert [r["id"] for r in databank.contact_requests(GENOVA_OPERATOR)] == [regional]
    with pytest.raises(EntryInvalid) as refused:
        databank.submit_contact_request({"name": "", "email": "nope", "message": ""})
    assert problems_of(refused) == {"name": ["value.required"], "email": ["value.email"], "message": ["value.required"]}
    with pytest.raises(NotAllowed):
        databank.contact_requests(WORKER)


def test_numbers_typed_in_a_form_are_read_in_the_typists_language(databank):
    italian = databank.create_resource(GENOVA_OPERATOR, shed(surface_m2="1.500", latitude="44,1025"), locale="it")
    french = databank.create_resource(GENOVA_OPERATOR, shed(surface_m2="1 234,50"), locale="fr")
    assert databank.get_resource(GENOVA_OPERATOR, italian.id)["surface_m2"] == 1500
    assert databank.get_resource(GENOVA_OPERATOR, italian.id)["latitude"] == 44.1025
    assert databank.get_resource(GENOVA_OPERATOR, french.id)["surface_m2"] == 1234.5
    with pytest.raises(EntryInvalid) as refused:
        databank.update_resource(GENOVA_OPERATOR, italian.id, italian.version, {"surface_m2": "1.5"}, locale="it")
    [problem] = refused.value.problems
    assert problem.code == "value.number_ambiguous" and "1,5" in problem.message("it")
    assert databank.get_resource(GENOVA_OPERATOR, italian.id)["surface_m2"] == 1500  # nothing changed


def test_an_operator_links_a_profile_only_to_a_case_or_worker_of_a_desk_they_serve(databank, service):
    nice_case, _v = open_case(service, desk="nice")  # w-anna is followed at Nice only
    refused_case = anna(person_id=None, case_id=nice_case)
    with pytest.raises(EntryInvalid) as refused:
        databank.create_profile(GENOVA_OPERATOR, refused_case)
    assert [(p.field, p.code) for p in refused.value.problems] == [("case_id", "value.unknown_case")]
    with pytest.raises(EntryInvalid) as refused:
        databank.create_profile(GENOVA_OPERATOR, anna(person_id="w-anna"))
    assert [(p.field, p.code) for p in refused.value.problems] == [("person_id", "value.unknown_worker")]
    saved = databank.create_profile(GENOVA_OPERATOR, anna(person_id=None))
    with pytest.raises(EntryInvalid):
        databank.update_profile(GENOVA_OPERATOR, saved.id, saved.version, {"case_id": nice_case})
    # The desk that follows them links both; so does an administrator.
    assert databank.create_profile(NICE_OPERATOR, anna(desk_id="nice", case_id=nice_case)).id
    assert databank.create_profile(ADMIN, anna(case_id=nice_case)).id


def test_a_deleted_profile_takes_its_own_free_text_keys_with_it_but_not_the_shared_ones(databank, sessions):
    own = databank.create_profile(GENOVA_OPERATOR, anna(skills=["lettura del disegno", "ricami di nonna anna"]))
    databank.create_profile(GENOVA_OPERATOR, anna(person_id="w-bruno", display_name="Bruno Verdi",
                                                  email="bruno@example.org", skills=["lettura del disegno"]))

    def keys() -> tuple[set[str], set[str]]:
        with sessions() as session:
            return (set(session.scalars(select(CompetenceCode.key))),
                    set(session.scalars(select(FacetCount.value).where(FacetCount.facet == "skill"))))

    assert {"text:ricami di nonna anna", "text:lettura del disegno"} <= keys()[0] & keys()[1]
    databank.delete_profile(WORKER, own.id)
    codes, counted = keys()
    assert "text:ricami di nonna anna" not in codes | counted  # her own words went with her profile
    assert "text:lettura del disegno" in codes and "text:lettura del disegno" in counted  # Bruno still has it
    assert WELDER in codes  # ESCO keys keep their number
