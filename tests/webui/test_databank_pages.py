"""The databank pages: every route for every role (own desk, another desk, no databank role), the forms
with bad input, photos and documents, search with facets, export, import (refused files change nothing;
a good file is imported only once confirmed), and matching from a case with a reservation recorded on
the case."""
from __future__ import annotations

import csv
import hashlib
import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from databank import Databank
from databank.esco import import_esco
from databank.models import Profile, Resource, ResourceFile
from engine import policy
from engine.models import Case, Event
from engine.scenarios import sample_file
from tests.databank.conftest import DRAWINGS, ESCO_FIXTURE, TIG, WELDER, WELDING, anna, shed
from tests.webui.conftest import PEOPLE, Browser, csrf_from, open_case
from webui.models import PendingImportFile, User

ROLES = ("anonymous", "admin", "operator", "other_operator", "mentor", "designer", "worker")
LOGIN = 302


@pytest.fixture
def bank(app, sessions):  # noqa: ANN001, ANN201
    import_esco(sessions, ESCO_FIXTURE)
    opera = app.extensions["opera"]
    return Databank(opera.sessions, opera.files, opera.cases)


@pytest.fixture
def world(app, people, bank, service):  # noqa: ANN001, ANN201
    """Genova: a profile (no consent), a shed and a CNC machine of a closing shipyard, a WBO case;
    Nice: a profile without consent and a hangar."""
    genova, nice = PEOPLE["operator"].actor, PEOPLE["other_operator"].actor
    ids = {
        "anna": bank.create_profile(genova, anna(person_id="w.anna")).id,
        "marc": bank.create_profile(nice, anna(
            desk_id="nice", person_id=None, display_name="Marc Dupont", email="marc@example.fr", phone="",
            summary="Technicien éolien.", region="FR-PAC", province="FR-06", municipality="Nice",
            occupations=[], skills=[{"uri": WELDING, "level": 3}], supply_chains=["blue_green_energy"])).id,
        "shed": bank.create_resource(genova, shed()).id,
        "cnc": bank.create_resource(genova, shed(
            category="machine", title="Centro di lavoro CNC a 5 assi", description="Fresatrice CNC.",
            surface_m2=None, capacity="5 assi, 3000 x 1500 mm", province="IT-GE", municipality="Genova",
            latitude=44.41, longitude=8.93, offers=["sale"])).id,
        "hangar": bank.create_resource(nice, shed(
            desk_id="nice", title="Hangar portuaire", description="Hangar près du port.", region="FR-PAC",
            province="FR-83", municipality="La Seyne-sur-Mer", latitude=43.1, longitude=5.88, surface_m2=1200,
            offers=["free_loan"], owner_kind="public_body", owner_name="Métropole", contact_name="Claire Martin",
            contact_email="claire.martin@example.fr", contact_phone="+33 4 94 00 00 00")).id,
    }
    ids["file"] = bank.add_resource_file(genova, ids["shed"], "photo", "shed.png", sample_file("shed.png", 800))
    ids["case"], ids["case_version"] = open_case(service, title="WBO Cantiere")
    return ids


def browser_for(app, role: str) -> Browser:  # noqa: ANN001
    b = Browser(app.test_client())
    if role != "anonymous":
        assert b.login(PEOPLE[role]).status_code == 302
    return b


def counts(sessions) -> tuple:  # noqa: ANN001
    with sessions() as session:
        return tuple(session.scalar(select(func.count()).select_from(m)) for m in (Profile, Resource, ResourceFile, Event)) + (
            tuple(session.execute(select(Resource.id, Resource.status, Resource.version).order_by(Resource.id))),
            tuple(session.execute(select(Profile.id, Profile.version).order_by(Profile.id))))


# --- the role matrix ---------------------------------------------------------------------------------

