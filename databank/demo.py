"""Demo databank: the ESCO subset of databank/data/esco, and a few profiles and resources for the desks
that exist (matched by region), written through the same operations as the forms.

    from databank.demo import load_demo
    load_demo(sessions)   # after the desks exist; does nothing if the databank has profiles already
    load_demo_photos(sessions, files)   # photos (and a private document) of some resources, once
"""
from __future__ import annotations

import io
import random
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from engine.cases import Actor
from engine.files import FileStore
from engine.models import Desk
from engine.scenarios import sample_file

from .esco import demo_directory, import_esco
from .models import Profile, Resource, ResourceFile
from .operations import Databank
from .territory import gazetteer

DEMO_ACTOR = Actor.of("demo", ["admin"])

# (region, values); occupations and skills are written as their ESCO labels, so they become ESCO concepts.
PROFILES: list[tuple[str, dict[str, Any]]] = [
    ("IT-42", dict(display_name="Anna Rossi", occupations=["saldatore [esperto]"], years_experience=22,
                   skills=["utilizzare apparecchiature per saldatura [esperto]", "saldatura TIG [avanzato]",
                           "leggere disegni tecnici [intermedio]"], municipality="Genova",
                   supply_chains=["nautical_shipbuilding"], origin_firm="Cantieri Navali del Tigullio",
                   origin_firm_nace="C30.11", qualifications=["Patentino saldatore EN ISO 9606-1"],
                   languages=["it:native", "en:B1"], email="anna.rossi.saldatrice@posta.example",
                   phone="+39 347 555 0101", summary="Ventidue anni al cantiere di Lavagna, capo squadra dal 2015.")),
    ("IT-42", dict(display_name="Luca Bianchi", occupations=["carpentiere navale"], years_experience=15,
                   skills=["riparare scafi [esperto]", "laminare vetroresina [avanzato]"], municipality="La Spezia",
                   supply_chains=["nautical_shipbuilding"], origin_firm="Cantieri Navali del Tigullio",
                   origin_firm_nace="C30.12", availability="from_date", available_from="2027-03-01")),
    ("IT-42", dict(display_name="Giorgio Parodi", occupations=["operatore di macchine CNC"], years_experience=11,
                   skills=["gestire fresatrici CNC [esperto]", "utilizzare software CAM [avanzato]"],
                   municipality="Savona", supply_chains=["nautical_shipbuilding"], consent_to_share=True,
                   origin_firm="Meccanica Savonese", origin_firm_nace="C28.41")),
    ("IT-42", dict(display_name="Francesca Leoni", occupations=["elettricista navale"], years_experience=9,
                   skills=["manutenere impianti elettrici navali [avanzato]"], municipality="Chiavari",
                   supply_chains=["nautical_shipbuilding", "blue_green_energy"])),
    ("IT-52", dict(display_name="Matteo Conti", occupations=["meccanico navale"], years_experience=18,
                   skills=["manutenere motori marini [esperto]"], municipality="Livorno",
                   supply_chains=["nautical_shipbuilding"], origin_firm="Porto Turistico Tirreno")),
    ("IT-52", dict(display_name="Chiara Galli", occupations=["guida turistica"], years_experience=7,
                   skills=["parlare lingue diverse [esperto]", "fornire informazioni turistiche"],
                   municipality="Portoferraio", supply_chains=["sustainable_tourism"], consent_to_share=True,
                   languages=["it:native", "en:C1", "de:B2"])),
    ("IT-88", dict(display_name="Stefano Mura", occupations=["tecnico di acquacoltura"], years_experience=6,
                   skills=["monitorare la qualità dell'acqua [avanzato]", "biologia marina"], municipality="Oristano",
                   supply_chains=["blue_green_biotech"], origin_firm="Ittica Sinis")),
    ("IT-88", dict(display_name="Giulia Sanna", occupations=["installatore di impianti fotovoltaici"],
                   years_experience=5, skills=["installare impianti fotovoltaici [esperto]"], municipality="Cagliari",
                   supply_chains=["blue_green_energy"])),
    ("FR-PAC", dict(display_name="Marc Dupont", occupations=["technicien de maintenance d'éoliennes"],
                    years_experience=9, skills=["entretenir des éoliennes [expert]",
                                                "travailler en sécurité en hauteur [avancé]"],
                    municipality="Nice", mobility="cross_border", supply_chains=["blue_green_energy"],
                    email="marc.dupont.eolien@courriel.example", phone="+33 6 55 01 02 03",
                    summary="Technicien éolien offshore, habilitations travail en hauteur à jour.",
                    languages=["fr:native", "it:B2"], origin_firm="Éoliennes Azur", origin_firm_nace="D35.11")),
    ("FR-PAC", dict(display_name="Claire Martin", occupations=["soudeur"], years_experience=12,
                    skills=["soudage TIG [expert]", "lire des dessins techniques"], municipality="Toulon",
                    supply_chains=["nautical_shipbuilding"], origin_firm="Chantiers du Var", origin_firm_nace="C30.11")),
    ("FR-20R", dict(display_name="Jean-Baptiste Santoni", occupations=["guide nature"], years_experience=14,
                    skills=["guider des randonnées [expert]", "développement du tourisme durable"],
                    municipality="Corte", supply_chains=["sustainable_tourism"], consent_to_share=True)),
    ("FR-20R", dict(display_name="Sophie Casanova", occupations=["réceptionniste d'hôtel"], years_experience=4,
                    skills=["traiter les réservations", "parler différentes langues"], municipality="Bastia",
                    supply_chains=["sustainable_tourism"])),
]

