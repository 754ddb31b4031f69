"""`opera pathways migrate` (dry run by default) and `opera pathways diff` on a real database."""
from __future__ import annotations

import shutil

from click.testing import CliRunner

from engine.cli import main
from engine.models import Case

from ..conftest import FIXTURE_PATHWAYS
from .test_cases import finish_welcome, open_group


def test_migrate_previews_then_applies_and_diff_speaks_domain_words(service, sessions, library, db_url, tmp_path):
    on_study, v = open_group(service)
    finish_welcome(service, on_study, v)
    on_welcome, _ = open_group(service)
    old = library.active_revision_id("mini")
    folder = tmp_path / "pathways"
    shutil.copytree(FIXTURE_PATHWAYS, folder)
    mini = folder / "mini.yaml"
    mini.write_text(mini.read_text(encoding="utf-8").replace("id: study", "id: feasibility")
                    .replace("to: study", "to: feasibility").replace("field: study.", "field: feasibility.")
                    .replace("version: 1", "version: 2"), encoding="utf-8")
    runner = CliRunner()
    env = {"OPERA_DATABASE_URL": db_url}
    assert runner.invoke(main, ["pathways", "sync", "--pathways-dir", str(folder)], env=env).exit_code == 0
    new = library.active_revision_id("mini")
    assert new != old

    diff = runner.invoke(main, ["pathways", "diff", str(old), str(new), "--lang", "fr"], env=env)
    assert "étape « feasibility » ajoutée" in diff.output and "étape « study » supprimée" in diff.output

    preview = runner.invoke(main, ["pathways", "migrate", "mini"], env=env)
    assert preview.exit_code == 1  # one case cannot be mapped automatically
    assert f"case {on_study}: REFUSED study → ?" in preview.output
    assert f"case {on_welcome}: would migrate welcome → welcome (same stage)" in preview.output
    assert "dry run" in preview.output
    with sessions() as session:
        assert {session.get(Case, c).revision_id for c in (on_study, on_welcome)} == {old}

    applied = runner.invoke(main, ["pathways", "migrate", "mini", "--map", "study=feasibility", "--apply"], env=env)
    assert applied.exit_code == 0, applied.output
    with sessions() as session:
        moved = session.get(Case, on_study)
        assert (moved.revision_id, moved.stage_id) == (new, "feasibility")
        assert session.get(Case, on_welcome).revision_id == new
    bad = runner.invoke(main, ["pathways", "migrate", "mini", "--map", "nonsense"], env=env)
    assert bad.exit_code == 2 and "OLD=NEW" in bad.output
