"""The engine benchmark's database (benchmarks/engine_steps.py): the running cases it preloads are cases the
engine reads like its own, and cases driven after them take the next ids."""
from __future__ import annotations

from sqlalchemy import func, inspect, select

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


def test_the_engines_database_has_the_schema_of_production(tmp_path):  # noqa: ANN001
    """Made by the migrations, with their triggers and the web UI's index of news on the events, which every
    event written is checked against (not by the engine's models alone)."""
    _service, _doc, engine = engine_steps.make_service(tmp_path, 2)  # a new SQLite file
    try:
        with engine.connect() as connection:
            assert inspect(connection).has_table("alembic_version")
            assert "ix_events_news" in {i["name"] for i in inspect(connection).get_indexes("events")}
    finally:
        engine.dispose()


def test_the_engine_is_compared_pair_by_pair_and_the_verdict_is_the_median_pairs():
    """A spell where the machine ran at half speed slows the engine and the peer of the same pair alike: the
    pair's ratio holds, where the ratio of separate medians (a fast engine run against a slow peer run, or
    the reverse) would not."""
    from benchmarks.__main__ import comparison_rows

    rate = lambda steps_per_cpu_second: engine_steps.Rate(1000, 1.0, 1000 / steps_per_cpu_second)  # noqa: E731
    engine = [rate(900), rate(450), rate(1000)]  # the second pair ran in a slow spell
    floors = [rate(6300), rate(3000), rate(7500)]
    peers = [rate(280), rate(152), rate(310)]  # engine / peer: 3.21, 2.96, 3.23
    rows = {name.strip(): (value, ok) for name, value, _target, ok in
            comparison_rows("SQLite", 100, engine, floors, peers)}
    assert rows["engine / SpiffWorkflow, CPU time"] == ("3.2x (3.2, 3.0, 3.2)", True)
    assert rows["floor / engine, CPU time"] == ("7.0x (7.0, 6.7, 7.5)", True)
    peers[2] = rate(340)  # the median pair now misses: 3.21, 2.96, 2.94
    rows = {name.strip(): (value, ok) for name, value, _target, ok in
            comparison_rows("SQLite", 100, engine, floors, peers)}
    assert rows["engine / SpiffWorkflow, CPU time"] == ("3.0x (3.2, 3.0, 2.9)", False)
    assert comparison_rows("SQLite", 100, engine[:1], floors[:1], [None])[-1][1:] == (
        "not installed: pip install -e '.[bench]'", ">= 3x", False)


def test_a_reference_pair_too_short_to_measure_is_run_again_with_more_cases(tmp_path, monkeypatch):  # noqa: ANN001
    """The difference of a reference's two runs (N and 2N cases) is kept only once it holds enough work to
    stand above the noise of starting a process; until then the pair runs again with twice the cases."""
    script = tmp_path / "reference.py"
    # 0.1 ms of CPU a case, and its time said as that (a wall clock would count a busy machine's waits too)
    script.write_text(
        "import json, sys, time\n"
        "cases = int(sys.argv[1])\n"
        "end = time.process_time() + cases * 0.0001\n"
        "while time.process_time() < end: pass\n"
        "print(json.dumps({'steps': 6 * cases, 'seconds': cases * 0.0001}))\n")
    monkeypatch.setitem(engine_steps.SCRIPTS, (engine_steps.FLOOR, "SQLite"), script)
    monkeypatch.setattr(engine_steps, "MIN_REFERENCE_SECONDS", 0.05)
    rate = engine_steps.measure_reference(engine_steps.FLOOR, tmp_path, 50)
    # 50, 100, 200 and 400 cases hold 5 to 40 ms of work in their difference; 800 cases hold 80 ms
    assert rate is not None and rate.steps == 6 * 800
    assert rate.seconds >= 0.05 and rate.cpu_seconds > 0.05
