"""The methodology designer's workbench: the pathway library, a revision's diagram, the editor (check,
preview, save as a new revision, drafts, copies, uploads, downloads), diffs, simulation and migration.

Designers and admins change things; operators read the library. Saving never changes a running case: it
records a new revision; moving cases to it is the separate, previewed migration.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from flask import (
    Blueprint, Response, abort, current_app, flash, jsonify, redirect, render_template, request, url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import func, select

from engine import policy
from engine.cli import describe_pathway
from engine.errors import EngineError
from engine.i18n import localize
from engine.library import SCENARIO_DIR, export_name, pathway_files
from engine.loader import LoadError, decode
from engine.migration import plan_migration
from engine.models import Case, PathwayRevision, PathwaySource
from engine.revisions import diff_pathways, text_diff
from engine.scenarios import ACTIONS, ScenarioRunner
from engine.simulation import describe_step, scenario_text, simulate, simulation_actors

from ..access import actor, may_enter, roles_required
from ..routing import database_id
from ..i18n import lang
from ..services import db, services
from . import operations
from . import simulation as simulation_steps
from .diagram import render_pathway_svg, stage_panel
from .forms import CopyPathwayForm, UploadPathwayForm
from .models import PathwayDraft, PathwaySave

bp = Blueprint("designer", __name__, template_folder="templates", static_folder="static")
EDIT_ROLES = policy.AREAS["designer_edit"]
READ_ROLES = policy.AREAS["designer"]
MAX_TEXT = 1024 * 1024


def _directory() -> Path | None:
    directory = current_app.config.get("PATHWAYS_DIR")
    return Path(directory) if directory else None


def _may_edit() -> bool:
    return may_enter("designer_edit")


def _revision_row(revision_id: int) -> PathwayRevision:
    row = db().get(PathwayRevision, revision_id)
    if row is None:
        abort(404)
    return row


def _pathway(revision_id: int):  # noqa: ANN202
    _revision_row(revision_id)
    return services().library.revision(revision_id, db()).pathway


def _others(pathway) -> dict[str, Any]:  # noqa: ANN001
    return simulation_steps.target_pathways(services().library, db(), pathway)


def _assessment_titles(pathway) -> dict[str, Any]:  # noqa: ANN001
    return simulation_steps.assessment_titles(services().assessments, db(), pathway)


def _steps_from(raw: str | None) -> list[dict[str, Any]]:
    try:
        return simulation_steps.steps_from(raw)
    except simulation_steps.BadSteps:
        abort(400)


def _svg(pathway, **kwargs) -> Markup:  # noqa: ANN001, ANN003
    return Markup(render_pathway_svg(pathway, lang(), others=_others(pathway),  # noqa: S704 - escaped
                                     assessment_titles=_assessment_titles(pathway), **kwargs))


# --- the library ------------------------------------------------------------------------------------

@bp.get("/")
@roles_required(*READ_ROLES)
def library():  # noqa: ANN201
    session = db()
    revisions = list(session.scalars(select(PathwayRevision).order_by(PathwayRevision.pathway_id,
                                                                      PathwayRevision.id.desc())))
    cases = dict(session.execute(select(Case.revision_id, func.count()).group_by(Case.revision_id)).all())
    running = dict(session.execute(select(Case.revision_id, func.count()).where(Case.status != "closed")
                                   .group_by(Case.revision_id)).all())
    sources = list(session.scalars(select(PathwaySource).order_by(PathwaySource.file)))
    drafts = list(session.scalars(select(PathwayDraft).order_by(PathwayDraft.id.desc()).limit(50))) \
        if _may_edit() else []
    pathways: dict[str, dict[str, Any]] = {}
    for row in revisions:
        entry = pathways.setdefault(row.pathway_id, {"revisions": [], "sources": [], "active": None})
        entry["revisions"].append(row)
    for source in sources:
        key = source.pathway_id or Path(source.file).stem
        entry = pathways.setdefault(key, {"revisions": [], "sources": [], "active": None})
        entry["sources"].append(source)
    for pid, entry in pathways.items():
        entry["active"] = operations.active_revision(session, pid)
    titles = {}
    for pid, entry in pathways.items():
        if entry["active"]:
            titles[pid] = localize(services().library.revision(entry["active"], session).pathway.title, lang())
    return render_template("designer/library.html", pathways=dict(sorted(pathways.items())), cases=cases,
                           running=running, titles=titles, drafts=drafts, may_edit=_may_edit(),
                           copy_form=CopyPathwayForm(), upload_form=UploadPathwayForm())


@bp.get("/revisions/<int:revision_id>")
@roles_required(*READ_ROLES)
def revision(revision_id: int):  # noqa: ANN201
    row = _revision_row(revision_id)
    pathway = services().library.revision(revision_id, db()).pathway
    others = list(db().scalars(select(PathwayRevision).where(PathwayRevision.pathway_id == row.pathway_id)
                               .order_by(PathwayRevision.id.desc())))
    saves = list(db().scalars(select(PathwaySave).where(PathwaySave.revision_id == revision_id)
                              .order_by(PathwaySave.id.desc())))
    cases = db().scalar(select(func.count()).select_from(Case).where(Case.revision_id == revision_id)) or 0
    active = operations.active_revision(db(), row.pathway_id)
    return render_template("designer/revision.html", row=row, pathway=pathway, svg=_svg(pathway),
                           not_in_directory=_not_in_directory(row) if row.id == active else None,
                           panel=stage_panel(pathway, lang(), _others(pathway), _assessment_titles(pathway)),
                           text=describe_pathway(pathway, lang()),
                           others=others, saves=saves, cases=cases, may_edit=_may_edit(), active=active)


def _not_in_directory(row: PathwayRevision) -> str | None:
    """The file name, when the pathways directory does not hold this revision's text (it was saved in the
    browser and not exported yet): the database has it, version control does not."""
    directory = _directory()
    if directory is None or not directory.is_dir():
        return None
    name = export_name(row.pathway_id, row.source_file)
    try:
        if (directory / name).read_text(encoding="utf-8") == row.source_text:
            return None
    except (OSError, UnicodeDecodeError):
        pass
    return name


@bp.get("/revisions/<int:revision_id>/diagram.svg")
@roles_required(*READ_ROLES, "mentor")  # the case page shows it to the mentors of the case too
def diagram(revision_id: int):  # noqa: ANN201
    pathway = _pathway(revision_id)
    svg = render_pathway_svg(pathway, request.args.get("lang") or lang(), current=request.args.get("current"),
                             others=_others(pathway), assessment_titles=_assessment_titles(pathway),
                             compact=request.args.get("compact") == "1")
    return Response(svg, mimetype="image/svg+xml")


@bp.get("/revisions/<int:revision_id>/download")
@roles_required(*READ_ROLES)
def download(revision_id: int):  # noqa: ANN201
    row = _revision_row(revision_id)
    name = export_name(row.pathway_id, row.source_file)
    return Response(row.source_text, mimetype="application/x-yaml",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/diff")
@roles_required(*READ_ROLES)
def diff():  # noqa: ANN201
    old_id = request.args.get("old", type=database_id)
    new_id = request.args.get("new", type=database_id)
    if old_id is None or new_id is None:
        abort(400)
    old_row, new_row = _revision_row(old_id), _revision_row(new_id)
    old, new = _pathway(old_id), _pathway(new_id)
    changes = [c.message(lang()) for c in diff_pathways(old, new)]
    lines = text_diff(old_row.source_text, new_row.source_text, f"#{old_id} v{old.version}", f"#{new_id} v{new.version}")
    return render_template("designer/diff.html", old_row=old_row, new_row=new_row, changes=changes, lines=lines)


# --- the editor -------------------------------------------------------------------------------------

def _problems_by_line(problems: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(problems, key=lambda p: (p["line"], p["column"]))


def _render_editor(*, pathway_id: str, file_name: str, text: str, base: int | None, problems=None,  # noqa: ANN001
                   preview=None, status: int = 200, checked: bool = False, suggested_version: str | None = None,  # noqa: ANN001
                   is_new: bool = False, theirs: int | None = None):  # noqa: ANN202
    conflict_lines = None
    if theirs is not None:  # what the other designer saved, against this text
        conflict_lines = text_diff(_revision_row(theirs).source_text, text, f"#{theirs}", _("your text"))
    return render_template(
        "designer/editor.html", pathway_id=pathway_id, file_name=file_name, text=text, base=base,
        problems=_problems_by_line(problems or []), preview=preview, checked=checked, is_new=is_new,
        suggested_version=suggested_version, theirs=theirs, conflict_lines=conflict_lines,
    ), status


@bp.get("/edit/<pathway_id>")
@roles_required(*EDIT_ROLES)
def edit(pathway_id: str):  # noqa: ANN201
    draft_id = request.args.get("draft", type=database_id)
    if draft_id is not None:
        draft = db().get(PathwayDraft, draft_id)
        if draft is None or draft.pathway_id != pathway_id:
            abort(404)
        return _render_editor(pathway_id=pathway_id, file_name=draft.file_name, text=draft.text,
                              base=operations.active_revision(db(), pathway_id), problems=draft.problems)[0]
    base = request.args.get("revision", type=database_id) or operations.active_revision(db(), pathway_id)
    if base is None:
        abort(404)
    row = _revision_row(base)
    if row.pathway_id != pathway_id:
        abort(404)
    file_name = _file_name(pathway_id)
    active = operations.active_revision(db(), pathway_id)
    return _render_editor(pathway_id=pathway_id, file_name=file_name, text=row.source_text, base=active)[0]


def _file_name(pathway_id: str) -> str:
    source = db().scalar(select(PathwaySource.file).where(PathwaySource.pathway_id == pathway_id,
                                                          PathwaySource.active_revision_id.is_not(None))
                         .order_by(PathwaySource.checked_at.desc()).limit(1))
    name = Path(source).name if source and not source.startswith("<") else f"{pathway_id}.yaml"
    return name if operations.FILE_NAME.match(name) else f"{pathway_id}.yaml"


def _editor_fields() -> tuple[str, str, str, int | None]:
    text = request.form.get("text", "").replace("\r\n", "\n")
    if len(text.encode()) > MAX_TEXT:
        abort(413)
    file_name = request.form.get("file_name", "")
    if not operations.FILE_NAME.match(file_name):
        abort(400)
    base = request.form.get("base", type=database_id)
    return Path(file_name).stem, file_name, text, base


@bp.post("/edit")
@roles_required(*EDIT_ROLES)
def edit_post():  # noqa: ANN201
    """The editor's form, also without JavaScript: check, preview or save."""
    pathway_id, file_name, text, base = _editor_fields()
    is_new = request.form.get("new") == "1"
    action = request.form.get("action", "check")
    version = (request.form.get("version") or "").strip()
    if version and action == "save":
        text = operations.replace_top_value(text, "version", version)
    library = services().library
    if action in ("check", "preview"):
        checked = operations.check_text(library, _directory(), file_name, text, _recommended())
        problems = operations.problem_dicts(checked.problems, lang(), file_name)
        preview = _svg(checked.pathway) if action == "preview" and checked.pathway is not None else None
        return _render_editor(pathway_id=pathway_id, file_name=file_name, text=text, base=base, problems=problems,
                              preview=preview, checked=True, is_new=is_new,
                              status=200 if checked.valid else 422)
    if action != "save":
        abort(400)
    result = operations.save_pathway(library, services().sessions, _directory(), file_name, text, base,
                                     current_user.id)
    if result.status in ("saved", "unchanged"):
        if result.status == "saved":
            flash(_("Saved as a new revision. Running cases keep their revision until they are migrated."),
                  "success")
        else:
            flash(_("Nothing changed: this text is already a revision."), "info")
        return redirect(url_for("designer.revision", revision_id=result.revision_id))
    if result.status == "conflict":
        flash(_("Someone else saved this pathway after you opened it. Your text is kept as a draft and stays "
                "in the editor: compare it with the latest revision before saving again."), "error")
        # The form now starts from their revision: saving again, after reading the differences, is a choice.
        return _render_editor(pathway_id=pathway_id, file_name=file_name, text=text, base=result.active_revision_id,
                              status=409, is_new=is_new, theirs=result.active_revision_id)
    if result.status == "version_taken":
        flash(_("This version is already used by another revision: give this one a new version."), "error")
        return _render_editor(pathway_id=pathway_id, file_name=file_name, text=text, base=base, status=409,
                              suggested_version=result.version, is_new=is_new)
    flash(_("The file has errors: it is kept as a draft and does not become a revision."), "error")
    return _render_editor(pathway_id=pathway_id, file_name=file_name, text=text, base=base, status=422,
                          problems=operations.problem_dicts(result.problems, lang(), file_name), checked=True,
                          is_new=is_new)


