"""The pathway example in the README is a valid pathway (against the shipped shared stages)."""
from __future__ import annotations

import re
import shutil

from engine.library import check_directory

from ..conftest import ROOT, SHIPPED_PATHWAYS


def test_the_readme_example_pathway_validates(tmp_path):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    example = re.search(r"```yaml\n(id: .*?)```", readme, re.S).group(1)
    shutil.copytree(SHIPPED_PATHWAYS / "shared", tmp_path / "shared")
    (tmp_path / "micro_start.yaml").write_text(example, encoding="utf-8")
    results, fragment_problems = check_directory(tmp_path)
    assert fragment_problems == []
    [checked] = results
    assert checked.problems == [], [p.format() for p in checked.problems]
    assert checked.pathway.stage_ids[-1] == "business_idea"
