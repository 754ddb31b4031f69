"""`opera pathways validate` imports only what checking files needs: valid files load no module that is there to
explain a problem (jsonschema's error reports, difflib's suggestions), to compile translations (babel,
tempfile), or to turn the engine's refusals into sentences; a file with problems still gets every message."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import SHIPPED_PATHWAYS

ROOT = Path(__file__).resolve().parents[2]
NOT_NEEDED = ("flask", "sqlalchemy", "jsonschema", "babel", "difflib", "tempfile", "engine.errors", "databank")
PROBE = ("import sys\n"
         "from webui.cli import main\n"
         "watched = sys.argv[1].split(',')\n"
         "sys.argv = ['opera', 'pathways', 'validate', *sys.argv[2:]]\n"
         "try:\n"
         "    main()\n"
         "except SystemExit as end:\n"
         "    loaded = sorted(m for m in watched if m in sys.modules)\n"
         "    print('LOADED', ','.join(loaded), 'EXIT', end.code)\n")


def _validate(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", PROBE, ",".join(NOT_NEEDED), *args], capture_output=True,
                          text=True, timeout=120, cwd=ROOT)


def test_valid_files_load_no_module_for_explaining_problems() -> None:
    done = _validate(str(SHIPPED_PATHWAYS))
    assert done.stdout.strip().splitlines()[-1] == "LOADED  EXIT 0", (done.stdout, done.stderr)
    assert "startup.yaml: valid" in done.stderr


def test_a_file_with_problems_still_gets_its_suggestions(tmp_path: Path) -> None:
    (tmp_path / "shared").symlink_to(SHIPPED_PATHWAYS / "shared")
    text = (SHIPPED_PATHWAYS / "startup.yaml").read_text(encoding="utf-8")
    first_exit = text.index("to: ") + len("to: ")
    target = text[first_exit:text.index("\n", first_exit)].strip()
    (tmp_path / "startup.yaml").write_text(text[:first_exit] + target + "x" + text[first_exit + len(target):],
                                           encoding="utf-8")
    done = _validate(str(tmp_path))
    assert done.stdout.strip().splitlines()[-1].endswith("EXIT 1"), (done.stdout, done.stderr)
    line = text[:first_exit].count("\n") + 1
    assert f"startup.yaml:{line}:" in done.stdout and f"'{target}x'" in done.stdout and target in done.stdout
    assert "difflib" in done.stdout.strip().splitlines()[-1]  # the suggestion came from it, loaded when needed
