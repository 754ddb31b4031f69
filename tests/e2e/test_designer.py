"""A methodology designer, in a real browser: copies the start-up pathway into a new one; then adds a stage
to the start-up pathway itself, sees the error of a typo on its line, fixes it, saves a new revision, sees
its diagram and the diff, simulates it and migrates a running case to it."""
from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

from tests.webui.conftest import WORKERS, open_case
from tests.webui.test_designer import NEW_STAGE, app, pathways_dir  # noqa: F401 - the app on a copy of pathways/

OPERA = Path(sys.executable).with_name("opera")


def editor_text(page) -> str:  # noqa: ANN001
    return page.evaluate("document.querySelector('.CodeMirror').CodeMirror.getValue()")


def set_editor_text(page, text: str) -> None:  # noqa: ANN001
    page.evaluate("text => document.querySelector('.CodeMirror').CodeMirror.setValue(text)", text)


def test_designer_changes_a_pathway_checks_saves_simulates_and_migrates_a_case(new_page, live_server, service,
                                                                              pathways_dir):  # noqa: ANN001, F811
    case_id, _ = open_case(service, "startup", members=WORKERS[:1], title="Demo start-up")
    page = new_page("designer")
    page.goto(live_server + "/")
    page.get_by_role("link", name="Pathways", exact=True).click()
    # A new pathway starts as a copy: the editor opens on the copied text under the new id, version 1.
    page.select_option("#source", "startup")
    page.fill("#new_id", "startup_copy")
    with page.expect_navigation():
        page.get_by_role("button", name="Copy and edit").click()
    page.wait_for_selector(".CodeMirror")
    copied = editor_text(page)
    assert re.search(r"^id: startup_copy$", copied, re.M) and re.search(r"^version: 1$", copied, re.M)

    # The start-up pathway itself gets the new stage, so that its running case can move to it.
    page.get_by_role("link", name="Pathway library").click()
    page.locator("#pathway-startup").get_by_role("link", name="Edit").click()
    page.wait_for_selector(".CodeMirror")
    original = editor_text(page)
    next_version = int(re.search(r"^version: (\d+)$", original, re.M).group(1)) + 1  # a version not used yet
    changed = re.sub(r"^version: .*$", f"version: {next_version}", original, count=1,
                     flags=re.M).rstrip("\n") + "\n" + NEW_STAGE

    # A typo: the problem is listed with its line, and that line is marked in the editor.
    typo = changed.replace("role: mentor\n", "role: mentorr\n")
    line = typo.splitlines().index("        role: mentorr") + 1
    set_editor_text(page, typo)
    page.click("#editor-check")
    problem = page.locator(f'#editor-problems li[data-line="{line}"]')
    problem.wait_for()
    assert "mentorr" in problem.inner_text()
    marked = page.evaluate("n => document.querySelector('.CodeMirror').CodeMirror.lineInfo(n).bgClass", line - 1)
    assert marked == "editor-problem-line"

    set_editor_text(page, changed)
    page.click("#editor-check")
    page.wait_for_selector("#editor-problems .notice-success")
    page.click("#editor-preview")
    page.wait_for_selector('#editor-diagram svg [data-stage="legal_check"]')
    with page.expect_navigation():
        page.click("#editor-save")
    assert "/designer/revisions/" in page.url
    new_revision = int(page.url.rsplit("/", 1)[1])
    assert page.locator('.designer-diagram svg [data-stage="legal_check"]').count() == 1
    assert "id: legal_check" not in (pathways_dir / "startup.yaml").read_text()  # kept in the database

    # The diff with the revision the case runs on.
    page.get_by_role("button", name="Show the changes").click()
    changes = page.locator(".designer-changes").inner_text()
    assert "legal_check" in changes
    assert page.locator(".designer-diff .diff-add").count() > 3

    # Simulation: one step, its outcome, without touching the real case.
    page.goto(f"{live_server}/designer/revisions/{new_revision}/simulate")
    page.select_option("#sim-action", "tick")
    page.select_option("#sim-as", "operator")
    page.fill("#sim-item", "interview_held")
    with page.expect_navigation():
        page.click("#sim-do")
    assert page.locator("#sim-steps .step-done").count() == 1
    assert page.locator("#sim-exits .badge-missing").count() >= 1

    # Migration of the demo case to the new revision: preview, then apply.
    page.goto(f"{live_server}/designer/migrate/startup?target={new_revision}")
    page.check(f"#mig-pick-{case_id}")
    with page.expect_navigation():
        page.get_by_role("button", name="Preview").click()
    assert "First interview → First interview" in page.locator(f"#mig-case-{case_id}").inner_text()
    page.on("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.get_by_role("button", name="Migrate the picked cases").click()
    assert "Migrated." in page.locator(f"#mig-case-{case_id}").inner_text()
    assert page.errors == []


def test_the_designer_pages_have_no_serious_accessibility_violations(new_page, live_server, service):  # noqa: ANN001
    from tests.e2e.conftest import axe_violations

    case_id, _ = open_case(service, "startup", members=WORKERS[:1])
    page = new_page("designer")
    found = {}
    for url in ("/designer/", "/designer/revisions/1", "/designer/edit/startup", "/designer/revisions/1/simulate",
                "/designer/migrate/startup", "/designer/diff?old=1&new=2"):
        page.goto(live_server + url)
        found[url] = [v for v in axe_violations(page) if v["impact"] in ("serious", "critical")]
    assert found == {url: [] for url in found}


def opera(*args: str, database_url: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "OPERA_DATABASE_URL": database_url}
    return subprocess.run([str(OPERA), *args], env=env, capture_output=True, text=True, timeout=120, check=False)


def test_a_revision_saved_in_the_browser_stays_active_after_sync_until_it_is_exported(
        new_page, live_server, app, pathways_dir, db_url):  # noqa: ANN001, F811
    """One source of truth: the database. `opera pathways sync` from the command line does not bring the
    older file back; the file changes only when the revision is exported, with the usual permissions."""
    file_before = (pathways_dir / "startup.yaml").read_bytes()
    page = new_page("designer")
    page.goto(live_server + "/designer/")
    page.locator("#pathway-startup").get_by_role("link", name="Edit").click()
    page.wait_for_selector(".CodeMirror")
    original = editor_text(page)
    next_version = int(re.search(r"^version: (\d+)$", original, re.M).group(1)) + 1
    set_editor_text(page, re.sub(r"^version: .*$", f"version: {next_version}", original, count=1, flags=re.M)
                    .rstrip("\n") + "\n" + NEW_STAGE)
    with page.expect_navigation():
        page.click("#editor-save")
    saved = int(page.url.rsplit("/", 1)[1])
    assert app.extensions["opera"].library.active_revision_id("startup") == saved
    assert (pathways_dir / "startup.yaml").read_bytes() == file_before

    synced = opera("pathways", "sync", "--pathways-dir", str(pathways_dir), database_url=db_url)
    assert synced.returncode == 0, synced.stdout + synced.stderr
    assert f"version {next_version - 1} is lower than the active revision #{saved}" in synced.stdout
    assert app.extensions["opera"].library.active_revision_id("startup") == saved
    assert (pathways_dir / "startup.yaml").read_bytes() == file_before
    # The revision page, reloaded after the sync, still says it is the active one.
    page.goto(f"{live_server}/designer/revisions/{saved}")
    assert page.locator(".badge-ok", has_text="active").count() == 1

    exported = opera("pathways", "export", "startup", "--pathways-dir", str(pathways_dir), database_url=db_url)
    assert exported.returncode == 0, exported.stdout + exported.stderr
    text = (pathways_dir / "startup.yaml").read_text(encoding="utf-8")
    assert f"version: {next_version}" in text and "id: legal_check" in text
    assert stat.S_IMODE((pathways_dir / "startup.yaml").stat().st_mode) == 0o644
    again = opera("pathways", "sync", "--pathways-dir", str(pathways_dir), database_url=db_url)
    assert "startup.yaml: unchanged" in again.stdout, again.stdout
    assert app.extensions["opera"].library.active_revision_id("startup") == saved
    assert page.errors == []
