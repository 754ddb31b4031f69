"""The public catalogue: every page in it/fr/en without login, filters, photos, the contact form delivered to the
desk through a real SMTP server, suppression of small counts, and a crawl of the whole demo catalogue that finds
no personal data anywhere."""
from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from sqlalchemy import and_, func, not_, select

from databank import Databank
from databank.esco import import_esco
from databank.models import ContactRequest, Profile, Resource, ResourceFile
from engine.models import CaseMember, Desk
from tests.databank.conftest import ESCO_FIXTURE, anna
from tests.webui.conftest import PEOPLE, open_case
from tests.webui.test_notifications import SmtpServer, body, smtp, subject  # noqa: F401 - the SMTP fixture
from webui.models import User
from webui.notifications.cli import notify
from webui.notifications.models import OutboxMessage

LANGUAGES = ("it", "fr", "en")
OPERATOR = PEOPLE["operator"].actor  # genova
OTHER_OPERATOR = PEOPLE["other_operator"].actor  # nice
DESK_ADDRESS = "sportello.genova@opera.test"


def png(seed: int = 0) -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 6), (seed * 40 % 255, 120, 200)).save(out, "PNG")
    return out.getvalue()


def cnc(**changes):  # noqa: ANN003, ANN201
    data = {"desk_id": "genova", "category": "machine", "title": "Centro di lavoro CNC a 5 assi",
            "description": "Fresatrice a 5 assi, manutenzione documentata.", "region": "IT-42",
            "municipality": "Genova", "latitude": 44.41, "longitude": 8.93, "capacity": "3000 × 1500 mm",
            "offers": ["sale"], "supply_chains": ["nautical_shipbuilding"], "owner_name": "Officine Rebora S.r.l.",
            "contact_name": "Ottavio Rebora", "contact_email": "ottavio.rebora@example.org",
            "contact_phone": "+39 010 555 0123", "address": "Via del Molo 7", "terms": "Trattativa riservata"}
    data.update(changes)
    return data


def hangar(**changes):  # noqa: ANN003, ANN201
    data = {"desk_id": "nice", "category": "shed", "title": "Hangar portuaire avec pont roulant",
            "description": "Hangar en bord de quai.", "region": "FR-PAC", "municipality": "Toulon",
            "surface_m2": 1200, "offers": ["free_loan"], "owner_kind": "public_body",
            "supply_chains": ["nautical_shipbuilding"], "contact_name": "Véronique Aubanel"}
    data.update(changes)
    return data


@pytest.fixture
def bank(app, people, sessions, service):  # noqa: ANN001, ANN201
    import_esco(sessions, ESCO_FIXTURE)
    with sessions.begin() as session:
        session.get(Desk, "genova").contact_email = DESK_ADDRESS
    return Databank(sessions, app.extensions["opera"].files, service)


@pytest.fixture
def catalogue(bank):  # noqa: ANN001, ANN201
    """A machine with two photos (one public), a document; a hangar in France; an unpublished resource."""
    ids = {"cnc": bank.create_resource(OPERATOR, cnc()).id,
           "hangar": bank.create_resource(OTHER_OPERATOR, hangar()).id,
           "hidden": bank.create_resource(OPERATOR, cnc(title="Pressa piegatrice riservata", published=False)).id}
    ids["photo"] = bank.add_resource_file(OPERATOR, ids["cnc"], "photo", "fronte.png", png(1), "Vista frontale")
    ids["private_photo"] = bank.add_resource_file(OPERATOR, ids["cnc"], "photo", "retro.png", png(2), public=False)
    ids["document"] = bank.add_resource_file(OPERATOR, ids["cnc"], "document", "perizia.txt", b"Perizia riservata")
    ids["hidden_photo"] = bank.add_resource_file(OPERATOR, ids["hidden"], "photo", "h.png", png(3))
    return ids


def page_of(client, url: str):  # noqa: ANN001, ANN201
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response


def resource_url(client, lang: str, resource_id: int) -> str:  # noqa: ANN001
    response = client.get(f"/catalogue/{lang}/resources/{resource_id}")
    assert response.status_code == 301
    return urlsplit(response.headers["Location"]).path


