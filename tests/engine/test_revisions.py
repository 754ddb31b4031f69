"""Revisions of a pathway: the diff in domain words, and migrating running cases between revisions."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from engine import Actor, InvalidOperation, NotAllowed
from engine.library import check_directory
from engine.migration import plan_migration
from engine.models import Case
from engine.queries import timeline
from engine.revisions import diff_pathways, text_diff

from ..conftest import FIXTURE_PATHWAYS
from .test_cases import MENTOR, OPERATOR, finish_welcome, open_group

DESIGNER = Actor.of("des1", ["designer"])


def new_revision(tmp_path: Path, library, edit) -> int:  # noqa: ANN001
    """Copy the fixture pathways, let `edit` change mini's document, check it and register it."""
    folder = tmp_path / "edited"
    shutil.copytree(FIXTURE_PATHWAYS, folder)
    doc = yaml.safe_load((folder / "mini.yaml").read_text(encoding="utf-8"))
    edit(doc)
    text = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)
    (folder / "mini.yaml").write_text(text, encoding="utf-8")
    results, _ = check_directory(folder, [folder / "mini.yaml"])
    [checked] = results
    assert checked.valid, [p.format() for p in checked.errors]
    return library.register(checked.pathway, text, str(folder / "mini.yaml"), author="des1")


def stage(doc: dict, stage_id: str) -> dict:
    return next(s for s in doc["stages"] if s.get("id") == stage_id)


def rename_study(doc: dict) -> None:
    doc["version"] = 2
    study = stage(doc, "study")
    study["id"] = "feasibility"
    study["checklist"] = [{"id": "bank_met", "label": {"it": "Banca", "fr": "Banque", "en": "Bank met"}}]
    for s in doc["stages"]:
        for e in s.get("exits", []):
            if e.get("to") == "study":
                e["to"] = "feasibility"
    for e in study["exits"]:
        e["when"] = _rename_fields(e.get("when"))


def _rename_fields(cond):  # noqa: ANN001, ANN202
    if isinstance(cond, dict):
        return {k: (v.replace("study.", "feasibility.") if k == "field" else _rename_fields(v)) for k, v in cond.items()}
    if isinstance(cond, list):
        return [_rename_fields(c) for c in cond]
    return cond


def test_the_diff_lists_changes_in_domain_words(library, tmp_path):
    old_id = library.active_revision_id("mini")

    def edit(doc: dict) -> None:
        doc["version"] = 2
        study = stage(doc, "study")
        study["due_days"] = 45
        study["form"]["fields"].append({"id": "notes", "type": "text", "label": {"it": "Note", "fr": "Notes", "en": "Notes"}})
        study["exits"][0]["when"] = {"field": "study.viable", "eq": True}
        del study["documents"]
        doc["stages"].append({"id": "follow_up", "title": {"it": "Seguito", "fr": "Suivi", "en": "Follow-up"},
                              "exits": [{"id": "done", "label": {"it": "Fine", "fr": "Fin", "en": "Done"},
                                         "outcome": "coop_constituted"}]})
        stage(doc, "deed")["exits"][0] = {"id": "constituted", "label": stage(doc, "deed")["exits"][0]["label"],
                                          "to": "follow_up"}

    new_id = new_revision(tmp_path, library, edit)
    assert new_id != old_id and library.active_revision_id("mini") == new_id
    changes = diff_pathways(library.revision(old_id).pathway, library.revision(new_id).pathway)
    kinds = {(c.kind, c.stage, c.item) for c in changes}
    assert ("version_changed", None, None) in kinds
    assert ("stage_added", "follow_up", None) in kinds
    assert ("due_days_changed", "study", None) in kinds
    assert ("field_added", "study", "notes") in kinds
    assert ("requirement_removed", "study", "plan") in kinds
    assert ("exit_condition_changed", "study", "positive") in kinds
    assert ("exit_target_changed", "deed", "constituted") in kinds
    texts = [c.message("it") for c in changes]
    assert "fase 'follow_up' aggiunta (Seguito)" in texts
    assert "fase 'study': scadenza 45 giorni (era 30)" in texts