@bp.post("/check")
@roles_required(*EDIT_ROLES)
def check_json():  # noqa: ANN201
    """The editor's check, for its script: the problems with their lines, and the diagram if valid."""
    data = request.get_json(silent=True) or {}
    text, file_name = str(data.get("text", "")), str(data.get("file_name", ""))
    if not operations.FILE_NAME.match(file_name) or len(text.encode()) > MAX_TEXT:
        abort(400)
    checked = operations.check_text(services().library, _directory(), file_name, text, _recommended())
    return jsonify({
        "valid": checked.valid,
        "problems": _problems_by_line(operations.problem_dicts(checked.problems, lang(), file_name)),
        "summary": ngettext("%(num)d problem found.", "%(num)d problems found.", len(checked.problems)),
        "svg": render_pathway_svg(checked.pathway, lang(), others=_others(checked.pathway),
                                  assessment_titles=_assessment_titles(checked.pathway))
        if data.get("preview") and checked.pathway else None,
    })


@bp.post("/new")
@roles_required(*EDIT_ROLES)
def new_pathway():  # noqa: ANN201
    form = CopyPathwayForm()
    form.source.choices = [(str(pid), str(pid)) for pid in services().library.pathway_ids()]
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(str(error), "error")
        return redirect(url_for("designer.library"))
    new_id = form.new_id.data
    if operations.active_revision(db(), new_id) is not None:
        flash(_("A pathway with this identifier exists already."), "error")
        return redirect(url_for("designer.library"))
    source = _revision_row(operations.active_revision(db(), form.source.data) or 0)
    text = operations.copy_text(source.source_text, new_id)
    return _render_editor(pathway_id=new_id, file_name=f"{new_id}.yaml", text=text, base=None, is_new=True)[0]


