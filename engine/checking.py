"""Checking a directory of pathway files against each other and their shared stages, with no database:
what `opera pathways validate` needs, imported without SQLAlchemy or the web framework."""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Iterable

from .loader import LoadError, Problem, SourceDocument, read_file
from .pathway import Pathway
from .validation import CheckedPathway, Fragment, check_source, load_fragment, target_problems

FRAGMENT_DIR = "shared"
SCENARIO_DIR = "scenarios"
PATHWAY_SUFFIXES = (".yaml", ".yml", ".json")


def pathway_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.is_file() and p.suffix in PATHWAY_SUFFIXES)


def load_fragments(directory: Path, shared: Path | None = None) -> tuple[dict[str, Fragment], list[Problem]]:
    """The shared stages of a pathways directory (its `shared/` folder, or `shared` when given)."""
    fragments: dict[str, Fragment] = {}
    problems: list[Problem] = []
    shared = shared if shared is not None else directory / FRAGMENT_DIR
    if shared.is_dir():
        for path in pathway_files(shared):
            fragment = load_fragment(path)
            fragments[fragment.id] = fragment
            problems.extend(fragment.problems)
    return fragments, problems


def check_directory(directory: Path, only: Iterable[Path] | None = None,
                    shared: Path | None = None) -> tuple[list[CheckedPathway], list[Problem]]:
    """Check all pathway files of a directory against each other (exits to other pathways, ids), with the
    shared stages of its `shared/` folder (or of `shared`)."""
    directory = Path(directory)
    shared = Path(shared) if shared is not None else directory / FRAGMENT_DIR
    fragments, fragment_problems = load_fragments(directory, shared)
    files = pathway_files(directory)
    # Read every file once; the ids tell which pathways exist before any file is checked.
    sources: dict[Path, SourceDocument | CheckedPathway] = {}
    for path in files:
        try:
            # read_file, not a bare open(): a file that cannot be read (permissions, I/O error, removed
            # meanwhile) is a located 'unreadable' problem, not an OSError that stops the whole directory.
            sources[path] = read_file(path)
        except LoadError as exc:
            sources[path] = CheckedPathway(str(path), None, [exc.problem])
    known = {s.data["id"] for s in sources.values() if isinstance(s, SourceDocument) and isinstance(s.data, dict)
             and isinstance(s.data.get("id"), str)}
    checked_all = {path: source if isinstance(source, CheckedPathway) else check_source(source, fragments, known)
                   for path, source in sources.items()}
    revisions = {c.pathway_id: c.pathway for c in checked_all.values() if c.pathway}
    # Assessments live beside the pathways (../assessments); where there are none, they are not checked.
    assessments_dir = directory.resolve().parent / "assessments"
    assessments = {p.stem for p in pathway_files(assessments_dir)} if assessments_dir.is_dir() else None
    recommended = recommended_pathways(assessments_dir) if assessments_dir.is_dir() else None
    wanted = [Path(p).resolve() for p in only] if only is not None else None
    results = []
    # A pathway id belongs first to the file named after it, whatever the listing order and the files
    # asked for: a misnamed copy (copy_of_startup.yaml) must not make the real startup.yaml a duplicate.
    owners: dict[str, str] = {}
    for path, checked in checked_all.items():
        if checked.pathway_id and path.stem == checked.pathway_id:
            owners.setdefault(checked.pathway_id, str(path))
    for path in files:
        if wanted is not None and path.resolve() not in wanted:
            continue
        checked = checked_all[path]
        checked.problems.extend(_cross_problems(checked, revisions, path, owners, assessments))
        if recommended is not None:
            checked.problems.extend(recommendation_problems(checked, recommended))
        if not fragments:  # a file checked away from the pathways: say where the shared stages were sought
            checked.problems = [dataclasses.replace(p, code="no_shared_stages", params={
                **p.params, "looked": str(shared)}) if p.code == "unknown_fragment" else p for p in checked.problems]
        results.append(checked)
    return results, fragment_problems


def recommended_pathways(assessments_dir: Path) -> dict[str, str]:
    """The pathways some assessment rule recommends (`rules: - pathway: <id>`), with the assessment's file;
    read leniently: a broken assessment file is the assessment checker's business."""
    found: dict[str, str] = {}
    for path in pathway_files(assessments_dir):
        try:
            data = read_file(path).data
        except LoadError:
            continue
        rules = data.get("rules") if isinstance(data, dict) else None
        for rule in rules if isinstance(rules, list) else []:
            if isinstance(rule, dict) and isinstance(rule.get("pathway"), str):
                found.setdefault(rule["pathway"], path.name)
    return found


def recommendation_problems(checked: CheckedPathway, recommended: dict[str, str]) -> list[Problem]:
    """A warning when no assessment rule recommends this pathway (`recommended`: pathway -> assessment)."""
    if checked.pathway is None or checked.source is None or checked.pathway.id in recommended:
        return []
    return [checked.source.problem("never_recommended", ("id",), "warning", pathway=checked.pathway.id,
                                   assessments=", ".join(sorted(set(recommended.values()))) or "-")]


def _cross_problems(checked: CheckedPathway, others: dict[str, Pathway | None], path: Path,
                    owners: dict[str, str], assessments: set[str] | None = None) -> list[Problem]:
    """Rules between files: one file per pathway id, named after it; exits land on existing stages."""
    out: list[Problem] = []
    doc = checked.source
    pathway_id = checked.pathway_id
    if doc is None or pathway_id is None:
        return out
    if owners.setdefault(pathway_id, str(path)) != str(path):
        out.append(doc.problem("duplicate_pathway", ("id",), id=pathway_id, other=owners[pathway_id]))
    if path.stem != pathway_id:
        out.append(doc.problem("pathway_name", ("id",), id=pathway_id, file=path.name))
    if checked.pathway is None:
        return out
    for stage_index, stage in enumerate(checked.pathway.stages):
        if stage.assessment and assessments is not None and stage.assessment.assessment_id not in assessments:
            out.append(_resolved_problem(checked, ("stages", stage_index, "assessment", "id"), "unknown_assessment",
                                         assessment=stage.assessment.assessment_id,
                                         known=", ".join(sorted(assessments)) or "-"))
    out.extend(target_problems(checked, others))
    if any(p.severity == "error" for p in out):
        checked.pathway = None
    return out


def _resolved_problem(checked: CheckedPathway, path: tuple, code: str, **params: object) -> Problem:
    assert checked.resolved is not None
    return checked.resolved.problem(code, path, **params)
