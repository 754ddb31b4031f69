"""Databank search benchmark: 100k profiles and 50k resources generated in SQLite (or PostgreSQL), then
the typical searches of a help desk's operator (text, filters, facets, first page) and of a visitor of the
public catalogue timed one by one; every row names the database.

    python -m benchmarks.databank_search [--quick]

`run(quick)` returns rows (name, value, unit, target, ok) for `python -m benchmarks`. The target of the
issue: p95 of typical searches under 50 ms. The baseline of the same run, one profile read by its id
through the same stack, gives a ratio that depends less on the machine; CPU time (SQLite runs in this
process) depends less on what else the machine is doing. Quick mode generates a tenth of the data.
"""
from __future__ import annotations

import functools
import random
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Callable

from sqlalchemy import insert, text

TARGET_MS = 50.0
FULL = (100_000, 50_000)
QUICK = (10_000, 5_000)
DESKS = [("genova", "IT", "Liguria"), ("la-spezia", "IT", "Liguria"), ("savona", "IT", "Liguria"),
         ("livorno", "IT", "Toscana"), ("pisa", "IT", "Toscana"), ("cagliari", "IT", "Sardegna"),
         ("sassari", "IT", "Sardegna"), ("ajaccio", "FR", "Corse"), ("bastia", "FR", "Corse"),
         ("nice", "FR", "Provence-Alpes-Côte d'Azur"), ("toulon", "FR", "Provence-Alpes-Côte d'Azur")]
FIRST = ["Anna", "Luca", "Sara", "Marco", "Giulia", "Paolo", "Elena", "Marc", "Claire", "Jean", "Sophie", "Pierre",
         "Francesca", "Matteo", "Chiara", "Antoine", "Julie", "Davide", "Martina", "Nicolas"]
LAST = ["Rossi", "Bianchi", "Verdi", "Russo", "Ferrari", "Esposito", "Romano", "Colombo", "Dupont", "Martin",
        "Bernard", "Moreau", "Lefebvre", "Fabre", "Mura", "Piras", "Sanna", "Casanova", "Santoni", "Leoni"]
FREE_SKILLS = ["lettura del disegno", "saldatura a filo", "carrellista", "patente nautica", "gestione magazzino",
               "accoglienza turisti", "montaggio arredi nautici", "verniciatura a spruzzo", "lavorazione vetroresina",
               "manutenzione impianti"]
FIRMS = ["Cantieri Navali Liguri", "Nautica Tirrenica", "Hotel Riviera", "Biomare Sardegna", "Éoliennes Azur",
         "Chantiers du Var", "Acciaierie Toscane", "Porto Turistico Srl", "Aquaculture Corse", "Solare Sud"]
RESOURCE_WORDS = {
    "machine": ["Tornio CNC", "Centro di lavoro a 5 assi", "Pressa piegatrice", "Fresatrice CNC", "Tour à commande numérique",
                "Saldatrice laser", "Macchina taglio plasma"],
    "equipment": ["Gru mobile", "Carrello elevatore", "Ponteggi", "Compressore", "Pont roulant", "Attrezzatura da laboratorio"],
    "plant": ["Impianto di verniciatura", "Impianto fotovoltaico 250 kWp", "Installation de traitement de l'eau",
              "Vasche di acquacoltura"],
    "industrial_area": ["Area industriale con banchina", "Zone artisanale", "Piazzale portuale", "Area ex cantiere"],
    "shed": ["Capannone industriale", "Magazzino portuale", "Hangar à bateaux", "Capannone con carroponte", "Entrepôt"],
    "other": ["Ufficio attrezzato", "Locali commerciali", "Bureaux"],
}
DETAILS = ["accesso al mare", "carroponte 20 t", "alta tensione", "piazzale", "banchina", "uffici", "accès quai",
           "recentemente ristrutturato", "impianto antincendio", "vicino al porto", "raccordo ferroviario", "isolé"]