@bp.post("/upload")
@roles_required(*EDIT_ROLES)
def upload():  # noqa: ANN201
    """An uploaded file opens in the editor, checked: saving it is the designer's next, deliberate step."""
    form = UploadPathwayForm()
    if not form.validate_on_submit():
        abort(400)
    storage = form.file.data
    raw = storage.read(MAX_TEXT + 1)
    if len(raw) > MAX_TEXT:
        abort(413)
    name = Path(storage.filename or "").name.lower()
    try:
        text = decode(raw, name)
    except LoadError as exc:
        flash(exc.problem.message(lang()), "error")
        return redirect(url_for("designer.library"))
    pathway_id = operations.top_value(text, "id") or Path(name).stem
    if not operations.FILE_NAME.match(f"{pathway_id}.yaml"):
        flash(_("The file has no valid pathway identifier (id)."), "error")
        return redirect(url_for("designer.library"))
    suffix = Path(name).suffix if Path(name).suffix in (".yaml", ".yml", ".json") else ".yaml"
    file_name = f"{pathway_id}{suffix}"
    base = operations.active_revision(db(), pathway_id)
    checked = operations.check_text(services().library, _directory(), file_name, text, _recommended())
    return _render_editor(pathway_id=pathway_id, file_name=file_name, text=text, base=base, checked=True,
                          problems=operations.problem_dicts(checked.problems, lang(), file_name),
                          is_new=base is None)[0]


