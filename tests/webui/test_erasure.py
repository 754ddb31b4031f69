"""Erasure erases: after erasing a worker with a databank profile, a document named after them in a group case,
notes and events, their name, e-mail and phone are nowhere — not in the database's files (SQLite: the raw bytes
of the file and its write-ahead log; PostgreSQL: every text column of every table) nor in the file store —
while the case they followed alone is closed with the erasure as its reason."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from databank import Databank
from databank.models import Profile
from engine.cases import Actor, Member
from engine.models import Case, Event
from engine.personal_data import ERASED_NAME, ERASURE_REASON, NameScrubber
from tests.engine.test_check import assert_no_problems
from tests.webui.conftest import PEOPLE, open_case
from tests.webui.test_notifications import smtp  # noqa: F401 - the SMTP server fixture
from tests.webui.test_portal_personal_data import ANNA, anna_everywhere
from webui.models import CaseNote

OPERATOR = PEOPLE["operator"].actor
PRIVATE_EMAIL = "anna.private@example.org"
PHONE = "+39 010 555 0101"
NEEDLES = ("Anna Rossi", ANNA.email, PRIVATE_EMAIL, PHONE, ANNA.id)  # her id too: ids may be made of names


def anna_profile(app, sessions, files, service) -> int:  # noqa: ANN001
    databank = Databank(sessions, files, service)
    return databank.create_profile(OPERATOR, {
        "desk_id": "genova", "person_id": ANNA.id, "display_name": "Anna Rossi", "email": PRIVATE_EMAIL,
        "phone": PHONE, "summary": "Anna Rossi welded hulls for twenty years.", "years_experience": 20,
        "skills": ["saldatura navale [4]"], "region": "IT-42", "province": "IT-GE", "municipality": "Genova",
        "mobility": "region", "availability": "available", "supply_chains": ["nautical_shipbuilding"],
    }).id


def raw_hits(app, db_engine, files) -> list[str]:  # noqa: ANN001
    """Where the needles still are: the database's own storage, and every stored file."""
    hits = []
    if db_engine.dialect.name == "sqlite":
        path = Path(make_url(str(db_engine.url)).database)
        for part in (path, Path(f"{path}-wal")):
            content = part.read_bytes().lower() if part.exists() else b""
            hits += [f"{part.name}: {n}" for n in NEEDLES if n.lower().encode() in content]
    else:
        with db_engine.connect() as connection:
            columns = connection.execute(text(
                "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' "
                "AND data_type IN ('text', 'character varying', 'character', 'json', 'jsonb')")).all()
            for table, column in columns:
                for needle in NEEDLES:
                    found = connection.execute(text(
                        f'SELECT count(*) FROM "{table}" WHERE strpos(lower("{column}"::text), lower(:n)) > 0'),
                        {"n": needle}).scalar()
                    if found:
                        hits.append(f"{table}.{column}: {needle}")
    for sha in files.stored():  # every stored file, on disk or in the database
        content = files.read(sha).lower()
        hits += [f"file {sha}: {n}" for n in NEEDLES if n.lower().encode() in content]
    return hits


def test_after_erasure_the_name_email_and_phone_are_nowhere_in_the_database_files_or_the_file_store(
        app, service, sessions, db_engine, as_role, smtp, files):  # noqa: F811
    group_case = anna_everywhere(service, sessions, as_role, app)
    profile_id = anna_profile(app, sessions, files, service)
    # She corrects her own profile: the audit log names her (by id) as who did it.
    databank = Databank(sessions, files, service)
    databank.update_profile(Actor.of(ANNA.id, ["worker"]), profile_id,
                            databank.get_profile(OPERATOR, profile_id)["version"], {"years_experience": 21})
    with sessions() as session:
        v = session.get(Case, group_case).version
    # A document the operator uploads about her, named after her (its bytes name her too).
    about_anna = b"%PDF-1.4\n% Contract of Anna Rossi, " + PHONE.encode() + b"\n%%EOF\n"
    v = service.attach_document(group_case, OPERATOR, v, "cv", "Contratto ANNA RÒSSI.pdf", about_anna,
                                member=ANNA.id).version
    # The case she follows alone, with her name in free text of its events.
    alone_case, w = open_case(service, pathway="startup", members=[Member(ANNA.id, "Anna Rossi")],
                              title="Anna Rossi's bakery")
    w = service.hold(alone_case, OPERATOR, w, f"Anna Rossi ({PHONE}) asked for a pause").version
    with sessions.begin() as session:
        session.add(CaseNote(case_id=group_case, kind="meeting", author_id=OPERATOR.id, place="Sestri",
                             body=f"Met anna rossi and Luca Ferrari; Anna's mail is {PRIVATE_EMAIL}"))
        session.add(CaseNote(case_id=alone_case, kind="note", author_id=OPERATOR.id, body="Rossi, Anna: ok"))
    assert raw_hits(app, db_engine, files)  # the search finds them before

    admin = as_role("admin")
    assert admin.post(f"/me/staff/people/{ANNA.id}/erase", data={"confirm": "Anna Rossi"}).status_code == 302

    hits = raw_hits(app, db_engine, files)
    assert hits == [], hits
    with sessions() as session:
        assert session.get(Profile, profile_id) is None
        alone = session.get(Case, alone_case)
        assert (alone.status, alone.outcome, alone.due_at) == ("closed", "withdrawn", None)
        last = list(session.scalars(select(Event).where(Event.case_id == alone_case).order_by(Event.seq)))[-2:]
        assert [e.type for e in last] == ["closed", "person_erased"]
        assert last[0].data["reason"] == ERASURE_REASON
        group = session.get(Case, group_case)
        assert group.status == "active"  # the others go on
        meeting = session.scalar(select(CaseNote).where(CaseNote.case_id == group_case, CaseNote.kind == "meeting"))
        assert "Luca Ferrari" in meeting.body and PRIVATE_EMAIL not in meeting.body
        documents = session.execute(text("SELECT filename, removed_at FROM case_documents WHERE case_id = :c"),
                                    {"c": group_case}).all()
        assert documents and all(d.filename == ERASED_NAME and d.removed_at for d in documents)
    # The logs are chained again and the rows are what the events say (`opera check`).
    assert_no_problems(sessions, files)
    # The timeline says why the case closed, in words.
    page = as_role("operator").get(f"/cases/{alone_case}")
    assert page.status_code == 200 and "Anna Rossi" not in page.text


def test_names_go_whole_as_words_ignoring_case_and_accents_longest_first():
    scrub = NameScrubber({"Anna", "Anna Rossi", "anna@x.example"})
    assert scrub("Anna Rossi signed") == f"{ERASED_NAME} signed"
    assert scrub("ANNA  RÒSSI and Annalisa; write to Anna@X.example.") == \
        f"{ERASED_NAME} and Annalisa; write to {ERASED_NAME}."
    assert scrub("Marianna came") == "Marianna came"  # a word, not a piece of one
    assert scrub("Anna's CV") == f"{ERASED_NAME}'s CV"
    assert NameScrubber(set())("Anna") == "Anna"
