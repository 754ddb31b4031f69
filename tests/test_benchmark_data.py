"""The data the web UI benchmark generates: cases with whole histories, on which the app carries on."""
from __future__ import annotations

from sqlalchemy import func, insert, select

from benchmarks import webui_pages
from engine.db import make_engine, make_session_factory
from engine.models import Case, CaseDocument, Event, SignOff, utcnow


def test_generated_cases_have_consistent_histories_and_the_app_writes_after_them(db_url):  # noqa: ANN001
    facts = webui_pages.generate(db_url, 40)
    engine = make_engine(db_url)
    try:
        with engine.connect() as connection:
            versions = dict(connection.execute(select(Case.id, Case.version)).all())
            counted = dict(connection.execute(select(Event.case_id, func.count()).group_by(Event.case_id)).all())
            last = dict(connection.execute(select(Event.case_id, func.max(Event.seq)).group_by(Event.case_id)).all())
            kinds = set(connection.execute(select(Event.type).distinct()).scalars())
            documents = connection.execute(select(func.count()).select_from(CaseDocument)).scalar_one()
            signoffs = connection.execute(select(func.count()).select_from(SignOff)).scalar_one()
            latest = connection.execute(select(func.max(Event.at))).scalar_one()
            opened = dict(connection.execute(select(Case.id, Case.opened_at)).all())
            first = dict(connection.execute(select(Event.case_id, func.min(Event.at)).group_by(Event.case_id)).all())
        assert facts["cases"] == len(versions) == 40 and facts["events"] == sum(counted.values())
        assert versions == counted == last  # every case's version is its last event, seq 1..version
        assert {"case_opened", "item_ticked", "document_attached", "form_submitted", "signed_off",
                "advanced"} <= kinds
        assert documents > 0 and signoffs > 0
        assert latest <= utcnow()  # no history runs past today
        assert all(opened[case] <= at for case, at in first.items())
        with make_session_factory(engine)() as session:  # read back as the app reads them
            case = session.get(Case, 1)
            event = session.scalars(select(Event).where(Event.case_id == 1, Event.seq == 1)).one()
            assert case.opened_at.tzinfo is not None and isinstance(case.supply_chains, list)
            assert event.type == "case_opened" and event.data["pathway"] == case.pathway_id
            assert event.actor_roles == ["operator"] and event.at.tzinfo is not None
        with engine.begin() as connection:  # the next event id comes after the generated ones (PostgreSQL)
            connection.execute(insert(Event).values(case_id=1, seq=versions[1] + 1, type="note_added",
                                                    actor_id="op.desk01", actor_roles=["operator"], at=utcnow(),
                                                    stage_id=None, data={}))
    finally:
        engine.dispose()