# --- simulation -------------------------------------------------------------------------------------

@bp.route("/revisions/<int:revision_id>/simulate", methods=["GET", "POST"])
@roles_required(*EDIT_ROLES)
def simulation(revision_id: int):  # noqa: ANN201
    pathway = _pathway(revision_id)
    members = max(request.values.get("members", type=int) or pathway.group_min, pathway.group_min)
    members = min(members, pathway.group_max or 12, 12)
    steps = _steps_from(request.form.get("steps")) if request.method == "POST" else []
    if request.method == "POST":
        if request.form.get("undo") and steps:
            steps.pop()
        elif request.form.get("reset"):
            steps = []
        elif request.form.get("quick"):
            before = simulate(pathway, steps, members=members, others=_others(pathway), assessments=_assessments())
            step = simulation_steps.quick_step(pathway, before.stage_id, before.members, request.form["quick"]) \
                if before.pathway_id == pathway.id else None
            if step is not None:
                steps.append(step)
        else:
            step = simulation_steps.step_from_form(pathway, request.form, lang())
            if step is not None:
                steps.append(step)
    state = simulate(pathway, steps, members=members, others=_others(pathway), assessments=_assessments())
    shown = services().library.revision(revision_id, db()).pathway
    current = shown.stage(state.stage_id) if state.pathway_id == pathway.id else None
    return render_template(
        "designer/simulate.html", row=_revision_row(revision_id), pathway=pathway, state=state, current=current,
        steps_json=json.dumps(steps, ensure_ascii=False), members=members, actions=ACTIONS,
        describe_step=lambda step: describe_step(pathway, step, lang()),
        actors=list(simulation_actors(pathway, members)), svg=_svg(pathway, current=state.stage_id, compact=True)
        if current is not None else None,
        exits={e.id: (e, state.exits.get(e.id, [])) for e in (current.exits if current else ())},
    )