# rule, method, url, area. Areas: "read" (whoever enters the databank), "edit" (who may change the object's
# desk's entries; 403 otherwise), "case" (the managers of the case; 404 otherwise), "own" (a worker's own
# profile). What each role gets is asked of the access policy (`expected`), and the pages must agree.
ROUTES = [
    ("/databank/", "GET", "/databank/", "read"),
    ("/databank/profiles", "GET", "/databank/profiles?q=welder", "read"),
    ("/databank/resources", "GET", "/databank/resources?category=shed", "read"),
    ("/databank/profiles/export.<any(csv, xlsx):fmt>", "GET", "/databank/profiles/export.csv", "read"),
    ("/databank/resources/export.<any(csv, xlsx):fmt>", "GET", "/databank/resources/export.xlsx", "read"),
    ("/databank/profiles/<int:profile_id>", "GET", "/databank/profiles/{anna}", "read"),
    ("/databank/resources/<int:resource_id>", "GET", "/databank/resources/{shed}", "read"),
    ("/databank/resources/<int:resource_id>/files/<int:file_id>", "GET", "/databank/resources/{shed}/files/{file}",
     "read"),
    ("/databank/esco", "GET", "/databank/esco?kind=skill&q=weld", "read"),
    ("/databank/profiles/new", "GET", "/databank/profiles/new", "read"),
    ("/databank/profiles/new", "POST", "/databank/profiles/new", "read"),
    ("/databank/resources/new", "GET", "/databank/resources/new", "read"),
    ("/databank/resources/new", "POST", "/databank/resources/new", "read"),
    ("/databank/import", "GET", "/databank/import", "read"),
    ("/databank/import", "POST", "/databank/import", "read"),
    ("/databank/import/<token>", "POST", "/databank/import/" + "x" * 43, "read"),
    ("/databank/profiles/<int:profile_id>/edit", "GET", "/databank/profiles/{anna}/edit", "edit"),
    ("/databank/profiles/<int:profile_id>/edit", "POST", "/databank/profiles/{anna}/edit", "edit"),
    ("/databank/profiles/<int:profile_id>/delete", "POST", "/databank/profiles/{anna}/delete", "edit"),
    ("/databank/resources/<int:resource_id>/edit", "GET", "/databank/resources/{shed}/edit", "edit"),
    ("/databank/resources/<int:resource_id>/edit", "POST", "/databank/resources/{shed}/edit", "edit"),
    ("/databank/resources/<int:resource_id>/delete", "POST", "/databank/resources/{shed}/delete", "edit"),
    ("/databank/resources/<int:resource_id>/status", "POST", "/databank/resources/{shed}/status", "edit"),
    ("/databank/resources/<int:resource_id>/files", "POST", "/databank/resources/{shed}/files", "edit"),
    ("/databank/resources/<int:resource_id>/translations", "POST", "/databank/resources/{shed}/translations",
     "edit"),
    ("/databank/resources/<int:resource_id>/files/<int:file_id>/remove", "POST",
     "/databank/resources/{shed}/files/{file}/remove", "edit"),
    ("/databank/cases/<int:case_id>/matching", "GET", "/databank/cases/{case}/matching", "case"),
    ("/databank/cases/<int:case_id>/reserve", "POST", "/databank/cases/{case}/reserve", "case"),
    ("/databank/cases/<int:case_id>/release", "POST", "/databank/cases/{case}/release", "case"),
    ("/databank/cases/<int:case_id>/taken", "POST", "/databank/cases/{case}/taken", "case"),
    ("/databank/me", "GET", "/databank/me", "own"),
    ("/databank/me", "POST", "/databank/me", "own"),
]


def expected(area: str, role: str, world: dict, sessions) -> str | int:  # noqa: ANN001
    """What the access policy says this role gets on a route of `area` (the entries are Genova's): "ok" (any
    answer that is not a refusal), 302 to the login page, 403 or 404."""
    if role == "anonymous":
        return LOGIN
    actor = PEOPLE[role].actor
    if not policy.may_enter(actor, "own_profile" if area == "own" else "databank"):
        return 403
    if area == "edit":
        return "ok" if policy.may_edit_entry(actor, "genova") else 403
    if area == "case":
        with sessions() as session:
            return "ok" if policy.is_manager(actor, session.get(Case, world["case"])) else 404
    return "ok"


