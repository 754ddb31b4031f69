"""Run the benchmarks and print one table: `python -m benchmarks [--quick] [--check]`.

Absolute figures depend on the machine, so every target that can be is a ratio to a baseline measured in
the same run (raw sqlite3 for the engine, parsing alone for validation). Exit code 0 unless something
crashes, or with --check when a target is missed (for CI).
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import traceback
from pathlib import Path
from typing import Callable

from . import engine_steps, validation

SECTIONS = ("engine", "validation", "webui", "databank", "dashboard", "demo")

SHIPPED = Path(__file__).resolve().parent.parent / "pathways"
ENGINE_TARGET = 8.0  # floor / engine, at most
PEER_TARGET = 3.0  # engine / SpiffWorkflow, at least
ENGINE_STAGES = 6  # as the reference scripts' process
SHIPPED_TARGET = 0.300  # seconds: `opera pathways validate pathways/` as a whole process
LARGE_TARGET = 1.0  # seconds: the same for the 300-stage file


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short run (smoke test; figures are noisier)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--seconds", type=float, help="minimum engine run time (default 3, quick 0.5)")
    parser.add_argument("--cases", type=int, help="running cases in the engine's database (default 100000, quick 5000)")
    parser.add_argument("--stages", type=int, default=300, help="stages of the large generated pathway")
    parser.add_argument("--only", action="append", choices=SECTIONS,
                        help="run only these sections (repeatable; default: all)")
    parser.add_argument("--database", metavar="URL",
                        help="a PostgreSQL URL: every section that uses a database (engine, webui, databank, "
                             "dashboard, demo) runs on scratch databases beside it (URL's name + _engine, _floor, "
                             "_peer, _webui, _databank, _dashboard, _demo), made and dropped by the run; "
                             "default: SQLite files")
    args = parser.parse_args(argv)
    sections = set(args.only or SECTIONS)
    seconds = args.seconds if args.seconds is not None else (0.5 if args.quick else 3.0)
    repeats = 3 if args.quick else 7

    rows: list[tuple[str, str, str, str]] = []
    missed = 0

    def row(name: str, value: str, target: str = "", ok: bool | None = None) -> None:
        nonlocal missed
        missed += ok is False
        rows.append((name, value, target, "" if ok is None else ("PASS" if ok else "FAIL")))

    with tempfile.TemporaryDirectory(prefix="opera-bench-") as tmp:
        work = Path(tmp)
        if "engine" in sections:
            for name, value, target, ok in _engine_rows(work, seconds, args.quick, args.cases, args.database):
                row(name, value, target, ok)

        if "validation" in sections:
            shipped = validation.time_shipped(SHIPPED, repeats)
            validity = "all valid" if not shipped.invalid else f"INVALID: {', '.join(shipped.invalid)}"
            command = validation.time_command(["pathways", "validate", str(SHIPPED)], repeats)
            row(f"opera pathways validate pathways/ ({shipped.files} files, {validity}), whole process",
                _ms(command.wall), f"< {_ms(SHIPPED_TARGET)}", command.wall < SHIPPED_TARGET)
            row("  CPU time of the process", _ms(command.cpu))
            row("  in process (check_directory)", _ms(shipped.validate))
            row("  parse only, shipped", _ms(shipped.parse))
            row("  validate / parse, shipped", f"{shipped.validate / shipped.parse:.1f}x")

            large = validation.time_large(work, args.stages, max(1, repeats // 2))
            command = validation.time_command(["pathways", "validate", str(work / "large")], max(1, repeats // 2))
            row(f"opera pathways validate, {large.stages}-stage file ({large.size // 1024} KB, VALID), whole process",
                _ms(command.wall), f"< {_ms(LARGE_TARGET)}", command.wall < LARGE_TARGET)
            row("  CPU time of the process", _ms(command.cpu))
            row(f"  in process (check_directory), {large.stages} stages", _ms(large.validate))
            row(f"  parse only, {large.stages} stages", _ms(large.parse))
            row(f"  parse + check_source, {large.stages} stages (one pass)", _ms(large.check))
            row(f"  validate / parse, {large.stages} stages", f"{large.validate / large.parse:.1f}x")

        if "webui" in sections:
            from . import webui_pages

            for name, value, target, ok in _section("webui", webui_pages.rows, work, args.quick, args.database):
                row(name, value, target, ok)
        if "databank" in sections:
            from . import databank_search

            for r in databank_search.run(args.quick, args.database):
                row(r["name"], f"{r['value']} {r['unit']}".strip(), r["target"], r["ok"])
        if "dashboard" in sections:
            from . import dashboard

            for name, value, target, ok in _section("dashboard", dashboard.rows, work, args.quick, args.database):
                row(name, value, target, ok)
        if "demo" in sections:
            from . import demo_crawl

            for name, value, target, ok in _section("demo", demo_crawl.rows, work, args.quick, args.database):
                row(name, value, target, ok)

    _print_table(rows, ("benchmark", "value", "target", "result"))
    if args.quick:
        print("(quick run: figures are indicative only)")
    return 1 if args.check and missed else 0


def _engine_rows(work: Path, seconds: float, quick: bool, existing: int | None,
                 database: str | None = None) -> list[tuple[str, str, str, bool | None]]:
    """The engine against the two reference scripts, in paired runs (engine, floor, peer; three times), on
    SQLite files or, with `database`, on scratch PostgreSQL databases beside it (the references' ports). A
    ratio is taken within each pair, run minutes apart, so that a slower or busier spell of the machine
    weighs on both sides of it; the table gives the median of the pairs' ratios, and each of them."""
    from .databases import kind, scratch_database

    existing = existing if existing is not None else (5_000 if quick else 100_000)
    pairs = 1 if quick else 3
    engine_runs, floor_runs, peer_runs = [], [], []
    for i in range(pairs):
        run_dir = work / f"engine-{i}"
        run_dir.mkdir()
        with scratch_database(database, "engine", run_dir) as url:
            rate, _ = engine_steps.measure_engine(run_dir, ENGINE_STAGES, seconds, 3 if quick else 20, existing,
                                                  url if database else None)
        engine_runs.append(rate)
        with scratch_database(database, "floor", run_dir) as url:
            floor_runs.append(engine_steps.measure_reference(engine_steps.FLOOR, run_dir, 2_000, url))
        with scratch_database(database, "peer", run_dir) as url:
            peer_runs.append(engine_steps.measure_reference(engine_steps.PEER, run_dir, 50 if quick else 150, url))
    return comparison_rows(kind(url), existing, engine_runs, floor_runs, peer_runs, database)


def comparison_rows(on: str, existing: int, engine_runs: list, floor_runs: list, peer_runs: list,  # noqa: ANN001
                    database: str | None = None) -> list[tuple[str, str, str, bool | None]]:
    """The engine section's rows from its paired runs (a reference run that could not run is None)."""
    pairs = len(engine_runs)
    engine = _median_rate(engine_runs)
    rows: list[tuple[str, str, str, bool | None]] = [
        (f"engine steps/s on {on} ({existing:,} cases in the database, {pairs} runs, median)",
         f"{engine.per_second:,.0f} /s", "", None),
        ("  operations of a case", engine_steps.operation_mix(ENGINE_STAGES), "", None)]
    floor = _median_rate([r for r in floor_runs if r])
    rows.append((f"raw {on} floor steps/s ({_script(engine_steps.FLOOR, database)})", f"{floor.per_second:,.0f} /s",
                 "", None))
    floors = [(f, e) for f, e in zip(floor_runs, engine_runs) if f]
    rows.append(("  floor / engine, wall clock", _paired([f.per_second / e.per_second for f, e in floors]), "", None))
    floor_cpu = [f.per_cpu_second / e.per_cpu_second for f, e in floors]
    rows.append((f"  floor / engine, CPU time{_server_note(database)}", _paired(floor_cpu), f"<= {ENGINE_TARGET:g}x",
                 _median(floor_cpu) <= ENGINE_TARGET))
    peers = [(p, e) for p, e in zip(peer_runs, engine_runs) if p]
    peer_name = f"SpiffWorkflow steps/s on {on} ({_script(engine_steps.PEER, database)})"
    if not peers:
        rows.append((peer_name, "not installed: pip install -e '.[bench]'", f">= {PEER_TARGET:g}x", False))
        return rows
    peer = _median_rate([p for p, _e in peers])
    rows.append((peer_name, f"{peer.per_second:,.0f} /s", "", None))
    rows.append(("  engine / SpiffWorkflow, wall clock", _paired([e.per_second / p.per_second for p, e in peers]),
                 "", None))
    peer_cpu = [e.per_cpu_second / p.per_cpu_second for p, e in peers]
    rows.append((f"  engine / SpiffWorkflow, CPU time{_server_note(database)}", _paired(peer_cpu),
                 f">= {PEER_TARGET:g}x", _median(peer_cpu) >= PEER_TARGET))
    return rows


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def _paired(ratios: list[float]) -> str:
    """The median of the pairs' ratios, then each pair's in the order run (the median alone for one pair)."""
    median = f"{_median(ratios):.1f}x"
    return median if len(ratios) < 2 else f"{median} ({', '.join(f'{r:.1f}' for r in ratios)})"


def _script(which: str, database: str | None) -> str:
    return str(engine_steps.reference_script(which, database).relative_to(Path(__file__).resolve().parent))


def _server_note(database: str | None) -> str:
    return " (client + server)" if database else ""


def _section(name: str, produce: Callable[..., list[tuple[str, str, str, bool | None]]],
             *args: object) -> list[tuple[str, str, str, bool | None]]:
    """A section's rows; a section that breaks is one FAIL row (its error on stderr), and the others still run."""
    try:
        return produce(*args)
    except Exception as exc:  # noqa: BLE001 - any failure of a section is reported, not hidden
        traceback.print_exc()
        return [(f"{name}: broke ({type(exc).__name__}: {str(exc).splitlines()[0][:120] if str(exc) else ''})",
                 "", "runs", False)]


def _median_rate(rates: list) -> "engine_steps.Rate":  # noqa: ANN001
    """The run with the median speed (wall and CPU figures of the same run stay together)."""
    ordered = sorted(rates, key=lambda r: r.per_second)
    return ordered[len(ordered) // 2]


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms" if seconds >= 0.01 else f"{seconds * 1000:.1f} ms"


def _print_table(rows: list[tuple[str, ...]], header: tuple[str, ...]) -> None:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join("-" * w for w in widths)
    print(line)
    for r in [header, None, *rows]:
        if r is None:
            print(line)
            continue
        # Names left-aligned, figures right-aligned so that they line up by magnitude.
        print("  ".join(c.ljust(w) if i == 0 or i == 3 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
    print(line)


if __name__ == "__main__":
    sys.exit(main())