def generate(url: str, profiles: int, resources: int, seed: int = 7) -> float:
    """Fill a migrated database; returns the seconds it took."""
    from databank import esco, textindex
    from databank.models import Profile, ProfileOccupation, ProfileSkill, ProfileText, Resource, ResourceText
    from databank.operations import Taxonomy
    from databank.territory import gazetteer
    from databank.text import document, normalized
    from databank.vocabulary import (
        CATEGORIES, CATEGORY_LABELS, CHAIN_BITS, OFFER_BITS, OFFER_LABELS, SUPPLY_CHAIN_LABELS,
    )
    from engine.db import make_engine, make_session_factory
    from engine.models import Desk

    started = time.perf_counter()
    rng = random.Random(seed)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    with sessions.begin() as session:
        session.add_all([Desk(id=d, name=d.title(), country=c, region=r) for d, c, r in DESKS])
    esco.import_esco(sessions, esco.demo_directory())
    with sessions() as session:
        concepts = {kind: list(session.scalars(text("SELECT uri FROM databank_esco_concepts WHERE kind = :k "
                                                    "ORDER BY uri"), {"k": kind}))
                    for kind in ("occupation", "skill")}
        all_uris = concepts["occupation"] + concepts["skill"]
        labels = Taxonomy(session).labels(all_uris)
        preferred = {u: esco.preferred_labels(session, [u], "it")[u][0] for u in all_uris}
    words_of = {u: document(labels[u]) for u in all_uris}
    # the same few names, firms and towns come back over and over: cut each into words once
    words = functools.lru_cache(maxsize=None)(lambda *parts: document(*parts))
    places = gazetteer()
    provinces = places.children(None, "province")
    towns = {p.code: places.children(p.code, "municipality") for p in provinces}
    place_words = {p.code: document(list(p.names.values()) + list(places.get(p.parent).names.values()))
                   for p in provinces}
    chain_words = {c: document(list(SUPPLY_CHAIN_LABELS[c].values())) for c in CHAIN_BITS}
    desk_by_country = {"IT": [d for d, c, _ in DESKS if c == "IT"], "FR": [d for d, c, _ in DESKS if c == "FR"]}
    today = date(2026, 11, 1)

    profile_rows, occupation_rows, skill_rows, profile_texts, resource_texts = [], [], [], [], []
    for pid in range(1, profiles + 1):
        province = rng.choice(provinces)
        town = rng.choice(towns[province.code]) if towns[province.code] and rng.random() < 0.8 else None
        chains = rng.sample(list(CHAIN_BITS), rng.choice((1, 1, 1, 2)))
        occupations = rng.sample(concepts["occupation"], rng.choice((1, 1, 2)))
        skills = rng.sample(concepts["skill"], rng.randint(2, 6))
        free = rng.sample(FREE_SKILLS, rng.choice((0, 0, 1)))
        availability = rng.choices(("available", "from_date", "unavailable"), (6, 3, 1))[0]
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        firm = rng.choice(FIRMS)
        for position, uri in enumerate(occupations):
            occupation_rows.append({"profile_id": pid, "key": uri, "esco_uri": uri, "label": preferred[uri],
                                    "level": rng.randint(1, 4), "years": None, "position": position})
        for position, uri in enumerate(skills):
            skill_rows.append({"profile_id": pid, "key": uri, "esco_uri": uri, "label": preferred[uri],
                               "level": rng.randint(1, 4), "years": None, "position": position})
        for position, label in enumerate(free, start=len(skills)):
            skill_rows.append({"profile_id": pid, "key": "text:" + normalized(label), "esco_uri": None, "label": label,
                               "level": rng.randint(1, 4), "years": None, "position": position})
        search_text = " ".join([*(words_of[u] for u in occupations + skills), words(*free), place_words[province.code],
                                *(chain_words[c] for c in chains), words(firm)])
        profile_rows.append({
            "id": pid, "desk_id": rng.choice(desk_by_country[province.country]), "display_name": name,
            "email": f"{normalized(name).replace(' ', '.')}{pid}@example.org", "years_experience": rng.randint(0, 35),
            "qualifications": [], "languages": [{"code": "it" if province.country == "IT" else "fr", "level": "native"}],
            "country": province.country, "region": province.parent, "province": province.code,
            "municipality": town.names["it"] if town else "", "mobility": rng.choice(("local", "province", "region",
                                                                                     "country", "cross_border")),
            "availability": availability,
            "available_from": today + timedelta(days=rng.randint(1, 300)) if availability == "from_date" else None,
            "chain_mask": sum(CHAIN_BITS[c] for c in chains), "origin_firm": firm,
            "consent_to_share": rng.random() < 0.3, "created_by": "bench", "updated_by": "bench",
        })
        profile_texts.append({"profile_id": pid, "search_text": search_text,
                              "personal_text": words(name, town.names["it"] if town else "")})

    resource_rows = []
    for rid in range(1, resources + 1):
        province = rng.choice(provinces)
        town = rng.choice(towns[province.code]) if towns[province.code] else None
        category = rng.choices(CATEGORIES, (25, 20, 10, 10, 30, 5))[0]
        title = rng.choice(RESOURCE_WORDS[category])
        details = rng.sample(DETAILS, 3)
        offers = rng.sample(list(OFFER_BITS), rng.choice((1, 1, 2)))
        chains = rng.sample(list(CHAIN_BITS), rng.choice((1, 2)))
        surface = float(rng.choice((300, 800, 1500, 2400, 5000, 12000, 30000))) \
            if category in ("shed", "industrial_area", "plant") else None
        description = f"{title}: {', '.join(details)}."
        resource_rows.append({
            "id": rid, "desk_id": rng.choice(desk_by_country[province.country]), "category": category, "title": title,
            "description": description, "country": province.country, "region": province.parent, "province": province.code,
            "municipality": town.names["it"] if town else "",
            "latitude": (town.lat if town else province.lat) + rng.uniform(-0.03, 0.03),
            "longitude": (town.lon if town else province.lon) + rng.uniform(-0.03, 0.03),
            "surface_m2": surface, "condition": rng.choice(("new", "good", "good", "fair", "poor")),
            "offer_mask": sum(OFFER_BITS[o] for o in offers), "chain_mask": sum(CHAIN_BITS[c] for c in chains),
            "status": rng.choices(("available", "reserved", "taken"), (8, 1, 1))[0], "published": rng.random() < 0.9,
            "owner_kind": rng.choice(("firm", "insolvency_administrator", "public_body")),
            "created_by": "bench", "updated_by": "bench",
        })
        resource_texts.append({"resource_id": rid, "search_text": document(
            title, description, town.names["it"] if town else "", list(CATEGORY_LABELS[category].values()),
            place_words[province.code], [x for c in chains for x in SUPPLY_CHAIN_LABELS[c].values()],
            [x for o in offers for x in OFFER_LABELS[o].values()])})

    bulk = engine.dialect.name == "postgresql"  # a bulk load: the facet counts counted once after it
    with engine.begin() as connection:
        for table in textindex.COUNTED if bulk else ():
            connection.exec_driver_sql(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        for model, rows in ((Profile, profile_rows), (ProfileText, profile_texts), (ProfileOccupation, occupation_rows),
                            (ProfileSkill, skill_rows), (Resource, resource_rows), (ResourceText, resource_texts)):
            if bulk:
                _copy(connection, model.__table__, rows)
                continue
            for start in range(0, len(rows), 5000):
                connection.execute(insert(model.__table__), rows[start:start + 5000])
        for statement in textindex.code_statements(engine.dialect.name) if bulk else ():  # (their triggers were off too)
            connection.exec_driver_sql(statement)
        for table in textindex.COUNTED if bulk else ():
            connection.exec_driver_sql(f"ALTER TABLE {table} ENABLE TRIGGER USER")
        for statement in textindex.recount_statements() if bulk else ():
            connection.exec_driver_sql(statement)
    with sessions.begin() as session:
        textindex.ensure_indexes(session)  # builds the FTS5 tables from the rows at once
    from .databases import settle

    settle(engine)  # as ANALYZE and autovacuum leave the tables in production
    engine.dispose()
    return time.perf_counter() - started


def _copy(connection: Any, table: Any, rows: list[dict[str, Any]]) -> None:
    """PostgreSQL: the rows written with COPY (tens of times faster than INSERTs at this size), with the
    columns' Python defaults filled in as an INSERT would, and JSON values sent as JSON."""
    from psycopg.types.json import Jsonb
    from sqlalchemy import JSON

    if not rows:
        return
    given = list(rows[0])
    defaults = {c.name: c.default.arg for c in table.columns
                if c.name not in given and c.default is not None and not c.default.is_sequence}
    names = given + list(defaults)
    json = {name for name in names if isinstance(table.c[name].type, JSON)}
    fixed = [d if not callable(d) else d(None) for d in defaults.values()]
    cursor = connection.connection.driver_connection.cursor()
    columns = ", ".join(f'"{name}"' for name in names)
    with cursor.copy(f"COPY {table.name} ({columns}) FROM STDIN") as copy:
        for row in rows:
            values = [row[name] for name in given] + fixed
            copy.write_row([Jsonb(v) if n in json else v for n, v in zip(names, values)])


def typical_searches() -> list[tuple[str, str, Any]]:
    from databank import ProfileQuery, ResourceQuery

    welding = "http://data.europa.eu/esco/skill/"  # completed below from the demo taxonomy
    return [
        ("profiles", "text 'saldatore'", ProfileQuery(text="saldatore")),
        ("profiles", "text 'saldat' in Liguria", ProfileQuery(text="saldat", regions=("IT-42",))),
        ("profiles", "nautical chain, province of La Spezia", ProfileQuery(supply_chains=("nautical_shipbuilding",),
                                                                           provinces=("IT-SP",))),
        ("profiles", "skill + available by a date", ProfileQuery(skills=(welding,), available_by=date(2027, 1, 1))),
        ("profiles", "text 'tecnico eolico' in France", ProfileQuery(text="tecnico eolico", regions=("FR-PAC", "FR-20R"))),
        ("profiles", "text + chain + min years", ProfileQuery(text="guida", supply_chains=("sustainable_tourism",),
                                                              min_years=5)),
        ("profiles", "a desk's own profiles", ProfileQuery(desks=("genova",))),
        ("profiles", "first page, no filter", ProfileQuery()),
        ("resources", "text 'capannone carroponte'", ResourceQuery(text="capannone carroponte")),
        ("resources", "sheds in Liguria >= 1000 m²", ResourceQuery(categories=("shed",), regions=("IT-42",),
                                                                    min_surface=1000)),
        ("resources", "text 'cnc' available", ResourceQuery(text="cnc", statuses=("available",))),
        ("resources", "for rent in a province", ResourceQuery(offers=("rent",), provinces=("IT-LI",))),
        ("resources", "first page, no filter", ResourceQuery()),
        # the public catalogue: its first page, its filters, a visitor's words
        ("catalogue", "first page", ResourceQuery(per_page=12)),
        ("catalogue", "a category in a region", ResourceQuery(categories=("shed",), regions=("IT-42",), per_page=12)),
        ("catalogue", "text 'tornio cnc'", ResourceQuery(text="tornio cnc", per_page=12)),
        ("catalogue", "a supply chain, for rent", ResourceQuery(supply_chains=("nautical_shipbuilding",),
                                                                offers=("rent",), per_page=12)),
    ]


def measure(url: str, repeats: int, clock: Callable[[], float] = time.perf_counter) -> list[tuple[str, str, list[float]]]:
    from databank import search_profiles, search_resources
    from databank.models import ProfileSkill
    from databank.public import catalogue
    from engine import Actor
    from engine.db import make_engine, make_session_factory
    from sqlalchemy import select

    engine = make_engine(url)
    sessions = make_session_factory(engine)
    operator = Actor.of("bench-op", ["operator"], ["genova"])
    with sessions() as session:
        skill = session.scalar(select(ProfileSkill.key).where(ProfileSkill.esco_uri.is_not(None))
                               .order_by(ProfileSkill.id).limit(1))
    searches = []
    for kind, name, query in typical_searches():
        if kind == "profiles" and query.skills:
            query = type(query)(**{**query.__dict__, "skills": (skill,)})
        searches.append((kind, name, query))
    def visitor(session: Any, _actor: Any, query: Any, lang: str) -> Any:  # the public: no actor
        return catalogue(session, query, lang)

    run: dict[str, Callable[..., Any]] = {"profiles": search_profiles, "resources": search_resources,
                                          "catalogue": visitor}
    timings: dict[tuple[str, str], list[float]] = {(kind, name): [] for kind, name, _ in searches}
    for kind, name, query in searches:  # warm up: caches, the FTS check
        with sessions() as session:
            run[kind](session, operator, query, "it")
    for _ in range(repeats):
        for kind, name, query in searches:
            with sessions() as session:  # one session per search, as one web request
                started = clock()
                run[kind](session, operator, query, "it")
                timings[(kind, name)].append((clock() - started) * 1000)
    engine.dispose()
    return [(kind, name, timings[(kind, name)]) for kind, name, _ in searches]


def measure_lookup(url: str, repeats: int, clock: Callable[[], float] = time.perf_counter) -> list[float]:
    """The baseline of the same run: one profile read by its id through the same stack (a session per
    request, SQLAlchemy, SQLite), in ms."""
    from databank.models import Profile
    from engine.db import make_engine, make_session_factory

    engine = make_engine(url)
    sessions = make_session_factory(engine)
    rng = random.Random(3)
    with sessions() as session:
        last = session.scalar(text("SELECT max(id) FROM databank_profiles")) or 1
    times = []
    for i in range(repeats + 10):
        with sessions() as session:
            started = clock()
            session.get(Profile, rng.randint(1, last))
            if i >= 10:  # the first ones warm up
                times.append((clock() - started) * 1000)
    engine.dispose()
    return times


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def run(quick: bool = False, database: str | None = None) -> list[dict[str, Any]]:
    """The rows of the databank section, on SQLite or, with `database` (a PostgreSQL URL), on a scratch
    database beside it."""
    from engine.db import upgrade

    from .databases import kind, scratch_database

    profiles, resources = QUICK if quick else FULL
    repeats = 5 if quick else 20
    with tempfile.TemporaryDirectory(prefix="opera-bench-databank-") as tmp, \
            scratch_database(database, "databank", Path(tmp)) as url:
        upgrade(url)
        seconds = generate(url, profiles, resources)
        lookup = measure_lookup(url, 200)
        results = measure(url, repeats)
        # CPU time of this process (SQLite runs in it): what a search costs when the machine is busy
        cpu = measure(url, max(3, repeats // 4), time.process_time)
    every = [t for _, _, times in results for t in times]
    cpu_all = [t for _, _, times in cpu for t in times]
    baseline = _p(lookup, 0.5)
    typical = _p(every, 0.95)

    def row(name: str, value: float, unit: str = "ms", target: str = "", ok: bool | None = None) -> dict[str, Any]:
        return {"name": name, "value": round(value, 1), "unit": unit, "target": target, "ok": ok}

    db = kind(url)
    rows = [row(f"generate {profiles:,} profiles + {resources:,} resources ({db})", seconds, "s"),
            row(f"baseline: one profile by id (session.get) p50 ({db})", baseline * 1000, "µs")]
    for what in ("profiles", "resources", "catalogue"):
        times = [t for k, _, ts in results if k == what for t in ts]
        rows.append(row(f"{what} search p50 (text, filters, facets, page 1) ({db})", _p(times, 0.5)))
        rows.append(row(f"{what} search p95 ({db})", _p(times, 0.95), target=f"< {TARGET_MS:g} ms",
                        ok=_p(times, 0.95) < TARGET_MS))
    rows += [
        row(f"typical searches p50 ({len(results)} kinds x {repeats}) ({db})", _p(every, 0.5)),
        row(f"typical searches p95 ({len(results)} kinds x {repeats}) ({db})", typical, target=f"< {TARGET_MS:g} ms",
            ok=typical < TARGET_MS),
        row(f"  p95 / baseline (the same run; less dependent on the machine) ({db})", typical / baseline, "x"),
        # CPU time is unaffected by what else the machine is doing (of this process: SQLite's work, not
        # PostgreSQL's server)
        row(f"  same searches, CPU time of this process p50 ({db})", _p(cpu_all, 0.5)),
        row(f"  same searches, CPU time of this process p95 ({db})", _p(cpu_all, 0.95)),
    ]
    for what, name, times in sorted(results, key=lambda r: -_p(r[2], 0.95)):  # slowest first
        rows.append(row(f"  {what}: {name}, p95 (p50 {_p(times, 0.5):.1f} ms) ({db})", _p(times, 0.95)))
    return rows


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    quick = "--quick" in argv
    database = argv[argv.index("--database") + 1] if "--database" in argv else None
    rows = run(quick, database)
    width = max(len(r["name"]) for r in rows)
    for r in rows:
        verdict = "" if r["ok"] is None else ("PASS" if r["ok"] else "FAIL")
        print(f"{r['name']:<{width}}  {r['value']:>8} {r['unit']:<3} {r['target']:<10} {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