@bp.post("/revisions/<int:revision_id>/simulate/scenario")
@roles_required(*EDIT_ROLES)
def simulation_scenario(revision_id: int):  # noqa: ANN201
    pathway = _pathway(revision_id)
    steps = _steps_from(request.form.get("steps"))
    members = max(request.form.get("members", type=int) or pathway.group_min, pathway.group_min)
    state = simulate(pathway, steps, members=members, others=_others(pathway), assessments=_assessments())
    name = f"{pathway.id}_simulated"
    text = scenario_text(name, pathway, state)
    return Response(text, mimetype="application/x-yaml",
                    headers={"Content-Disposition": f'attachment; filename="{name}.yaml"'})


@bp.post("/revisions/<int:revision_id>/scenarios")
@roles_required(*EDIT_ROLES)
def run_scenarios(revision_id: int):  # noqa: ANN201
    """Run the scenario files of the pathway (those in the pathways directory) and show their results."""
    row = _revision_row(revision_id)
    directory = _directory()
    results = []
    if directory and (directory / SCENARIO_DIR).is_dir():
        files = []
        for path in pathway_files(directory / SCENARIO_DIR):
            try:
                head = yaml.safe_load(path.read_text(encoding="utf-8"))
            except (OSError, yaml.YAMLError):
                continue
            if isinstance(head, dict) and head.get("pathway") == row.pathway_id:
                files.append(path)
        if files:
            assessments = current_app.config.get("ASSESSMENTS_DIR")
            with ScenarioRunner(directory, assessments_dir=Path(assessments) if assessments else None) as runner:
                results = [runner.run_file(path) for path in files]
    return render_template("designer/scenarios.html", row=row, results=results)


