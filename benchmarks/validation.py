"""How long checking pathway files takes: the shipped directory, and a generated 300-stage pathway as dense
as the shipped ones — each as the whole `opera pathways validate` process (what a designer waits for), and
in process.

The 300-stage figure is also given as a ratio to parsing the same file alone, so that it says how much the
checks add to the unavoidable cost of reading the YAML, whatever the machine.
"""
from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, TypeVar

from engine.library import FRAGMENT_DIR, check_directory, pathway_files
from engine.loader import parse_text
from engine.validation import check_source

from .generate import branching_pathway, write_pathway

T = TypeVar("T")


def timed(fn: Callable[[], T]) -> tuple[float, T]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def median_seconds(fn: Callable[[], object], repeats: int, *, first: float | None = None) -> float:
    """Median of `repeats` runs; `first` is a run already timed (slow checks are not run once for nothing)."""
    times = [first] if first is not None else []
    times += [timed(fn)[0] for _ in range(repeats - len(times))]
    return statistics.median(times)


@dataclass(frozen=True)
class ShippedTiming:
    files: int
    invalid: list[str]
    parse: float
    validate: float


def time_shipped(directory: Path, repeats: int) -> ShippedTiming:
    results, _ = check_directory(directory)  # once untimed: imports, schema compilation, file cache
    invalid = [c.file for c in results if not c.valid]
    # The parse baseline reads the same files as the check: pathways and their shared fragments.
    files = pathway_files(directory) + pathway_files(directory / FRAGMENT_DIR)
    texts = [(str(p), p.read_text(encoding="utf-8")) for p in files]
    parse = median_seconds(lambda: [parse_text(t, name) for name, t in texts], repeats)
    return ShippedTiming(len(results), invalid, parse, median_seconds(lambda: check_directory(directory), repeats))


@dataclass(frozen=True)
class LargeTiming:
    stages: int
    size: int  # bytes of YAML
    parse: float  # parse_text alone
    check: float  # parse_text + check_source: one file, one pass
    validate: float  # check_directory: what `opera check` and the library's sync do


def time_large(workdir: Path, stages: int, repeats: int) -> LargeTiming:
    path = write_pathway(branching_pathway(stages), workdir / "large")
    text = path.read_text(encoding="utf-8")
    first, (results, problems) = timed(lambda: check_directory(path.parent))
    # A benchmark of an invalid file would time the error path: refuse to report it.
    assert not problems and len(results) == 1 and results[0].valid and not results[0].warnings, \
        [p.format() for p in results[0].problems[:5]]
    return LargeTiming(
        stages, len(text.encode()),
        parse=median_seconds(lambda: parse_text(text, str(path)), repeats),
        check=median_seconds(lambda: check_source(parse_text(text, str(path)), {}), repeats),
        validate=median_seconds(lambda: check_directory(path.parent), repeats, first=first),
    )


@dataclass(frozen=True)
class ProcessTiming:
    wall: float  # median seconds, start to exit
    cpu: float  # median CPU seconds of the process (user + system)


def opera_command() -> list[str]:
    """The `opera` entry point of this environment (the script pip installed beside the interpreter)."""
    script = Path(sys.executable).parent / "opera"
    return [str(script)] if script.exists() else [sys.executable, "-m", "webui.cli"]


def time_command(args: list[str], repeats: int) -> ProcessTiming:
    """`opera ARGS` as a whole process, `repeats` times after one untimed run; exit status 0 required.

    The untimed run does what the first run on a machine does once: it fills the cache folder of compiled
    checks, and it writes the bytecode of the project's modules (as pip does when it installs them), even
    where PYTHONDONTWRITEBYTECODE is set: otherwise every timed run would compile the engine's source anew,
    which no installed `opera` does."""
    command = opera_command() + args
    first_run = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run(command, check=True, capture_output=True, env=first_run)
    walls, cpus = [], []
    for _ in range(repeats):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        walls.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return ProcessTiming(statistics.median(walls), statistics.median(cpus))