def test_the_text_diff_shows_the_changed_lines():
    lines = text_diff("a\nb\nc\n", "a\nB\nc\n", "v1", "v2")
    assert "-b" in lines and "+B" in lines and lines[0].startswith("--- v1")


def test_a_running_case_keeps_its_revision_until_migrated(service, sessions, library, tmp_path):
    case_id, v = open_group(service)
    v = finish_welcome(service, case_id, v)
    v = service.submit_form(case_id, OPERATOR, v, {"viable": True}).version
    old_id = library.active_revision_id("mini")
    new_id = new_revision(tmp_path, library, rename_study)
    with sessions() as session:
        case = session.get(Case, case_id)
        assert case.revision_id == old_id  # editing the pathway changed nothing for the case
        refused = plan_migration(session, library, case, new_id)
        assert not refused.safe and refused.refusal == "migration.unmapped"
        assert "study" in refused.reason("fr")
        bad = plan_migration(session, library, case, new_id, {"study": "nowhere"})
        assert bad.refusal == "migration.unknown_target"
        plan = plan_migration(session, library, case, new_id, {"study": "feasibility"})
        assert plan.safe and not plan.automatic
        assert [u.requirement for u in plan.newly_unmet] == ["bank_met"]  # the study form moves along
        assert session.get(Case, case_id).revision_id == old_id  # a preview changes nothing

    with pytest.raises(InvalidOperation) as refused_op:
        service.migrate(case_id, DESIGNER, v, new_id)
    assert "no longer exists" in refused_op.value.message("en")
    with pytest.raises(NotAllowed):
        service.migrate(case_id, OPERATOR, v, new_id, {"study": "feasibility"})
    v = service.migrate(case_id, DESIGNER, v, new_id, {"study": "feasibility"}).version
    with sessions() as session:
        case = session.get(Case, case_id)
        assert (case.revision_id, case.stage_id) == (new_id, "feasibility")
        assert timeline(session, case_id, "en")[-1].text == "des1 moved the case to revision 2 of the pathway."
    assert {u.requirement for u in service.missing(case_id)["positive"]} == {"bank_met", "plan", "review"}  # the moved form satisfies the condition


def test_migration_maps_automatically_where_the_stage_still_exists(service, sessions, library, tmp_path):
    case_id, v = open_group(service)
    v = finish_welcome(service, case_id, v)
    v = service.submit_form(case_id, OPERATOR, v, {"viable": True}).version
    v = service.sign_off(case_id, MENTOR, v, "review").version

    def add_item(doc: dict) -> None:
        doc["version"] = "1.1"
        stage(doc, "study")["checklist"] = [{"id": "visit", "label": {"it": "Visita", "fr": "Visite", "en": "Visit"}}]

    new_id = new_revision(tmp_path, library, add_item)
    with sessions() as session:
        plan = plan_migration(session, library, session.get(Case, case_id), new_id)
    assert plan.safe and plan.automatic and plan.to_stage == "study"
    assert [u.requirement for u in plan.newly_unmet] == ["visit"]
    v = service.migrate(case_id, Actor.of("adm", ["admin"]), v, new_id).version
    # Same stage, same visit: the mentor's sign-off still counts.
    assert "review" not in {u.requirement for u in service.missing(case_id)["positive"]}
    with sessions() as session:
        assert plan_migration(session, library, session.get(Case, case_id), new_id).refusal == "migration.same_revision"


def test_closed_cases_and_other_pathways_are_refused(service, sessions, library):
    case_id, v = open_group(service)
    service.withdraw(case_id, OPERATOR, v, "moved abroad")
    solo = library.active_revision_id("solo")
    with sessions() as session:
        case = session.get(Case, case_id)
        assert plan_migration(session, library, case, solo).refusal == "migration.closed"
        case.status = "active"  # not saved: only to check the next rule
        assert plan_migration(session, library, case, solo).refusal == "migration.other_pathway"
