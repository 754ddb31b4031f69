"""The CI run says how long each phase took (scripts/phase.sh for each step of `make test`, .ci/run the summary)."""
from __future__ import annotations

import os
import re
import subprocess

from tests.conftest import ROOT


def test_a_phase_says_its_time_and_result_and_keeps_the_status(tmp_path):  # noqa: ANN001
    log = tmp_path / "phases"
    env = {**os.environ, "PHASE_LOG": str(log)}
    passed = subprocess.run([str(ROOT / "scripts/phase.sh"), "SQLite suite", "true"], env=env, capture_output=True,
                            text=True)
    failed = subprocess.run([str(ROOT / "scripts/phase.sh"), "scenarios", "sh", "-c", "exit 3"], env=env,
                            capture_output=True, text=True)
    assert passed.returncode == 0 and re.search(r"== phase SQLite suite:\s+0m0[0-9]s  ok", passed.stdout)
    assert failed.returncode == 3 and "FAILED (3)" in failed.stdout
    assert [line.split("\t")[0::2] for line in log.read_text().splitlines()] == [["SQLite suite", "0"],
                                                                               ["scenarios", "3"]]


def test_ci_run_sums_up_every_phase_even_when_one_fails(tmp_path):  # noqa: ANN001
    # A stand-in for make: two phases as `make test` runs them, the second failing.
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "make").write_text(f"#!/bin/sh\n{ROOT}/scripts/phase.sh install true && "
                               f"{ROOT}/scripts/phase.sh 'PostgreSQL suite' false\n")
    (fake / "make").chmod(0o755)
    done = subprocess.run([str(ROOT / ".ci/run")], env={**os.environ, "PATH": f"{fake}:{os.environ['PATH']}"},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    summary = done.stdout.split("== time of each phase")[1]
    assert re.search(r"install\s+0m0\ds  ok", summary)
    assert re.search(r"PostgreSQL suite\s+0m0\ds  FAILED", summary)
    assert re.search(r"total\s+0m0\ds  FAILED", summary)