RESOURCES: list[tuple[str, dict[str, Any]]] = [
    ("IT-42", dict(category="shed", title="Capannone ex cantiere con carroponte da 20 t", surface_m2=2400,
                   description="Capannone in muratura con carroponte da 20 t, accesso diretto al mare e piazzale di 800 m².",
                   municipality="La Spezia", latitude=44.104, longitude=9.838, offers=["rent", "sale"],
                   owner_kind="insolvency_administrator", owner_name="Curatela Cantieri Navali del Tigullio",
                   contact_name="Ottavio Brignole", contact_email="curatela.tigullio@studio-brignole.example",
                   contact_phone="+39 0187 555 0142", address="Viale San Bartolomeo 400",
                   terms="Offerte entro il 30 giugno; visita su appuntamento con il curatore.",
                   origin_firm="Cantieri Navali del Tigullio", supply_chains=["nautical_shipbuilding"])),
    ("IT-42", dict(category="machine", title="Centro di lavoro CNC a 5 assi", capacity="corsa 3000 × 1500 × 800 mm",
                   description="Fresatrice CNC a 5 assi, controllo recente, manutenzione documentata.",
                   municipality="Genova", latitude=44.418, longitude=8.89, offers=["sale"],
                   supply_chains=["nautical_shipbuilding"], origin_firm="Meccanica Savonese",
                   owner_name="Meccanica Savonese S.r.l. in liquidazione", contact_name="Renata Oddone",
                   contact_email="r.oddone@meccanica-savonese.example", contact_phone="+39 019 555 0177")),
    ("IT-42", dict(category="industrial_area", title="Area industriale con banchina", surface_m2=25000,
                   description="Area pianeggiante con banchina e raccordo ferroviario, adatta a logistica e assemblaggio.",
                   municipality="Vado Ligure", offers=["rent"], owner_kind="public_body",
                   supply_chains=["blue_green_energy", "nautical_shipbuilding"])),
    ("IT-52", dict(category="equipment", title="Forno di polimerizzazione per compositi",
                   capacity="camera 12 × 4 × 3 m", description="Forno per la polimerizzazione di scafi in composito.",
                   municipality="Viareggio", offers=["sale", "rent"], supply_chains=["nautical_shipbuilding"])),
    ("IT-52", dict(category="equipment", title="Gru mobile da 40 t", description="Gru portuale su gomma.",
                   municipality="Livorno", offers=["sale"], condition="fair", supply_chains=["nautical_shipbuilding"])),
    ("IT-88", dict(category="plant", title="Impianto fotovoltaico da 250 kWp", capacity="250 kWp", surface_m2=3000,
                   description="Impianto a terra con cabina di trasformazione, allacciato alla rete.",
                   municipality="Sarroch", offers=["rent"], supply_chains=["blue_green_energy"])),
    ("IT-88", dict(category="plant", title="Vasche di acquacoltura", surface_m2=5000,
                   description="Dodici vasche con circuito di ricircolo dell'acqua di mare.", municipality="Oristano",
                   offers=["free_loan"], owner_kind="public_body", supply_chains=["blue_green_biotech"])),
    ("FR-PAC", dict(category="shed", title="Hangar portuaire avec pont roulant", surface_m2=1200,
                    description="Hangar en bord de quai, pont roulant de 10 t, bureaux attenants.",
                    municipality="La Seyne-sur-Mer", offers=["free_loan"], owner_kind="public_body",
                    owner_name="Métropole Toulon Provence Méditerranée", contact_name="Véronique Aubanel",
                    contact_email="v.aubanel@metropole-tpm.example", contact_phone="+33 4 94 55 01 63",
                    supply_chains=["nautical_shipbuilding"])),
    ("FR-PAC", dict(category="shed", title="Atelier de maintenance éolienne", surface_m2=800,
                    description="Atelier équipé pour la maintenance de composants d'éoliennes.", municipality="Antibes",
                    offers=["rent"], supply_chains=["blue_green_energy"])),
    ("FR-20R", dict(category="other", title="Locaux d'accueil touristique", surface_m2=150,
                    description="Local en centre-ville, adapté à un point d'information ou une agence.",
                    municipality="Bonifacio", offers=["rent"], supply_chains=["sustainable_tourism"])),
]