def csrf_of(text: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', text).group(1)


# --- pages -------------------------------------------------------------------------------------------

def test_every_public_page_renders_in_each_language_without_login(app, catalogue):  # noqa: ANN001
    client = app.test_client()
    for lang in LANGUAGES:
        detail = resource_url(client, lang, catalogue["cnc"])
        assert detail == f"/catalogue/{lang}/resources/{catalogue['cnc']}-centro-di-lavoro-cnc-a-5-assi"
        for url in (f"/catalogue/{lang}/", f"/catalogue/{lang}/resources/", detail, f"/catalogue/{lang}/skills/",
                    f"/catalogue/{lang}/skills/IT-42/", f"/catalogue/{lang}/contact/",
                    f"/catalogue/{lang}/contact/sent"):
            text = page_of(client, url).text
            assert f'<html lang="{lang}">' in text, url
            assert f'<link rel="canonical" href="http://localhost{url}">' in text, url
            for other in LANGUAGES:
                assert f'hreflang="{other}" href="http://localhost{url.replace(f"/{lang}/", f"/{other}/", 1)}"' in text
            assert re.search(r"<title>[^<]+</title>", text) and '<meta name="description" content="' in text
            # The strict Content-Security-Policy: no inline script, no inline style, nothing from elsewhere.
            assert "<script" not in text and "<style" not in text and 'style="' not in text, url
            assert not re.search(r'(?:src|href)="https?://(?!localhost)', text.replace(
                'xmlns="http://www.w3.org/2000/svg"', "")), url
    french = page_of(client, "/catalogue/fr/resources/").text
    assert "Ressources disponibles" in french and "Machine" in french and "Vente" in french
    italian = page_of(client, "/catalogue/it/").text
    assert "Nautica e cantieristica" in italian and "Liguria" in italian


def test_the_catalogue_opens_in_the_visitors_language(app, catalogue):  # noqa: ANN001
    client = app.test_client()
    response = client.get("/catalogue/", headers={"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/catalogue/fr/")
    assert "Accept-Language" in response.headers["Vary"]
    assert client.get("/catalogue/", headers={"Accept-Language": "it"}).headers["Location"].endswith("/catalogue/it/")
    assert client.get("/catalogue/de/").status_code == 404
    # The URL decides, whatever the browser says.
    assert '<html lang="it">' in client.get("/catalogue/it/", headers={"Accept-Language": "fr"}).text


def test_a_resource_page_shows_public_fields_photos_and_the_map_never_the_contacts(app, catalogue):  # noqa: ANN001
    client = app.test_client()
    text = page_of(client, resource_url(client, "en", catalogue["cnc"])).text
    assert "Centro di lavoro CNC a 5 assi" in text and "3000 × 1500 mm" in text and "Sale" in text
    assert f'src="/catalogue/photos/{catalogue["cnc"]}/{catalogue["photo"]}/640"' in text and "Vista frontale" in text
    assert f'/{catalogue["private_photo"]}"' not in text and f'/{catalogue["document"]}"' not in text
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in text and 'class="marker"' in text
    for secret in ("Ottavio Rebora", "ottavio.rebora@example.org", "555 0123", "Via del Molo", "Officine Rebora",
                   "Trattativa riservata", "perizia", "retro.png"):
        assert secret not in text, secret
    # An old or shortened link leads to the current one.
    old = client.get(f"/catalogue/en/resources/{catalogue['cnc']}-an-old-title")
    assert old.status_code == 301 and old.headers["Location"].endswith("-centro-di-lavoro-cnc-a-5-assi")


def test_resources_that_are_not_public_are_not_found(app, bank, catalogue, service):  # noqa: ANN001
    client = app.test_client()
    assert client.get(f"/catalogue/en/resources/{catalogue['hidden']}-pressa-piegatrice-riservata").status_code == 404
    assert client.get(f"/catalogue/en/resources/{catalogue['hidden']}").status_code == 404
    assert client.get("/catalogue/en/resources/99999-nothing").status_code == 404
    assert "Pressa piegatrice" not in page_of(client, "/catalogue/en/resources/").text
    # Reserved for a case: out of the catalogue too.
    crane = bank.create_resource(OPERATOR, cnc(title="Gru mobile da 40 t", category="equipment")).id
    assert page_of(client, f"/catalogue/fr/resources/{crane}-gru-mobile-da-40-t")
    case_id, version = open_case(service)
    bank.reserve_resource(OPERATOR, crane, case_id, version)
    assert client.get(f"/catalogue/fr/resources/{crane}-gru-mobile-da-40-t").status_code == 404
    assert "Gru mobile" not in page_of(client, "/catalogue/fr/resources/").text
    assert "gru-mobile" not in page_of(client, "/catalogue/sitemap.xml").text


def test_the_list_filters_by_category_region_supply_chain_availability_and_words(app, bank, catalogue):  # noqa: ANN001
    bank.create_resource(OPERATOR, cnc(title="Impianto fotovoltaico da 250 kWp", category="plant", region="IT-88",
                                       municipality="Sarroch", latitude=None, longitude=None, offers=["rent"],
                                       supply_chains=["blue_green_energy"], description="Pannelli a terra."))
    client = app.test_client()

    def titles(query: str) -> set[str]:
        text = page_of(client, "/catalogue/en/resources/?" + query).text
        return set(re.findall(r'<h3><a href="[^"]+"(?: lang="\w+")?>([^<]+)</a>', text))

    everything = {"Centro di lavoro CNC a 5 assi", "Hangar portuaire avec pont roulant",
                  "Impianto fotovoltaico da 250 kWp"}
    assert titles("") == everything
    assert titles("category=machine") == {"Centro di lavoro CNC a 5 assi"}
    assert titles("region=FR-PAC") == {"Hangar portuaire avec pont roulant"}
    assert titles("chain=blue_green_energy") == {"Impianto fotovoltaico da 250 kWp"}
    assert titles("offer=free_loan") == {"Hangar portuaire avec pont roulant"}
    assert titles("q=fresatrice") == {"Centro di lavoro CNC a 5 assi"}
    assert titles("q=pannelli&region=IT-88") == {"Impianto fotovoltaico da 250 kWp"}
    assert titles("q=pannelli&region=IT-42") == set()
    assert titles("category=not-a-category&region=XX") == everything  # unknown codes are no filter
    filtered = page_of(client, "/catalogue/en/resources/?category=machine").text
    assert '<meta name="robots" content="noindex, follow">' in filtered
    assert '<option selected value="machine">' in filtered or 'value="machine" selected' in filtered
    assert "noindex" not in page_of(client, "/catalogue/en/resources/").text


def test_the_list_has_pages(app, bank, catalogue):  # noqa: ANN001
    for n in range(12):
        bank.create_resource(OPERATOR, cnc(title=f"Tornio parallelo numero {n}", municipality="Savona",
                                           latitude=None, longitude=None))
    client = app.test_client()
    first = page_of(client, "/catalogue/en/resources/?q=tornio").text
    assert "12 resources found" in first and 'rel="next" href' not in first
    assert first.count("<h3>") == 12
    every = page_of(client, "/catalogue/en/resources/").text
    assert "14 resources found" in every and every.count("<h3>") == 12 and "Page 1 of 2" in every
    second = page_of(client, "/catalogue/en/resources/?page=2").text
    assert second.count("<h3>") == 2 and 'rel="prev"' in second
    assert '<link rel="canonical" href="http://localhost/catalogue/en/resources/?page=2">' in second


# --- photos ------------------------------------------------------------------------------------------

def test_only_public_photos_of_public_resources_are_served(app, catalogue):  # noqa: ANN001
    client = app.test_client()
    url = f"/catalogue/photos/{catalogue['cnc']}/{catalogue['photo']}"
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "image/jpeg"  # re-encoded, never the upload
    assert response.data != png(1) and _image(response.data).size == (8, 6)
    assert "public" in response.headers["Cache-Control"] and "max-age=86400" in response.headers["Cache-Control"]
    assert client.get(url, headers={"If-None-Match": response.headers["ETag"]}).status_code == 304
    for resource, file_id in (("cnc", "private_photo"), ("cnc", "document"), ("hidden", "hidden_photo"),
                              ("hangar", "photo"), ("cnc", "hidden_photo")):
        assert client.get(f"/catalogue/photos/{catalogue[resource]}/{catalogue[file_id]}").status_code == 404


def _image(data: bytes):  # noqa: ANN202
    import io

    from PIL import Image

    return Image.open(io.BytesIO(data))


def _camera_photo() -> bytes:
    """A 2000 x 1500 JPEG as a phone writes it: the camera, the place (GPS) and a comment in its metadata."""
    import io

    from PIL import Image

    picture = Image.new("RGB", (2000, 1500), (90, 140, 190))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x9286] = "Capannone di Mario, via segreta 3"  # UserComment
    exif[0x8825] = {1: "N", 2: (44.0, 24.0, 36.0), 3: "E", 4: (8.0, 55.0, 12.0)}  # GPS IFD
    out = io.BytesIO()
    picture.save(out, "JPEG", exif=exif, comment=b"shot at the owner's home")
    return out.getvalue()


def test_a_public_photo_loses_its_metadata_and_is_served_at_the_catalogues_sizes(app, bank, catalogue):  # noqa: ANN001
    upload = _camera_photo()
    assert b"PhoneMaker" in upload and _image(upload).getexif().get_ifd(0x8825)
    file_id = bank.add_resource_file(OPERATOR, catalogue["cnc"], "photo", "gps.jpg", upload, "Dal cortile")
    client = app.test_client()
    for size, expected in ((320, (320, 240)), (640, (640, 480)), (1280, (1280, 960))):
        response = client.get(f"/catalogue/photos/{catalogue['cnc']}/{file_id}/{size}")
        assert response.status_code == 200 and response.mimetype == "image/jpeg"
        served = _image(response.data)
        assert served.size == expected
        assert not served.getexif() and not served.getexif().get_ifd(0x8825)
        assert b"PhoneMaker" not in response.data and b"via segreta" not in response.data
        assert b"owner's home" not in response.data and b"Exif" not in response.data
    assert client.get(f"/catalogue/photos/{catalogue['cnc']}/{file_id}/5000").status_code == 404


def test_a_photo_made_to_be_huge_when_decoded_is_not_served(app, bank, catalogue):  # noqa: ANN001
    import io
    import time

    from PIL import Image

    out = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(out, "PNG")  # 400 M pixels in a few kilobytes
    assert len(out.getvalue()) < 200_000
    file_id = bank.add_resource_file(OPERATOR, catalogue["cnc"], "photo", "bomb.png", out.getvalue())
    started = time.monotonic()
    assert app.test_client().get(f"/catalogue/photos/{catalogue['cnc']}/{file_id}/320").status_code == 404
    assert time.monotonic() - started < 2


def test_exact_coordinates_are_public_only_when_the_owner_agreed(app, bank, catalogue):  # noqa: ANN001
    from databank.territory import gazetteer

    genova = gazetteer().point(municipality="Genova", region="IT-42")
    assert (genova.lat, genova.lon) != (44.41, 8.93)
    client = app.test_client()
    page = client.get(f"/catalogue/en/resources/{catalogue['cnc']}-x", follow_redirects=True).text
    assert "44.41" not in page and "8.93" not in page
    with app.app_context():
        from databank.public import public_resource
        from webui.services import db

        record = public_resource(db(), catalogue["cnc"], "en")
        assert (record["latitude"], record["longitude"]) == (genova.lat, genova.lon)
        saved = bank.get_resource(OPERATOR, catalogue["cnc"])
        bank.update_resource(OPERATOR, catalogue["cnc"], saved["version"], {"exact_location_public": True})
        db().rollback()
        record = public_resource(db(), catalogue["cnc"], "en")
        assert (record["latitude"], record["longitude"]) == (44.41, 8.93)


# --- the skills of the area --------------------------------------------------------------------------

def test_the_skills_page_never_shows_a_small_group(app, bank):  # noqa: ANN001
    for i in range(7):
        bank.create_profile(OPERATOR, anna(person_id=None, display_name=f"Saldatore {i}", email="", phone=""))
    for i in range(2):
        bank.create_profile(OPERATOR, anna(person_id=None, display_name=f"Guida {i}", occupations=["guida turistica"],
                                           skills=[], supply_chains=["sustainable_tourism"], province="IT-SP"))
    client = app.test_client()
    liguria = page_of(client, "/catalogue/en/skills/IT-42/").text
    occupations = re.search(r'<table class="striped skills-occupations">(.*?)</table>', liguria, re.S).group(1)
    rows = re.findall(r'<th scope="row">([^<]+)</th><td class="count">(\d+)</td>', occupations)
    assert len(rows) == 1 and rows[0][1] == "5"  # 7 welders, rounded; the 2 guides are not shown
    assert "guide" not in occupations.lower() and "Guida" not in liguria and "Saldatore" not in liguria
    assert "fewer than 5" in liguria and "rounded to the nearest 5" in liguria
    spezia_people = re.findall(r'<th scope="row">La Spezia</th>', liguria)
    assert spezia_people == []  # a province with 2 people is not a row of its own
    french = page_of(client, "/catalogue/fr/skills/FR-PAC/").text
    assert "moins de 5" in french and "Trop peu de personnes" in french
    assert app.test_client().get("/catalogue/en/skills/XX-99/").status_code == 404


# --- the contact form --------------------------------------------------------------------------------

def post_contact(client, url: str, **data):  # noqa: ANN001, ANN003, ANN201
    form = {"name": "Helga Investor", "email": "helga@invest.example", "organisation": "Nordic Marine Fund",
            "message": "We look for a CNC machine for a new plant near Genova.", "website": ""}
    form.update(data)
    form["csrf_token"] = csrf_of(client.get(url).text)
    return client.post(url, data=form)


def stored(sessions) -> list[ContactRequest]:  # noqa: ANN001
    with sessions() as session:
        return list(session.scalars(select(ContactRequest).order_by(ContactRequest.id)))


def test_the_contact_form_refuses_bad_input_in_the_page_language_and_keeps_what_was_written(
        app, catalogue, sessions):  # noqa: ANN001
    client = app.test_client()
    url = resource_url(client, "fr", catalogue["cnc"])
    response = post_contact(client, url, name="", email="pas-une-adresse", message="Court")
    assert response.status_code == 400
    text = response.text
    assert "Écrivez votre nom." in text and "Écrivez une adresse e-mail valide." in text
    assert "Entre 10 et 5000 caractères, s'il vous plaît." in text or "Entre 10 et 5000 caractères" in text
    assert 'value="pas-une-adresse"' in text and re.search(r">\s*Court</textarea>", text)
    assert stored(sessions) == []
    # Without the CSRF token: refused, nothing stored.
    assert client.post(url, data={"name": "x", "email": "x@y.example", "message": "1234567890 abc"}).status_code == 400
    assert stored(sessions) == []


def test_a_robot_filling_the_trap_field_is_told_nothing_and_nothing_is_stored(app, catalogue, sessions):  # noqa: ANN001
    client = app.test_client()
    response = post_contact(client, resource_url(client, "en", catalogue["cnc"]), website="http://spam.example")
    assert response.status_code == 303 and "/catalogue/en/contact/sent" in response.headers["Location"]
    assert stored(sessions) == []
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_too_many_messages_from_one_address_are_refused_for_a_while(app, catalogue, sessions):  # noqa: ANN001
    app.config["PUBLIC_CONTACT_LIMIT"] = 2
    client = app.test_client()
    url = resource_url(client, "it", catalogue["cnc"])
    assert post_contact(client, url).status_code == 303
    assert post_contact(client, url, message="Second message about the machine.").status_code == 303
    refused = post_contact(client, url, message="Third message, one too many.")
    assert refused.status_code == 429 and "Troppi messaggi" in refused.text
    assert "Third message, one too many." in refused.text  # still in the form
    assert len(stored(sessions)) == 2
    other = app.test_client()  # another address is not concerned
    response = other.post(url, data={"name": "B", "email": "b@b.example", "message": "Another sender writes here.",
                                     "csrf_token": csrf_of(other.get(url).text)},
                          environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert response.status_code == 303 and len(stored(sessions)) == 3


def test_an_enquiry_about_a_resource_reaches_its_desk_by_email(app, catalogue, sessions, smtp):  # noqa: ANN001, F811
    client = app.test_client()
    url = resource_url(client, "fr", catalogue["cnc"])
    response = post_contact(client, url)
    assert response.status_code == 303
    thanks = client.get(response.headers["Location"])
    assert "Merci" in thanks.text and "Centro di lavoro CNC" in thanks.text
    [enquiry] = stored(sessions)
    assert (enquiry.desk_id, enquiry.resource_id, enquiry.language) == ("genova", catalogue["cnc"], "fr")
    [mail] = smtp.inbox.to(DESK_ADDRESS)
    text = body(mail)
    assert subject(mail).strip() == "Catalogo pubblico: una richiesta sulla risorsa: Centro di lavoro CNC a 5 assi"
    assert "Helga Investor" in text and "helga@invest.example" in text and "Nordic Marine Fund" in text
    assert "We look for a CNC machine" in text
    assert f"https://opera.test/catalogue/it/resources/{catalogue['cnc']}-centro-di-lavoro-cnc-a-5-assi" in text
    assert notify(app).sending.sent == 0  # not twice


def test_a_general_enquiry_goes_to_the_desk_of_the_region_chosen(app, catalogue, sessions, smtp):  # noqa: ANN001, F811
    with sessions.begin() as session:
        session.get(Desk, "nice").contact_email = ""  # no desk address: its operators get it
    client = app.test_client()
    response = post_contact(client, "/catalogue/en/contact/", region="FR-PAC",
                            message="Any industrial land near Toulon for a boat repair yard?")
    assert response.status_code == 303
    [enquiry] = stored(sessions)
    assert (enquiry.desk_id, enquiry.resource_id, enquiry.region) == ("nice", None, "FR-PAC")
    [mail] = smtp.inbox.to(PEOPLE["other_operator"].email)
    assert "Provence-Alpes-Côte d'Azur" in subject(mail) and "boat repair yard" in body(mail)
    assert smtp.inbox.to(DESK_ADDRESS) == []


def test_an_smtp_outage_loses_no_enquiry(app, catalogue, sessions, smtp):  # noqa: ANN001, F811
    smtp.stop()
    client = app.test_client()
    assert post_contact(client, resource_url(client, "en", catalogue["cnc"])).status_code == 303
    assert len(stored(sessions)) == 1
    with sessions() as session:
        [row] = session.scalars(select(OutboxMessage)).all()
        assert row.status == "pending" and row.email == DESK_ADDRESS and row.attempts == 1
    # A request stored while the process died before queueing its message: `opera notify` queues it.
    Databank(sessions).submit_contact_request({"name": "Lars", "email": "lars@example.org", "region": "IT-42",
                                               "message": "Stored, then the server stopped."})
    smtp.start()
    from datetime import timedelta

    from engine.models import utcnow

    report = notify(app, now=utcnow() + timedelta(minutes=5))
    assert report.enquiries == 1 and report.sending.sent == 2
    assert len(smtp.inbox.to(DESK_ADDRESS)) == 2
    assert any("Stored, then the server stopped." in body(m) for m in smtp.inbox.to(DESK_ADDRESS))


# --- sitemap, robots ---------------------------------------------------------------------------------

def test_the_sitemap_lists_every_public_page_in_each_language(app, catalogue):  # noqa: ANN001
    client = app.test_client()
    response = page_of(client, "/catalogue/sitemap.xml")
    assert response.mimetype == "application/xml"
    root = ET.fromstring(response.data)
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "x": "http://www.w3.org/1999/xhtml"}
    locations = [urlsplit(u.find("s:loc", ns).text).path for u in root.findall("s:url", ns)]
    for lang in LANGUAGES:
        assert f"/catalogue/{lang}/" in locations and f"/catalogue/{lang}/skills/IT-88/" in locations
        assert resource_url(client, lang, catalogue["cnc"]) in locations
        assert resource_url(client, lang, catalogue["hangar"]) in locations
    assert not any(f"/resources/{catalogue['hidden']}-" in loc for loc in locations)
    assert all(len(u.findall("x:link", ns)) == 3 for u in root.findall("s:url", ns))
    robots = page_of(client, "/robots.txt").text
    assert "Allow: /catalogue/" in robots and "Sitemap: http://localhost/catalogue/sitemap.xml" in robots


def test_absolute_addresses_come_from_the_configured_base_url_never_the_host_header(app, catalogue):  # noqa: ANN001
    app.config["BASE_URL"] = "https://catalogo.opera.example/"
    client = app.test_client()
    forged = {"Host": "evil.example", "X-Forwarded-Host": "evil.example"}
    texts = [client.get("/catalogue/sitemap.xml", headers=forged).text, client.get("/robots.txt", headers=forged).text,
             client.get("/catalogue/en/", headers=forged).text,
             client.get(f"/catalogue/fr/resources/{catalogue['cnc']}-x", headers=forged, follow_redirects=True).text]
    assert all("evil.example" not in text for text in texts)
    assert "Sitemap: https://catalogo.opera.example/catalogue/sitemap.xml" in texts[1]
    assert "<loc>https://catalogo.opera.example/catalogue/it/</loc>" in texts[0]
    assert 'hreflang="it" href="https://catalogo.opera.example/catalogue/it/"' in texts[2]


# --- the crawl: no personal data on any public page --------------------------------------------------

class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:  # noqa: ANN001
        for name, value in attrs:
            if name in ("href", "src", "action") and value:
                self.found.append(value)


def personal_values(sessions) -> set[str]:  # noqa: ANN001
    """Every personal value of the demo's databank and cases, read from the database."""
    values: set[str] = set()
    with sessions() as session:
        for user in session.scalars(select(User)):
            values |= {user.display_name, user.email or ""}
            if re.search(r"[.\d]", user.id):  # ids like w.genova.003 or op.nice (not plain words like "admin")
                values.add(user.id)
        for member in session.scalars(select(CaseMember)):
            values |= {member.display_name, member.person_id if re.search(r"[.\d]", member.person_id) else ""}
        for profile in session.scalars(select(Profile)):
            values |= {profile.display_name, profile.email, profile.phone, profile.summary, profile.person_id or "",
                       profile.origin_firm, *[str(q) for q in profile.qualifications or []]}
        for resource in session.scalars(select(Resource)):
            values |= {resource.owner_name, resource.contact_name, resource.contact_email, resource.contact_phone,
                       resource.address, resource.terms, resource.origin_firm}
        for row in session.scalars(select(ResourceFile).where(not_(and_(ResourceFile.public.is_(True),
                                                                        ResourceFile.kind == "photo")))):
            values |= {row.filename, row.caption}
    return {v.strip() for v in values if v and len(v.strip()) >= 4}


def test_no_personal_data_appears_on_any_page_of_the_demo_catalogue(app, sessions):  # noqa: ANN001
    from webui.cli import _load_demo

    with app.app_context():
        assert _load_demo(app) > 0
    secrets = personal_values(sessions)
    assert len(secrets) > 60 and "Curatela Cantieri Navali del Tigullio" in secrets
    assert any("@" in s for s in secrets) and "+39 347 555 0101" in secrets
    with sessions() as session:
        public_ids = set(session.scalars(select(Resource.id).where(Resource.published.is_(True),
                                                                   Resource.status == "available")))
        photo_count = session.scalar(select(func.count()).select_from(ResourceFile).where(
            ResourceFile.public.is_(True), ResourceFile.kind == "photo"))

    client = app.test_client()
    sitemap = client.get("/catalogue/sitemap.xml").text
    queue = deque(["/catalogue/", "/robots.txt"] + [urlsplit(u).path for u in re.findall(r"<loc>([^<]+)</loc>",
                                                                                              sitemap)])
    seen: set[str] = set()
    pages, photos = 0, set()
    while queue:
        url = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        if response.status_code in (301, 302, 303):
            queue.append(urlsplit(urljoin(url, response.headers["Location"])).geturl())
            continue
        assert response.status_code == 200, (url, response.status_code)
        if response.mimetype.startswith("image/"):
            photos.add(re.match(r"/catalogue/photos/(\d+)/(\d+)", url).groups())  # each photo, at any size
            continue
        pages += 1
        text = html.unescape(response.get_data(as_text=True)).casefold()
        for secret in secrets:
            assert secret.casefold() not in text, (url, secret)
        if response.mimetype == "text/html":
            parser = Links()
            parser.feed(response.get_data(as_text=True))
            for link in parser.found:
                target = urlsplit(urljoin("http://localhost" + url, link))
                if target.netloc == "localhost" and target.path.startswith("/catalogue") and \
                        not target.fragment.startswith("resource-"):
                    queue.append(target.path + (f"?{target.query}" if target.query else ""))
    visited_resources = {int(m) for u in seen for m in re.findall(r"/resources/(\d+)-", u)}
    assert visited_resources == public_ids
    assert len(photos) == photo_count >= 5
    assert pages > 50  # every page of three languages: overview, lists and their filters, resources, skills...
