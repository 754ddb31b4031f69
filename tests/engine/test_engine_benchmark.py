"""The engine benchmark's database (benchmarks/engine_steps.py): the running cases it preloads are cases the
engine reads like its own, and cases driven after them take the next ids."""
from __future__ import annotations

from sqlalchemy import func, select

from benchmarks import engine_steps
from engine.models import Case, Event


def test_preloaded_cases_read_like_the_engines_own_and_new_cases_come_after_them(db_url, tmp_path):  # noqa: ANN001
    service, doc, engine = engine_steps.make_service(tmp_path, 2, db_url)
    try:
        engine_steps.preload(engine, service.library.active_revision_id(doc["id"]), doc["id"], 30)
        with engine.connect() as connection:
            cases = connection.execute(select(Case).order_by(Case.id)).all()
            events = connection.execute(select(Event).order_by(Event.case_id)).all()
        assert [c.id for c in cases] == list(range(1, 31)) and {c.version for c in cases} == {1}
        assert {(c.status, c.stage_id, c.title) for c in cases[:1]} == {("active", "s000", "Case 1")}
        assert cases[0].supply_chains == [] and cases[0].opened_at.tzinfo is not None
        assert [(e.case_id, e.seq, e.type) for e in events] == [(i, 1, "case_opened") for i in range(1, 31)]
        assert events[0].data == {"pathway": doc["id"], "members": ["w1"]} and events[0].actor_roles == ["operator"]
        assert engine_steps.run_case(service, doc, 1) == engine_steps.steps_per_case(2)
        with engine.connect() as connection:
            assert connection.execute(select(func.max(Case.id))).scalar_one() == 31
    finally:
        engine.dispose()
