"""The demo speaks the language of each desk: what the French desks wrote (form answers, parties, sign-off
comments) is French, what the Italian desks wrote is Italian."""
from __future__ import annotations

from sqlalchemy import select

from engine.models import Case, CaseParty, FormData, SignOff
from tests.webui.test_cli_and_demo import run
from webui.demo import _COMMENTS, _PARTY_NAMES, _SAMPLE_TEXTS, DESKS

FRENCH_DESKS = {desk for desk, _name, country, _region in DESKS if country == "FR"}


def _texts(lang: str) -> set[str]:
    return {*_SAMPLE_TEXTS[lang].values(), *_PARTY_NAMES[lang].values(), *_COMMENTS[lang].values()}


def test_the_french_desks_write_in_french_and_the_italian_desks_in_italian(db_url, tmp_path, sessions):  # noqa: ANN001
    assert run(db_url, tmp_path, "demo", "load").exit_code == 0
    written: dict[str, set[str]] = {"fr": set(), "it": set()}
    with sessions() as session:
        desk_of = dict(session.execute(select(Case.id, Case.desk_id)).all())

        def add(case_id: int, *texts: object) -> None:
            written["fr" if desk_of[case_id] in FRENCH_DESKS else "it"].update(t for t in texts if isinstance(t, str))

        for row in session.scalars(select(FormData)):
            add(row.case_id, *row.data.values())
        for party in session.scalars(select(CaseParty)):
            add(party.case_id, party.organisation.split(" (")[0])
        for signoff in session.scalars(select(SignOff)):
            add(signoff.case_id, signoff.comment)
    assert written["fr"] & _texts("it") == set()
    assert written["it"] & _texts("fr") == set()
    # Each side wrote a good share of its own texts: answers, parties and comments.
    assert len(written["fr"] & _texts("fr")) >= 10 and len(written["it"] & _texts("it")) >= 10
    assert written["fr"] & set(_PARTY_NAMES["fr"].values()) and written["fr"] & set(_COMMENTS["fr"].values())