def test_the_matrix_covers_every_databank_route(app):
    declared = {(rule.rule, method) for rule in app.url_map.iter_rules() if rule.endpoint.startswith("databank.")
                for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert declared == {(rule, method) for rule, method, _url, _area in ROUTES}


def _post_data(url: str, world: dict) -> dict:
    if url.endswith(("/reserve", "/release", "/taken")):
        return {"resource_id": world["cnc"], "version": world["case_version"]}
    if url.endswith("/status"):
        return {"status": "taken", "version": 1}
    if url.endswith("/translations"):
        return {"language": "en", "title": "Intruder", "description": ""}
    if url.endswith("/me"):
        return {"version": 1, "phone": "+39 010 555 0303", "mobility": "region", "availability": "available"}
    if url.endswith("/files"):
        return {"kind": "document", "file": (io.BytesIO(sample_file("x.pdf", 500)), "x.pdf")}
    if url.endswith("/resources/{shed}/edit".format(**world)):
        return {"title": "Intruso", "category": "shed", "desk_id": "genova", "version": 1}
    if url.endswith("/profiles/{anna}/edit".format(**world)):
        return {"display_name": "Intruso", "desk_id": "genova", "version": 1}
    return {}


@pytest.mark.parametrize("role", ROLES)
def test_every_databank_route_gives_each_role_what_it_may_have(app, world, sessions, role):
    browser = browser_for(app, role)
    checked = 0
    for _rule, method, template, area in ROUTES:
        expected_status = expected(area, role, world, sessions)
        if role in ("admin", "operator") and method == "POST":
            continue  # the rest of this file tests what these do
        url = template.format(**world)
        before = counts(sessions)
        if method == "GET":
            response = browser.get(url)
        else:
            response = browser.post(url, data=_post_data(template.format(**world), world))
        if expected_status == "ok":
            assert response.status_code < 400 or response.status_code == 422, (url, response.status_code)
        else:
            assert response.status_code == expected_status, (method, url, role, response.status_code)
            if expected_status == LOGIN:
                assert "/login" in response.headers["Location"]
            assert counts(sessions) == before, (method, url)
            assert "Capannone ex cantiere" not in response.text and "anna.rossi" not in response.text
        checked += 1
    assert checked >= 15


def test_an_operator_of_another_desk_reads_resources_and_the_public_part_of_profiles(app, world, bank):
    nice = browser_for(app, "other_operator")
    page = nice.get(f"/databank/profiles/{world['anna']}")
    assert page.status_code == 200
    assert f"Profile #{world['anna']}" in page.text and "welder" in page.text
    for personal in ("Anna Rossi", "anna.rossi@example.org", "555 0101", "Sestri Ponente"):
        assert personal not in page.text
    assert "Edit the profile" not in page.text
    listing = nice.get("/databank/profiles")
    assert "Anna Rossi" not in listing.text and f"Profile #{world['anna']}" in listing.text
    # Searching the personal words of another desk's profile finds nothing.
    assert "0 profiles" in nice.get("/databank/profiles?q=Sestri").text
    # Once the worker consented, the whole profile is shared.
    bank.update_profile(PEOPLE["operator"].actor, world["anna"], 1, {"consent_to_share": True})
    assert "anna.rossi@example.org" in nice.get(f"/databank/profiles/{world['anna']}").text
    resource = nice.get(f"/databank/resources/{world['shed']}")
    assert resource.status_code == 200 and "Capannone ex cantiere" in resource.text
    assert "Edit the resource" not in resource.text and 'name="status"' not in resource.text
    assert "another help desk" in resource.text
    # Its own desk's entries it edits.
    assert "Edit the resource" in nice.get(f"/databank/resources/{world['hangar']}").text


# --- profile forms ------------------------------------------------------------------------------------

def _profile_form(browser: Browser, url: str) -> dict:
    page = browser.get(url)
    assert page.status_code == 200
    return {"csrf_token": csrf_from(page.text)}


def test_a_profile_with_bad_values_is_refused_field_by_field_and_keeps_what_was_typed(app, world, sessions):
    op = browser_for(app, "operator")
    before = counts(sessions)
    data = _profile_form(op, "/databank/profiles/new") | {
        "desk_id": "genova", "display_name": "Giorgio Bianchi", "email": "not an address", "years_experience": "many",
        "region": "IT-42", "province": "FR-06", "mobility": "region", "availability": "from_date",
        "occupations-0-text": "welder", "occupations-0-level": "9", "skills-0-text": "carpenteria navale",
        "languages": "italiano!!", "origin_firm_nace": "zz"}
    page = op.client.post("/databank/profiles/new", data=data)
    assert page.status_code == 422
    assert counts(sessions) == before
    errors = dict(re.findall(r'<small id="([\w-]+)-error" class="field-error">([^<]+)</small>', page.text))
    assert "is not an e-mail address" in errors["email"]
    assert "is not a whole number" in errors["years_experience"]
    assert "is not in" in errors["province"]
    assert "Say from which date" in errors["available_from"]
    assert "languages" in errors and "origin_firm_nace" in errors and "occupations" in errors
    assert 'value="Giorgio Bianchi"' in page.text and 'value="carpenteria navale"' in page.text
    # The same refusal in the user's language.
    with sessions.begin() as session:
        session.get(User, PEOPLE["operator"].id).language = "it"
    page = op.client.post("/databank/profiles/new", data=data)
    assert page.status_code == 422 and "non è un indirizzo e-mail" in page.text
    assert "Salva il profilo" in page.text and "Professioni" in page.text


def test_a_profile_is_registered_with_occupations_and_skills_from_the_taxonomy_or_free(app, world, sessions, bank):
    op = browser_for(app, "operator")
    data = _profile_form(op, "/databank/profiles/new") | {
        "desk_id": "genova", "display_name": "Giorgio Bianchi", "email": "giorgio@example.org", "years_experience": "14",
        "region": "IT-42", "province": "IT-GE", "municipality": "Genova", "mobility": "region",
        "availability": "available", "supply_chains": ["nautical_shipbuilding"], "origin_firm": "Cantieri Navali Liguri",
        "origin_firm_nace": "C30.11", "qualifications": "Patentino saldatore\nDiploma perito",
        "languages": "it:native; en:B1",
        # picked from the list: the concept
        "occupations-0-text": "welder", "occupations-0-uri": WELDER, "occupations-0-level": "4",
        # the picker's concept, but the words were changed afterwards: the words win
        "skills-0-text": "saldatura subacquea", "skills-0-uri": TIG, "skills-0-level": "2",
        # typed without the picker: an exact label is recognised
        "skills-1-text": "read engineering drawings", "skills-1-years": "6",
        "skills-2-text": "", "skills-2-level": ""}
    page = op.client.post("/databank/profiles/new", data=data)
    assert page.status_code == 302, page.text
    profile_id = int(page.headers["Location"].rsplit("/", 1)[-1])
    record = bank.get_profile(PEOPLE["operator"].actor, profile_id)
    assert [(c["uri"], c["level"]) for c in record["occupations"]] == [(WELDER, 4)]
    assert [(c["uri"], c["label"], c["level"], c["years"]) for c in record["skills"]] == [
        (None, "saldatura subacquea", 2, None), (DRAWINGS, "read engineering drawings", None, 6)]
    assert record["languages"] == [{"code": "it", "level": "native"}, {"code": "en", "level": "B1"}]
    shown = op.get(page.headers["Location"])
    assert "Giorgio Bianchi" in shown.text and "welder" in shown.text and "Expert" in shown.text


def test_editing_a_profile_saves_what_changed_and_refuses_a_stale_version(app, world, bank):
    op = browser_for(app, "operator")
    url = f"/databank/profiles/{world['anna']}/edit"
    form = op.get(url)
    assert form.status_code == 200
    assert 'value="Anna Rossi"' in form.text and f'value="{WELDER}"' in form.text
    fields = _form_fields(form.text)
    fields["phone"] = "+39 010 555 9999"
    response = op.client.post(url, data=fields)
    assert response.status_code == 302, response.text
    record = bank.get_profile(PEOPLE["operator"].actor, world["anna"])
    assert record["phone"] == "+39 010 555 9999" and record["version"] == 2
    # Everything else as it was, competences included.
    assert [c["uri"] for c in record["skills"][:2]] == [WELDING, TIG] and record["skills"][2]["label"] == "lettura del disegno"
    # The same page sent again (version 1): refused, nothing saved, what was typed kept.
    fields["phone"] = "+39 010 000 0000"
    stale = op.client.post(url, data=fields)
    assert stale.status_code == 409 and "Someone else changed this profile" in stale.text
    assert 'value="+39 010 000 0000"' in stale.text
    assert bank.get_profile(PEOPLE["operator"].actor, world["anna"])["phone"] == "+39 010 555 9999"


def _form_fields(html: str) -> dict:
    """The values a browser would send for the main form of the page."""
    form = html[html.index('<form method="post" class="databank-form"'):]
    form = form[:form.index("</form>")]
    data: dict = {}
    for tag in re.findall(r"<input[^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag)
        if not name:
            continue
        kind = (re.search(r'type="([^"]+)"', tag) or [None, "text"])[1]
        value = re.search(r'value="([^"]*)"', tag)
        value = value[1].replace("&#34;", '"').replace("&amp;", "&").replace("&#39;", "'") if value else ""
        if kind in ("checkbox", "radio"):
            if "checked" in tag:
                data.setdefault(name[1], []).append(value if value else "y")
            continue
        data[name[1]] = value
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        chosen = re.search(r'<option selected value="([^"]*)"|<option value="([^"]*)" selected', body)
        data[name] = (chosen[1] or chosen[2]) if chosen else (re.search(r'<option value="([^"]*)"', body) or [None, ""])[1]
    for name, body in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', form, re.S):
        data[name] = body.lstrip("\r\n").replace("&#39;", "'").replace("&amp;", "&")
    return data


# --- resources ---------------------------------------------------------------------------------------

def test_a_resource_is_registered_then_its_status_changed_and_bad_values_refused(app, world, sessions, bank):
    op = browser_for(app, "operator")
    token = _profile_form(op, "/databank/resources/new")
    before = counts(sessions)
    bad = op.client.post("/databank/resources/new", data=token | {
        "desk_id": "genova", "category": "", "title": "", "surface_m2": "huge", "latitude": "44.1",
        "contact_email": "nobody", "offers": ["rent"]})
    assert bad.status_code == 422 and counts(sessions) == before
    errors = dict(re.findall(r'<small id="([\w-]+)-error" class="field-error">([^<]+)</small>', bad.text))
    assert set(errors) >= {"category", "title", "surface_m2", "longitude", "contact_email"}
    good = op.client.post("/databank/resources/new", data=token | {
        "desk_id": "genova", "category": "equipment", "title": "Carroponte 20 t", "region": "IT-42",
        "municipality": "Genova", "condition": "fair", "offers": ["sale", "rent"], "owner_kind": "firm",
        "supply_chains": ["nautical_shipbuilding"], "published": "y", "surface_m2": ""})
    assert good.status_code == 302, good.text
    resource_id = int(good.headers["Location"].rsplit("/", 1)[-1])
    record = bank.get_resource(PEOPLE["operator"].actor, resource_id)
    assert (record["category"], record["province"], record["offers"]) == ("equipment", "IT-GE", ["sale", "rent"])
    page = op.get(good.headers["Location"])
    assert "Carroponte 20 t" in page.text and "Fair" in page.text
    taken = op.post(f"/databank/resources/{resource_id}/status", data={"status": "taken", "version": record["version"]})
    assert taken.status_code == 302
    assert bank.get_resource(PEOPLE["operator"].actor, resource_id)["status"] == "taken"
    stale = op.post(f"/databank/resources/{resource_id}/status", data={"status": "available", "version": record["version"]})
    assert stale.status_code == 409
    refused = op.post(f"/databank/resources/{resource_id}/status", data={"status": "reserved", "version": 2})
    assert refused.status_code == 422
    assert bank.get_resource(PEOPLE["operator"].actor, resource_id)["status"] == "taken"


def test_photos_and_documents_are_checked_and_served_only_to_the_databank_roles(app, world, sessions):
    op = browser_for(app, "operator")
    url = f"/databank/resources/{world['shed']}"
    before = counts(sessions)
    wrong = op.post(url + "/files", data={"kind": "photo", "file": (io.BytesIO(sample_file("x.exe", 300)), "x.png")},
                    content_type="multipart/form-data")
    assert wrong.status_code == 422 and "Capannone" in wrong.text and counts(sessions) == before
    assert 'class="notice notice-error"' in wrong.text
    none = op.post(url + "/files", data={"kind": "document"}, content_type="multipart/form-data")
    assert none.status_code == 422 and "Choose a file" in none.text
    added = op.post(url + "/files", data={"kind": "document", "caption": "Planimetria",
                                          "file": (io.BytesIO(sample_file("plan.pdf", 2000)), "plan.pdf")},
                    content_type="multipart/form-data")
    assert added.status_code == 302
    page = op.get(url)
    assert "plan.pdf" in page.text and "Planimetria" in page.text
    with sessions() as session:
        document_id = session.scalar(select(ResourceFile.id).where(ResourceFile.filename == "plan.pdf"))
    pdf = op.get(f"{url}/files/{document_id}")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF") and "attachment" in pdf.headers["Content-Disposition"]
    photo = browser_for(app, "other_operator").get(f"{url}/files/{world['file']}")
    assert photo.status_code == 200 and photo.mimetype == "image/png"
    assert "sandbox" in photo.headers["Content-Security-Policy"]
    assert op.get(f"/databank/resources/{world['cnc']}/files/{world['file']}").status_code == 404
    assert browser_for(app, "worker").get(f"{url}/files/{world['file']}").status_code == 403
    removed = op.post(f"{url}/files/{document_id}/remove")
    assert removed.status_code == 302 and "plan.pdf" not in op.get(url).text


# --- search, facets, export --------------------------------------------------------------------------

def test_the_lists_search_with_facets_that_narrow_the_query(app, world):
    op = browser_for(app, "operator")
    page = op.get("/databank/resources")
    assert "3 resources" in page.text
    facet = re.search(r'<a href="([^"]+)"[^>]*data-facet="category" data-code="machine"', page.text)
    assert facet, "no category facet"
    narrowed = op.get(facet[1].replace("&amp;", "&"))
    assert "1 resource" in narrowed.text and "Centro di lavoro CNC" in narrowed.text
    assert "Capannone ex cantiere" not in narrowed.text
    # The chosen value is marked and its link takes it away again.
    chosen = re.search(r'<a href="([^"]+)" aria-current="true" class="chosen" data-facet="category"', narrowed.text)
    assert chosen and "3 resources" in op.get(chosen[1].replace("&amp;", "&")).text
    assert "Hangar portuaire" in op.get("/databank/resources?q=hangar").text
    assert "1 resource" in op.get("/databank/resources?q=capannone&region=IT-42").text
    assert "is not a number" in op.get("/databank/resources?min_surface=big").text
    assert "2 resources" in op.get("/databank/resources?min_surface=1000").text
    profiles = op.get("/databank/profiles?skill=" + WELDING)
    assert "2 profiles" in profiles.text and "Anna Rossi" in profiles.text
    assert 'data-facet="occupation" data-code="' + WELDER in op.get("/databank/profiles").text
    sorted_page = op.get("/databank/resources?sort=surface")
    assert sorted_page.text.index("Capannone ex cantiere") < sorted_page.text.index("Hangar portuaire")


def test_export_writes_the_filtered_list_as_the_user_may_see_it(app, world):
    op = browser_for(app, "operator")
    body = op.get("/databank/resources/export.csv?category=shed").data.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert sorted(r["title"] for r in rows) == ["Capannone ex cantiere, 2.400 m²", "Hangar portuaire"]
    xlsx = op.get("/databank/resources/export.xlsx?q=CNC")
    assert xlsx.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert len(values) == 2 and "Centro di lavoro CNC a 5 assi" in values[1]
    nice = browser_for(app, "other_operator")
    profiles = list(csv.DictReader(io.StringIO(nice.get("/databank/profiles/export.csv").data.decode("utf-8-sig"))))
    by_id = {int(r["id"]): r for r in profiles}
    assert by_id[world["anna"]]["email"] == "" and by_id[world["anna"]]["display_name"] == ""
    assert by_id[world["marc"]]["email"] == "marc@example.fr"


# --- import ------------------------------------------------------------------------------------------

def _upload(browser: Browser, kind: str, name: str, content: bytes, desk: str = "genova"):  # noqa: ANN202
    page = browser.get("/databank/import")
    return browser.client.post("/databank/import", data={
        "csrf_token": csrf_from(page.text), "kind": kind, "desk_id": desk,
        "file": (io.BytesIO(content), name)}, content_type="multipart/form-data")


def test_bad_import_files_are_refused_with_a_report_and_change_nothing(app, world, sessions):
    op = browser_for(app, "operator")
    before = counts(sessions)
    header = "title,category,municipality,surface_m2\n"
    bad_rows = _upload(op, "resources", "r.csv", (header + "Gru,equipment,Genova,\n,shed,Savona,big\n"
                                                  "Tornio,machine,Genova,=1+1\n").encode())
    assert bad_rows.status_code == 422
    assert re.search(r"Row 3, column title: A value is required", bad_rows.text)
    assert re.search(r"Row 3, column surface_m2: \S*big\S* is not a number", bad_rows.text)
    assert re.search(r"Row 4, column surface_m2: ", bad_rows.text)  # a formula
    assert "confirm-import" not in bad_rows.text and "Nothing was imported" in bad_rows.text
    columns = _upload(op, "resources", "r.csv", b"name,kind\nGru,equipment\n")
    assert columns.status_code == 422 and "confirm-import" not in columns.text
    latin1 = _upload(op, "resources", "r.csv", (header + "Capannone Società,shed,Genova,100\n").encode("latin-1"))
    assert latin1.status_code == 422 and "UTF-8" in latin1.text
    not_a_sheet = _upload(op, "resources", "r.xlsx", sample_file("x.pdf", 400))
    assert not_a_sheet.status_code == 422
    foreign_desk = _upload(op, "resources", "r.csv", (header + "Gru,equipment,Genova,\n").encode(), desk="nice")
    assert foreign_desk.status_code == 403
    assert counts(sessions) == before


def test_an_import_is_written_only_once_confirmed_all_together(app, world, sessions, bank):
    op = browser_for(app, "operator")
    exported = op.get("/databank/resources/export.csv?desk=genova").data.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(exported)))
    # Round trip: the exported file, one entry changed and two new ones added.
    for row in rows:
        if row["title"].startswith("Centro di lavoro"):
            row["capacity"] = "5 assi, 4000 x 2000 mm"
    rows.append({**rows[0], "id": "", "title": "Pressa piegatrice 200 t", "category": "Macchinario"})
    rows.append({**rows[0], "id": "", "title": "Area di stoccaggio", "category": "industrial_area"})
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    before = counts(sessions)
    checked = _upload(op, "resources", "risorse.csv", out.getvalue().encode("utf-8"))
    assert checked.status_code == 200, checked.text
    assert "confirm-import" in checked.text
    assert "Checked: 2 would be created and 2 updated. Nothing was written." in checked.text
    assert counts(sessions) == before  # checked, not written
    waiting = hashlib.sha256(out.getvalue().encode("utf-8")).hexdigest()
    assert waiting in list(app.extensions["opera"].files.stored())  # kept where every app server finds it
    action = re.search(r'action="(/databank/import/[\w-]+)"', checked.text)[1]
    # Another operator cannot confirm someone else's upload.
    other = browser_for(app, "admin")
    assert other.post(action, data={"kind": "resources", "desk_id": "genova"}).status_code == 302
    assert counts(sessions) == before
    done = op.post(action, data={"kind": "resources", "desk_id": "genova"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/databank/resources")
    with sessions() as session:
        titles = set(session.scalars(select(Resource.title)))
        capacity = session.scalar(select(Resource.capacity).where(Resource.id == world["cnc"]))
    assert {"Pressa piegatrice 200 t", "Area di stoccaggio"} <= titles
    assert capacity == "5 assi, 4000 x 2000 mm"
    assert counts(sessions)[1] == before[1] + 2
    # What waited for the confirmation is gone: its row, and its bytes from the file store.
    files = app.extensions["opera"].files
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(PendingImportFile)) == 0
    assert waiting not in list(files.stored())
    assert op.post(action, data={"kind": "resources", "desk_id": "genova"}).status_code == 302  # not twice
    assert counts(sessions)[1] == before[1] + 2
    again = op.post(action, data={"kind": "resources", "desk_id": "genova"})
    assert again.status_code == 302 and counts(sessions)[1] == before[1] + 2
    assert "no longer waiting" in op.get(again.headers["Location"]).text


# --- pickers -----------------------------------------------------------------------------------------

def test_the_pickers_suggest_concepts_of_the_taxonomy(app, world):
    op = browser_for(app, "operator")
    found = op.get("/databank/esco?kind=skill&q=weld").get_json()["items"]
    assert WELDING in [i["uri"] for i in found] and all("/skill/" in i["uri"] for i in found)
    occupations = op.get("/databank/esco?kind=occupation&q=weld").get_json()["items"]
    assert [i["uri"] for i in occupations][:1] == [WELDER] and occupations[0]["label"] == "welder"
    assert op.get("/databank/esco?q=weld").status_code == 400
    assert op.get("/databank/esco?kind=skill&q=").get_json() == {"items": []}


# --- matching from a case ----------------------------------------------------------------------------

def test_matching_from_a_case_suggests_with_reasons_and_reserves_on_the_case(app, world, sessions, bank):
    op = browser_for(app, "operator")
    case_page = op.get(f"/cases/{world['case']}")
    assert f'href="/databank/cases/{world["case"]}/matching"' in case_page.text
    url = (f"/databank/cases/{world['case']}/matching?need=1&categories=shed&categories=machine&region=IT-42"
           f"&supply_chains=nautical_shipbuilding&skills=use+welding+equipment&words=CNC")
    page = op.get(url)
    assert page.status_code == 200
    suggested = page.text[page.text.index('id="suggested-resources"'):page.text.index('id="suggested-profiles"')]
    assert "Capannone ex cantiere" in suggested and "Centro di lavoro CNC" in suggested
    # Far away, in another country: ranked below both.
    assert suggested.index("Hangar portuaire") > max(suggested.index("Capannone ex cantiere"),
                                                     suggested.index("Centro di lavoro CNC"))
    assert "Shed / warehouse, as needed (+" in suggested and "far from Liguria (+0)" in suggested
    profiles = page.text[page.text.index('id="suggested-profiles"'):]
    assert "Anna Rossi" in profiles and "use welding equipment" in profiles
    # The default need comes from the case: its supply chain and its desk's region are ticked.
    default = op.get(f"/databank/cases/{world['case']}/matching")
    assert re.search(r'value="nautical_shipbuilding"[^>]*checked|checked[^>]*value="nautical_shipbuilding"', default.text)

    query = url.split("?", 1)[1]
    events_before = counts(sessions)[3]
    reserved = op.post(f"/databank/cases/{world['case']}/reserve",
                       data={"resource_id": world["shed"], "version": world["case_version"], "query": query})
    assert reserved.status_code == 302 and "categories=shed" in reserved.headers["Location"]
    assert bank.get_resource(PEOPLE["operator"].actor, world["shed"])["status"] == "reserved"
    with sessions() as session:
        event = session.scalars(select(Event).where(Event.case_id == world["case"]).order_by(Event.id.desc())).first()
        version = session.get(Case, world["case"]).version
    assert event.type == "reference_linked" and counts(sessions)[3] == events_before + 1
    after = op.get(reserved.headers["Location"])
    reserved_part = after.text[after.text.index('id="reserved"'):after.text.index('id="suggested-resources"')]
    assert "Capannone ex cantiere" in reserved_part and "Reserved" in reserved_part
    assert "The resource is reserved for this case." in after.text
    timeline = op.get(f"/cases/{world['case']}").text
    assert "linked Capannone ex cantiere, 2.400 m² to the case" in timeline
    # A stale page (the case's old version) changes nothing.
    stale = op.post(f"/databank/cases/{world['case']}/reserve",
                    data={"resource_id": world["cnc"], "version": world["case_version"], "query": query})
    assert stale.status_code == 409 and "nothing was done" in stale.text
    assert bank.get_resource(PEOPLE["operator"].actor, world["cnc"])["status"] == "available"
    # The same resource twice: refused with the reason.
    twice = op.post(f"/databank/cases/{world['case']}/reserve", data={"resource_id": world["shed"], "version": version})
    assert twice.status_code == 409 and "Reserved" in twice.text
    # Released: available again, and the case records it too.
    released = op.post(f"/databank/cases/{world['case']}/release", data={"resource_id": world["shed"], "version": version})
    assert released.status_code == 302
    assert bank.get_resource(PEOPLE["operator"].actor, world["shed"])["status"] == "available"
    assert "unlinked Capannone ex cantiere" in op.get(f"/cases/{world['case']}").text


def test_the_case_page_links_to_matching_only_for_its_managers(app, world):
    mentor = browser_for(app, "mentor").get(f"/cases/{world['case']}")
    assert mentor.status_code == 200 and "/matching" not in mentor.text
    assert "/matching" in browser_for(app, "admin").get(f"/cases/{world['case']}").text


# --- the worker's own profile ------------------------------------------------------------------------

def test_a_worker_sees_and_edits_their_own_profile_only(app, world, bank, sessions):
    worker = browser_for(app, "worker")  # w.anna: the person of the profile "anna"
    page = worker.get("/databank/me")
    assert page.status_code == 200 and "Anna Rossi" in page.text and "welder" in page.text
    assert "Marc Dupont" not in page.text
    data = {"csrf_token": csrf_from(page.text), "version": "1", "email": "anna.rossi@example.org",
            "phone": "not a phone", "summary": "Saldatrice.", "languages": "it:native; en:B1",
            "municipality": "Genova", "mobility": "country", "availability": "available", "consent_to_share": "y"}
    refused = worker.client.post("/databank/me", data=data)
    assert refused.status_code == 422 and "is not a phone number" in refused.text
    assert bank.get_profile(PEOPLE["operator"].actor, world["anna"])["version"] == 1
    saved = worker.client.post("/databank/me", data=data | {"phone": "+39 010 555 0202"})
    assert saved.status_code == 302
    record = bank.get_profile(PEOPLE["operator"].actor, world["anna"])
    assert (record["phone"], record["mobility"], record["consent_to_share"]) == ("+39 010 555 0202", "country", True)
    assert record["desk_id"] == "genova" and [c["uri"] for c in record["occupations"]] == [WELDER]
    # Nothing else of the databank for a worker; no profile yet: said plainly.
    assert worker.get(f"/databank/profiles/{world['marc']}").status_code == 403
    with sessions.begin() as session:
        session.get(Profile, world["anna"]).person_id = None
    assert "has not registered a professional profile" in worker.get("/databank/me").text
    for role in ("operator", "mentor", "designer"):
        assert browser_for(app, role).get("/databank/me").status_code == 403
    assert browser_for(app, "anonymous").get("/databank/me").status_code == LOGIN