# --- migration --------------------------------------------------------------------------------------

@bp.route("/migrate/<pathway_id>", methods=["GET", "POST"])
@roles_required(*EDIT_ROLES)
def migrate(pathway_id: str):  # noqa: ANN201
    session = db()
    library = services().library
    revisions = list(session.scalars(select(PathwayRevision).where(PathwayRevision.pathway_id == pathway_id)
                                     .order_by(PathwayRevision.id.desc())))
    if not revisions:
        abort(404)
    target_id = request.values.get("target", type=database_id) or operations.active_revision(session, pathway_id)
    if target_id not in {r.id for r in revisions}:
        abort(400)
    cases = list(session.scalars(select(Case).where(Case.pathway_id == pathway_id, Case.status != "closed",
                                                    Case.revision_id != target_id).order_by(Case.id).limit(500)))
    target = library.revision(target_id, session).pathway
    chosen = {int(c) for c in request.form.getlist("case") if c.isdigit()}
    stage_map = {k[len("map."):]: v for k, v in request.form.items() if k.startswith("map.") and v}
    plans = {}
    results: dict[int, str] = {}
    if request.method == "POST":
        picked = [c for c in cases if c.id in chosen]
        if not picked:
            flash(_("Pick at least one case."), "error")
        for case in picked:
            plans[case.id] = plan_migration(session, library, case, target_id, stage_map)
        if request.form.get("action") == "apply" and picked:
            versions = {c.id: c.version for c in picked}
            session.rollback()  # the engine writes in its own transaction
            for case_id, plan in plans.items():
                if not plan.safe:
                    results[case_id] = _("Refused: %(reason)s", reason=plan.reason(lang()))
                    continue
                try:
                    services().cases.migrate(case_id, actor(), versions[case_id], target_id, stage_map)
                except EngineError as exc:
                    results[case_id] = _("Refused: %(reason)s", reason=exc.message(lang()))
                else:
                    results[case_id] = _("Migrated.")
            done = sum(1 for r in results.values() if r == _("Migrated."))
            flash(ngettext("%(done)d of %(num)d case migrated.", "%(done)d of %(num)d cases migrated.", len(results), done=done),
                  "success" if done == len(results) else "error")
            cases = list(session.scalars(select(Case).where(Case.id.in_(list(results))).order_by(Case.id))) + [
                c for c in session.scalars(select(Case).where(
                    Case.pathway_id == pathway_id, Case.status != "closed", Case.revision_id != target_id,
                    Case.id.not_in(list(results))).order_by(Case.id).limit(500))]
    missing_stages = sorted({c.stage_id for c in cases if target.stage(c.stage_id) is None})

    def stage_title(revision_id: int, stage_id: str | None) -> str:
        """A stage's title in a revision, for people; its id only if the revision lacks it."""
        stage = library.revision(revision_id, session).pathway.stage(stage_id or "")
        return localize(stage.title, lang()) if stage is not None else str(stage_id or "-")

    return render_template("designer/migrate.html", pathway_id=pathway_id, revisions=revisions, target_id=target_id,
                           target=target, cases=cases, plans=plans, results=results, chosen=chosen,
                           stage_map=stage_map, missing_stages=missing_stages, stage_title=stage_title)


def _recommended() -> dict[str, str]:
    """The pathways the current assessments' rules recommend, with the assessment that does."""
    found: dict[str, str] = {}
    for assessment in _assessments():
        for rule in assessment.rules:
            if rule.pathway:
                found.setdefault(rule.pathway, f"{assessment.id}.yaml")
    return found


def _assessments() -> list:
    """The current revision of every assessment, for simulating stages that ask for one."""
    library = services().assessments
    return [library.revision(library.current_revision_id(a, db()), db()) for a in library.assessment_ids()]
