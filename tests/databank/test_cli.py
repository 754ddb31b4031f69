"""`opera databank ...` on a real database file."""
from __future__ import annotations

from click.testing import CliRunner

from databank.cli import databank

from .conftest import ESCO_FIXTURE, HEADER_CSV


def test_the_command_line_loads_esco_imports_and_exports(db_url, desks, tmp_path):
    runner = CliRunner()
    env = {"OPERA_DATABASE_URL": db_url}
    loaded = runner.invoke(databank, ["import-esco", str(ESCO_FIXTURE)], env=env)
    assert loaded.exit_code == 0, loaded.output
    assert "occupations_en.csv: 4 concepts" in loaded.output and "languages: en, fr, it" in loaded.output

    good = tmp_path / "people.csv"
    good.write_text(HEADER_CSV + "Anna Rossi,anna@example.org,saldatore\n", encoding="utf-8")
    checked = runner.invoke(databank, ["import", str(good), "--kind", "profiles", "--desk", "genova", "--dry-run"], env=env)
    assert checked.exit_code == 0 and "Nothing was written" in checked.output
    imported = runner.invoke(databank, ["import", str(good), "--kind", "profiles", "--desk", "genova", "--lang", "it"],
                             env=env)
    assert imported.exit_code == 0 and "1 create, 0 aggiornate." in imported.output

    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER_CSV + "Luca,not-an-email,\n", encoding="utf-8")
    refused = runner.invoke(databank, ["import", str(bad), "--kind", "profiles", "--desk", "genova"], env=env)
    assert refused.exit_code == 1 and "Row 2, column email" in refused.output

    out = tmp_path / "out.xlsx"
    exported = runner.invoke(databank, ["export", str(out), "--kind", "profiles", "--text", "welder"], env=env)
    assert exported.exit_code == 0 and out.read_bytes().startswith(b"PK")

    assert runner.invoke(databank, ["reindex"], env=env).exit_code == 0
