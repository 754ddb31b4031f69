"""The `opera` command line: validate, show and db upgrade, run in-process with click's CliRunner."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, inspect

from engine.cli import main

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "pathways"
SHIPPED = ROOT / "pathways"
LOCATED = re.compile(r"^(?P<file>[^\s:][^:]*):(?P<line>\d+):(?P<col>\d+): (?P<message>.+)$")


def run(*args: str):  # noqa: ANN201
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    """A copy of the fixtures where mini.yaml leads to a stage that does not exist."""
    directory = copy_fixtures(tmp_path / "pathways")
    mini = directory / "mini.yaml"
    mini.write_text(mini.read_text(encoding="utf-8").replace("to: deed", "to: dead"), encoding="utf-8")
    return directory


def copy_fixtures(target: Path) -> Path:
    """mini and solo (which include shared/welcome), on their own: other fixtures may come and go."""
    (target / "shared").mkdir(parents=True)
    for name in ("mini.yaml", "solo.yaml", "shared/welcome.yaml"):
        shutil.copy(FIXTURES / name, target / name)
    return target


def located_lines(output: str) -> list[re.Match]:
    return [m for m in map(LOCATED.match, output.splitlines()) if m]


# --- validate ---------------------------------------------------------------------------------------


def test_validate_exits_0_on_the_fixtures():
    result = run("pathways", "validate", str(FIXTURES))
    assert result.exit_code == 0, result.output
    assert f"{FIXTURES / 'mini.yaml'}: valid" in result.stderr
    assert f"{FIXTURES / 'solo.yaml'}: valid" in result.stderr
    assert located_lines(result.stdout) == []


def test_validate_exits_0_on_the_shipped_pathways():
    result = run("pathways", "validate", str(SHIPPED))
    assert result.exit_code == 0, result.output
    for name in ("startup", "spinoff", "wbo", "community_coop"):
        assert f"{SHIPPED / name}.yaml: valid" in result.stderr
    assert "warning" not in result.output


def test_validate_uses_the_pathways_directory_of_the_current_folder_by_default(monkeypatch):
    monkeypatch.delenv("OPERA_PATHWAYS_DIR", raising=False)
    monkeypatch.chdir(ROOT)
    result = run("pathways", "validate")
    assert result.exit_code == 0, result.output
    assert "pathways/wbo.yaml: valid" in result.stderr


def test_validate_exits_1_with_file_line_column_lines_on_a_broken_file(broken):
    result = run("pathways", "validate", str(broken))
    assert result.exit_code == 1
    lines = located_lines(result.stdout)
    mini = broken / "mini.yaml"
    dead_line = next(n for n, text in enumerate(mini.read_text().splitlines(), 1) if "to: dead" in text)
    assert [(m["file"], int(m["line"]), int(m["col"])) for m in lines][0] == (str(mini), dead_line, 9)
    assert lines[0]["message"] == "there is no stage 'dead' (closest: deed) (at stages[1].exits[0].to)"
    assert f"{mini}: INVALID" in result.stderr
    assert f"{broken / 'solo.yaml'}: valid" in result.stderr


def test_validate_prints_messages_in_italian_and_french(broken):
    italian = run("pathways", "validate", "--lang", "it", str(broken))
    assert italian.exit_code == 1
    assert "non esiste la fase 'dead' (la più simile: deed) (in stages[1].exits[0].to)" in italian.stdout
    french = run("pathways", "validate", "--lang", "fr", str(broken))
    assert "il n'y a pas d'étape « dead » (la plus proche : deed) (à stages[1].exits[0].to)" in french.stdout


def test_validate_refuses_an_unknown_language():
    result = CliRunner().invoke(main, ["pathways", "validate", "--lang", "de", str(FIXTURES)])
    assert result.exit_code == 2
    assert "'de' is not one of" in result.output


def test_validate_one_file_checks_it_against_its_directory(broken):
    result = run("pathways", "validate", str(broken / "solo.yaml"))
    assert result.exit_code == 0, result.output
    assert "mini.yaml" not in result.output  # the broken neighbour is not reported...
    result = run("pathways", "validate", str(broken / "mini.yaml"))
    assert result.exit_code == 1  # ...but a file is still checked with the shared stages of its folder
    assert "shared stages" not in result.stdout


def test_a_missing_translation_is_a_warning_that_fails_only_with_strict(tmp_path):
    directory = copy_fixtures(tmp_path / "pathways")
    solo = directory / "solo.yaml"
    solo.write_text(solo.read_text().replace("{it: Idea, fr: Idée, en: Idea}", "{it: Idea, en: Idea}"))
    relaxed = run("pathways", "validate", str(directory))
    assert relaxed.exit_code == 0
    warning = [m for m in located_lines(relaxed.stdout) if m["message"].startswith("warning: ")]
    assert len(warning) == 1 and "translation missing in: fr" in warning[0]["message"]
    assert f"{solo}: valid (1 warning(s))" in relaxed.stderr
    assert run("pathways", "validate", "--strict", str(directory)).exit_code == 1


def test_validate_reports_a_hostile_file_without_a_traceback(tmp_path):
    directory = tmp_path / "pathways"
    directory.mkdir()
    lol = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{n}: &{n} [" + ", ".join([f"*{p}"] * 9) + "]\n" for p, n in zip("abcdefgh", "bcdefghi"))
    (directory / "bomb.yaml").write_text(lol)
    (directory / "latin.yaml").write_bytes(b"id: latin\ntitle: caf\xe9\n")
    result = run("pathways", "validate", str(directory))
    assert result.exit_code == 1
    messages = {Path(m["file"]).name: m["message"] for m in located_lines(result.stdout)}
    assert "aliases included" in messages["bomb.yaml"]
    assert "not UTF-8" in messages["latin.yaml"]


def test_validate_says_so_when_there_is_nothing_to_check(tmp_path):
    result = run("pathways", "validate", str(tmp_path))
    assert result.exit_code == 1
    assert "no pathway files found" in result.stderr


def test_validating_a_fragment_file_alone_succeeds_when_it_is_valid():
    result = run("pathways", "validate", str(FIXTURES / "shared" / "welcome.yaml"))
    assert result.exit_code == 0, result.output


def test_validating_a_broken_fragment_file_alone_reports_it(tmp_path):
    directory = copy_fixtures(tmp_path / "pathways")
    welcome = directory / "shared" / "welcome.yaml"
    welcome.write_text(welcome.read_text().replace("due_days: 10", "due_days: ten"))
    result = run("pathways", "validate", str(welcome))
    assert result.exit_code == 1
    lines = located_lines(result.stdout)
    assert [(m["file"], m["message"]) for m in lines] == [
        (str(welcome), "expected integer, found string (at stages[0].due_days)")]


# --- show -------------------------------------------------------------------------------------------


def test_show_prints_the_stages_requirements_and_exits_of_a_pathway(monkeypatch):
    monkeypatch.chdir(ROOT)
    result = run("pathways", "show", "mini", "--pathways-dir", "tests/fixtures/pathways")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith("Mini pathway [mini v1, ")
    assert "roles: notary (Notary)" in out
    stages = re.findall(r"^(\d+)\. (.+) \[(\w+)", out, flags=re.M)
    assert stages == [("1", "Welcome", "welcome"), ("2", "Study", "study"), ("3", "Deed", "deed")]
    assert "1. Welcome [welcome, due in 10 days]" in out
    assert "   [ ] Consent (consent; required, each member; by worker, operator)" in out
    assert "   [ ] Leaflet handed over (leaflet; optional; by operator)" in out
    assert "   [doc] Plan (plan; required; pdf, docx, max 10 KB; by operator, worker)" in out
    assert "      - Sector* (sector: choice {nautical, tourism})" in out
    assert "   [sign-off] Review (review; 1 × mentor; not form_submitter)" in out
    assert "   ⇒ Continue [continue] → study" in out  # the fragment's $next, resolved
    assert "   ⇒ Positive [positive] → deed when (Viable = yes and Number of workers ≥ 3)" in out
    assert "   ⇒ Negative [negative] → pathway solo at idea when Viable = no (requires form)" in out
    assert "   ⇒ Constituted [constituted] → outcome coop_constituted" in out


def test_show_speaks_italian_with_lang_it():
    result = run("pathways", "show", "mini", "--pathways-dir", str(FIXTURES), "--lang", "it")
    assert result.exit_code == 0
    assert result.stdout.startswith("Mini percorso [mini v1, ")
    assert "1. Benvenuto [welcome" in result.stdout
    assert "Fattibile = sì e Numero di lavoratori ≥ 3" in result.stdout  # condition words follow the language


def test_show_of_an_unknown_pathway_exits_1_and_lists_the_known_ones():
    result = run("pathways", "show", "nope", "--pathways-dir", str(FIXTURES))
    assert result.exit_code == 1
    assert "no pathway 'nope'" in result.stderr
    known = re.search(r"\(known: (.*)\)", result.stderr).group(1).split(", ")
    assert {"mini", "solo"} <= set(known)
    assert result.stdout == ""


def test_show_of_an_invalid_pathway_exits_1_with_its_located_errors(broken):
    result = run("pathways", "show", "mini", "--pathways-dir", str(broken))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert f"{broken / 'mini.yaml'}:" in result.stderr and "there is no stage 'dead'" in result.stderr


# --- database ---------------------------------------------------------------------------------------


def test_db_upgrade_creates_the_tables_and_can_run_twice(tmp_path):
    target = tmp_path / "sub" / "opera.sqlite"
    url = f"sqlite:///{target}"
    result = run("db", "upgrade", "--database-url", url)
    assert result.exit_code == 0, result.output
    assert "database at the latest schema" in result.stdout
    engine = create_engine(url)
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert {"pathway_revisions", "pathway_sources", "cases", "alembic_version"} <= tables
    assert run("db", "upgrade", "--database-url", url).exit_code == 0


def test_sync_records_revisions_and_keeps_the_last_valid_one_for_a_broken_file(tmp_path, broken):
    url = f"sqlite:///{tmp_path / 'opera.sqlite'}"
    assert run("db", "upgrade", "--database-url", url).exit_code == 0
    result = run("pathways", "sync", "--pathways-dir", str(broken), "--database-url", url)
    assert result.exit_code == 1
    assert f"{broken / 'mini.yaml'}: INVALID, the last valid revision stays active" in result.stdout
    assert re.search(rf"^{re.escape(str(broken / 'solo.yaml'))}: revision #\d+ \(version 1\) is now the active one$",
                     result.stdout, flags=re.M)
    assert re.search(r"^    .+mini\.yaml:\d+:\d+: there is no stage 'dead'", result.stdout, flags=re.M)
    assert run("pathways", "sync", "--pathways-dir", str(FIXTURES), "--database-url", url).exit_code == 0


def test_a_file_checked_away_from_the_pathways_says_how_to_point_at_its_shared_stages(tmp_path):
    from tests.conftest import SHIPPED_PATHWAYS

    elsewhere = tmp_path / "drafts"
    elsewhere.mkdir()
    text = (SHIPPED_PATHWAYS / "startup.yaml").read_text(encoding="utf-8")
    (elsewhere / "startup.yaml").write_text(text, encoding="utf-8")
    alone = run("pathways", "validate", str(elsewhere / "startup.yaml"))
    assert alone.exit_code == 1
    assert f"none were found in {elsewhere / 'shared'}" in alone.output and "--shared" in alone.output
    pointed = run("pathways", "validate", "--shared", str(SHIPPED_PATHWAYS / "shared"), str(elsewhere / "startup.yaml"))
    assert "no shared stages" not in pointed.output and "there are no shared stages" not in pointed.output
    assert "startup.yaml: valid" in pointed.output, pointed.output


def test_validate_loads_no_web_framework_nor_database_layer() -> None:
    """`opera pathways validate` as its own process (the `opera` entry point): checking files imports
    neither Flask nor SQLAlchemy, and says the same as in-process."""
    probe = ("import sys\n"
             "from webui.cli import main\n"
             "sys.argv = ['opera', 'pathways', 'validate', sys.argv[1]]\n"
             "try:\n"
             "    main()\n"
             "except SystemExit as end:\n"
             "    loaded = sorted(m for m in ('flask', 'sqlalchemy', 'weasyprint', 'databank') if m in sys.modules)\n"
             "    print('LOADED', ','.join(loaded), 'EXIT', end.code)\n")
    done = subprocess.run([sys.executable, "-c", probe, str(SHIPPED)], capture_output=True, text=True,
                          timeout=120, cwd=ROOT)
    assert done.stdout.strip().splitlines()[-1] == "LOADED  EXIT 0", (done.stdout, done.stderr)
    assert "wbo.yaml: valid" in done.stderr