def load_demo(sessions: sessionmaker[Session]) -> dict[str, int]:
    """Load the ESCO subset, then demo profiles and resources for the desks of their regions."""
    import_esco(sessions, demo_directory())
    with sessions() as session:
        if session.scalar(select(func.count()).select_from(Profile)):
            return {"profiles": 0, "resources": 0}
        desks = list(session.scalars(select(Desk).order_by(Desk.id)))
    if not desks:
        return {"profiles": 0, "resources": 0}
    places = gazetteer()

    def desk_for(region: str) -> str:
        place = places.get(region)
        for desk in desks:
            found = places.find(desk.region, "region")
            if found is not None and place is not None and found.code == place.code:
                return desk.id
        return desks[0].id

    bank = Databank(sessions)
    created = {"profiles": 0, "resources": 0}
    for region, values in PROFILES:
        bank.create_profile(DEMO_ACTOR, {"desk_id": desk_for(region), "region": region, **values})
        created["profiles"] += 1
    for region, values in RESOURCES:
        bank.create_resource(DEMO_ACTOR, {"desk_id": desk_for(region), "region": region, **values})
        created["resources"] += 1
    return created


# Photos of some demo resources (title -> captions); drawn here, so the demo ships no image files.
PHOTOS: dict[str, list[str]] = {
    "Centro di lavoro CNC a 5 assi": ["Vista frontale del centro di lavoro", "Quadro di controllo"],
    "Capannone ex cantiere con carroponte da 20 t": ["Interno del capannone con il carroponte"],
    "Forno di polimerizzazione per compositi": ["Camera del forno"],
    "Hangar portuaire avec pont roulant": ["Le hangar depuis le quai"],
    "Impianto fotovoltaico da 250 kWp": ["Pannelli e cabina di trasformazione"],
}
# A photo kept for the desk only, and a document: neither is ever public.
PRIVATE_FILES = {"Capannone ex cantiere con carroponte da 20 t": ("perizia-tecnica.pdf", "planimetria-interna.png")}
_PALETTE = {"machine": (52, 101, 164), "equipment": (96, 125, 139), "plant": (46, 125, 50),
            "shed": (141, 110, 99), "industrial_area": (121, 85, 72), "other": (120, 120, 120)}


def demo_photo(category: str, seed: int, fmt: str = "JPEG", size: tuple[int, int] = (640, 400)) -> bytes:
    """A small picture for a demo resource: sky, ground and the block shapes of a building or a machine."""
    from PIL import Image, ImageDraw

    rng = random.Random(seed)
    width, height = size
    image = Image.new("RGB", size, (200, 222, 238))
    draw = ImageDraw.Draw(image)
    horizon = int(height * rng.uniform(0.55, 0.7))
    draw.rectangle([0, horizon, width, height], fill=(170, 170, 160))
    base = _PALETTE.get(category, _PALETTE["other"])
    for _i in range(rng.randint(2, 4)):
        w, h = rng.randint(width // 6, width // 2), rng.randint(height // 6, horizon - 20)
        x = rng.randint(0, width - w)
        shade = tuple(max(0, min(255, c + rng.randint(-30, 30))) for c in base)
        draw.rectangle([x, horizon - h, x + w, horizon], fill=shade, outline=(40, 40, 40))
        for k in range(1, 4):  # windows or panels
            draw.rectangle([x + k * w // 4 - 6, horizon - h + 12, x + k * w // 4 + 6, horizon - h + 30],
                           fill=(230, 236, 240))
    out = io.BytesIO()
    image.save(out, fmt, **({"quality": 80} if fmt == "JPEG" else {}))
    return out.getvalue()


def load_demo_photos(sessions: sessionmaker[Session], files: FileStore) -> int:
    """Attach the demo photos (public) and private files to the demo resources, if no resource has files yet;
    returns how many files were attached."""
    with sessions() as session:
        if session.scalar(select(func.count()).select_from(ResourceFile)):
            return 0
        ids = dict(session.execute(select(Resource.title, Resource.id).where(
            Resource.title.in_(list(PHOTOS) + list(PRIVATE_FILES)))).all())
    bank = Databank(sessions, files)
    attached = 0
    for seed, (title, captions) in enumerate(PHOTOS.items()):
        if title not in ids:
            continue
        category = next((v["category"] for _r, v in RESOURCES if v["title"] == title), "other")
        for n, caption in enumerate(captions):
            bank.add_resource_file(DEMO_ACTOR, ids[title], "photo", f"foto-{seed}-{n + 1}.jpg",
                                   demo_photo(category, seed * 10 + n), caption)
            attached += 1
    for title, (document, private_photo) in PRIVATE_FILES.items():
        if title not in ids:
            continue
        bank.add_resource_file(DEMO_ACTOR, ids[title], "document", document, sample_file(document, 4096),
                               "Perizia del curatore")
        bank.add_resource_file(DEMO_ACTOR, ids[title], "photo", private_photo, demo_photo("shed", 99, "PNG", (320, 200)),
                               "Planimetria (solo per lo sportello)", public=False)
        attached += 2
    return attached
