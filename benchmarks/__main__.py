"""Run the benchmarks and print one table: `python -m benchmarks [--quick] [--check]`.

Absolute figures depend on the machine, so every target that can be is a ratio to a baseline measured in
the same run (raw sqlite3 for the engine, parsing alone for validation). Exit code 0 unless something
crashes, or with --check when a target is missed (for CI).
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from . import engine_steps, validation

SECTIONS = ("engine", "validation", "webui", "databank", "dashboard")

SHIPPED = Path(__file__).resolve().parent.parent / "pathways"
ENGINE_TARGET = 8.0  # floor / engine
SHIPPED_TARGET = 0.150  # seconds
LARGE_TARGET = 1.0  # seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short run (smoke test; figures are noisier)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--seconds", type=float, help="minimum engine run time (default 3, quick 0.5)")
    parser.add_argument("--stages", type=int, default=300, help="stages of the large generated pathway")
    parser.add_argument("--only", action="append", choices=SECTIONS,
                        help="run only these sections (repeatable; default: all)")
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
            engine_rate, cases = engine_steps.measure_engine(work, 6, seconds, 3 if args.quick else 20)
            floor_rate = engine_steps.measure_floor(work, cases, 6)
            wall_ratio = floor_rate.per_second / engine_rate.per_second
            cpu_ratio = floor_rate.per_cpu_second / engine_rate.per_cpu_second
            per_case = engine_steps.steps_per_case(6)
            row(f"engine steps/s ({cases} cases x {per_case} ops, 6 stages)", f"{engine_rate.per_second:,.0f} /s")
            row(f"raw sqlite3 floor steps/s ({floor_rate.steps} steps)", f"{floor_rate.per_second:,.0f} /s")
            row("floor / engine, wall clock", f"{wall_ratio:.1f}x")
            # The target is checked on CPU time: both run in this process (SQLite included), so the ratio
            # does not depend on what else the machine is doing.
            row("floor / engine, CPU time of the process", f"{cpu_ratio:.1f}x", f"<= {ENGINE_TARGET:g}x",
                cpu_ratio <= ENGINE_TARGET)

        if "validation" in sections:
            shipped = validation.time_shipped(SHIPPED, repeats)
            validity = "all valid" if not shipped.invalid else f"INVALID: {', '.join(shipped.invalid)}"
            row(f"validate shipped pathways ({shipped.files} files, {validity})", _ms(shipped.validate),
                f"< {_ms(SHIPPED_TARGET)}", shipped.validate < SHIPPED_TARGET)
            row("  parse only, shipped", _ms(shipped.parse))
            row("  validate / parse, shipped", f"{shipped.validate / shipped.parse:.1f}x")

            large = validation.time_large(work, args.stages, max(1, repeats // 2))
            row(f"parse {large.stages}-stage file ({large.size // 1024} KB)", _ms(large.parse))
            row(f"  parse + check_source, {large.stages} stages (one pass)", _ms(large.check))
            row(f"validate {large.stages} stages (check_directory, VALID)", _ms(large.validate),
                f"< {_ms(LARGE_TARGET)}", large.validate < LARGE_TARGET)
            row(f"  validate / parse, {large.stages} stages", f"{large.validate / large.parse:.1f}x")

        if "webui" in sections:
            from . import webui_pages

            for name, value, target, ok in webui_pages.rows(work, args.quick):
                row(name, value, target, ok)
        if "databank" in sections:
            from . import databank_search

            for r in databank_search.run(args.quick):
                row(r["name"], f"{r['value']} {r['unit']}".strip(), r["target"], r["ok"])
        if "dashboard" in sections:
            from . import dashboard

            for name, value, target, ok in dashboard.rows(work, args.quick):
                row(name, value, target, ok)

    _print_table(rows, ("benchmark", "value", "target", "result"))
    if args.quick:
        print("(quick run: figures are indicative only)")
    return 1 if args.check and missed else 0


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
