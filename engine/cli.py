"""`opera`: the one command-line entry point (pathways, database; the web UI adds its own commands)."""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .i18n import DEFAULT_LANGUAGE, LANGUAGES, localize, message
from .checking import check_directory, pathway_files

if TYPE_CHECKING:
    from .pathway import Pathway


def default_pathways_dir() -> Path:
    return Path(os.environ.get("OPERA_PATHWAYS_DIR") or Path.cwd() / "pathways")


def environment_language() -> str:
    """The language of messages when no --lang is given: OPERA_LANG (it, fr or en), else English."""
    value = os.environ.get("OPERA_LANG", "").strip().lower()
    return value if value in LANGUAGES else DEFAULT_LANGUAGE


def _remember_language(ctx: click.Context, _param: click.Parameter, value: str) -> str:
    ctx.meta["opera.lang"] = value  # shared with the group: its error messages speak the same language
    return value


class _Commands(click.Group):
    """Says what went wrong in a sentence, in the user's language, never with a stack trace: the database
    (busy, not initialised, unreachable, a bad address), the engine's refusals, files that cannot be
    read or written."""

    def invoke(self, ctx: click.Context):  # noqa: ANN201
        try:
            return super().invoke(ctx)
        except OSError as exc:  # a file named on the command line that cannot be read or written
            raise click.ClickException(message("cli.file_error", _language(ctx), detail=exc)) from None
        except Exception as exc:
            # A command that checks files imports neither the engine's refusals nor SQLAlchemy: their errors
            # can only come from a command that did.
            engine_errors = sys.modules.get(f"{__package__}.errors")
            if engine_errors is not None and isinstance(exc, engine_errors.EngineError):
                raise click.ClickException(exc.message(_language(ctx))) from None
            sqlalchemy_errors = sys.modules.get("sqlalchemy.exc")
            if sqlalchemy_errors is None:
                raise
            if isinstance(exc, sqlalchemy_errors.DBAPIError):
                from .db import database_problem

                code, params = database_problem(exc)
                raise click.ClickException(message(code, _language(ctx), **params)) from None
            if isinstance(exc, sqlalchemy_errors.ArgumentError):
                raise click.ClickException(message("database.bad_url", _language(ctx), detail=exc)) from None
            raise


def _language(ctx: click.Context) -> str:
    return ctx.meta.get("opera.lang") or environment_language()


@click.group(cls=_Commands)
def main() -> None:
    """OPERA Pathways: guided pathways for the territorial help desks."""


@main.group()
def pathways() -> None:
    """Validate, test and read pathway files."""


lang_option = click.option("--lang", type=click.Choice(LANGUAGES), default=environment_language,
                           show_default="OPERA_LANG, else en", callback=_remember_language,
                           help="Language of messages and texts.")


def _group_by_directory(paths: tuple[str, ...]) -> dict[Path, list[Path] | None]:
    """Files are checked within their directory (shared stages, other pathways); a directory entirely."""
    groups: dict[Path, list[Path] | None] = {}
    for raw in paths or (str(default_pathways_dir()),):
        path = Path(raw)
        if path.is_dir():
            groups[path] = None
        else:
            directory = path.parent if path.parent.name != "shared" else path.parent.parent
            current = groups.setdefault(directory, [])
            if current is not None:
                current.append(path)
    return groups


@pathways.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@lang_option
@click.option("--strict", is_flag=True, help="Treat warnings (e.g. missing translations) as errors.")
@click.option("--shared", "shared_dir", type=click.Path(exists=True, file_okay=False), default=None,
              help="Where the shared stages are (default: the 'shared' folder beside the files).")
def validate_command(paths: tuple[str, ...], lang: str, strict: bool, shared_dir: str | None) -> None:
    """Check pathway files; print FILE:LINE:COL: message for each problem. Exit 1 if any is invalid."""
    failed = False
    total = 0
    for directory, only in _group_by_directory(paths).items():
        # A shared-stages file named alone is checked as a fragment; pathways are checked as pathways.
        fragments_named = {str(p) for p in only or () if p.parent.name == "shared"}
        pathways_named = [p for p in only or () if p.parent.name != "shared"]
        results, fragment_problems = check_directory(directory, pathways_named if only is not None else None,
                                                     Path(shared_dir) if shared_dir else None)
        total += len(fragments_named)
        for problem in fragment_problems:
            if only is not None and not pathways_named and problem.file not in fragments_named:
                continue
            click.echo(problem.format(lang))
            failed = failed or problem.severity == "error" or strict
        for name in sorted(fragments_named):
            broken = any(p.file == name and p.severity == "error" for p in fragment_problems)
            click.echo(f"{name}: {'INVALID' if broken else 'valid'} (shared stages)", err=True)
        for checked in results:
            total += 1
            for problem in checked.problems:
                click.echo(problem.format(lang))
            if not checked.valid or (strict and checked.warnings):
                failed = True
            status = "valid" if checked.valid else "INVALID"
            extra = f" ({len(checked.warnings)} warning(s))" if checked.warnings else ""
            click.echo(f"{checked.file}: {status}{extra}", err=True)
    if total == 0:
        click.echo("no pathway files found", err=True)
        sys.exit(1)
    sys.exit(1 if failed else 0)


@pathways.command("test")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@click.option("--pathways-dir", type=click.Path(exists=True, file_okay=False), default=None,
              help="Where the pathways under test are (default: ./pathways or OPERA_PATHWAYS_DIR).")
@click.option("-q", "--quiet", is_flag=True, help="Only print failures and the summary.")
def test_command(paths: tuple[str, ...], pathways_dir: str | None, quiet: bool) -> None:
    """Run scenario files (default: every file in <pathways>/scenarios/) and report like a test runner."""
    from .scenarios import ScenarioRunner, scenario_files

    directory = Path(pathways_dir) if pathways_dir else default_pathways_dir()
    files = scenario_files([Path(p) for p in paths] or [directory])
    if not files:
        click.echo("no scenario files found", err=True)
        sys.exit(1)
    with ScenarioRunner(directory) as runner:
        broken = [c for c in runner.report if not c.valid]
        for checked in broken:
            for problem in checked.errors:
                click.echo(problem.format())
        passed, failed = _report(((path, runner.run_file(path)) for path in files), quiet,
                                 lambda result: f" ({result.steps_run} steps)")
    click.echo(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed or not passed else 0)


def _report(results, quiet: bool, detail=lambda result: "") -> tuple[int, int]:  # noqa: ANN001
    """Print scenario results like a test runner; returns (passed, failed)."""
    passed = failed = 0
    for path, result in results:
        if result.passed:
            passed += 1
            if not quiet:
                click.echo(f"PASSED {path}::{result.name}{detail(result)}")
        else:
            failed += 1
            click.echo(f"FAILED {path}::{result.name}")
            for failure in result.failures:
                click.echo(f"    {failure}")
    return passed, failed


@pathways.command("show")
@click.argument("pathway_id")
@click.option("--pathways-dir", type=click.Path(exists=True, file_okay=False), default=None)
@lang_option
def show_command(pathway_id: str, pathways_dir: str | None, lang: str) -> None:
    """Print a pathway's stages, requirements and exits as readable text."""
    directory = Path(pathways_dir) if pathways_dir else default_pathways_dir()
    results, _ = check_directory(directory)
    for checked in results:
        if checked.pathway_id == pathway_id:
            if checked.pathway is None:
                for problem in checked.errors:
                    click.echo(problem.format(lang), err=True)
                sys.exit(1)
            click.echo(describe_pathway(checked.pathway, lang))
            return
    known = ", ".join(sorted(c.pathway_id or "?" for c in results))
    click.echo(f"no pathway '{pathway_id}' in {directory} (known: {known})", err=True)
    sys.exit(1)


def describe_pathway(pathway: Pathway, lang: str) -> str:
    from .conditions import describe

    def label_of(ref: str) -> str:
        f = pathway.field(ref)
        return localize(f.label, lang) if f else ref

    lines = [f"{localize(pathway.title, lang)} [{pathway.id} v{pathway.version}, {pathway.content_hash[:12]}]"]
    if pathway.description:
        lines.append(localize(pathway.description, lang))
    if pathway.roles:
        lines.append("roles: " + ", ".join(f"{r} ({localize(t, lang)})" for r, t in pathway.roles.items()))
    for number, stage in enumerate(pathway.stages, 1):
        due = f", due in {stage.due_days} days" if stage.due_days else ""
        lines.append("")
        lines.append(f"{number}. {localize(stage.title, lang)} [{stage.id}{due}]")
        for item in stage.checklist:
            flags = ("required" if item.required else "optional") + (", each member" if item.per_member else "")
            lines.append(f"   [ ] {localize(item.label, lang)} ({item.id}; {flags}; by {', '.join(item.roles)})")
        for doc in stage.documents:
            flags = ("required" if doc.required else "optional") + (", each member" if doc.per_member else "")
            lines.append(f"   [doc] {localize(doc.label, lang)} ({doc.id}; {flags}; {', '.join(doc.types)}, "
                         f"max {doc.max_bytes // 1024} KB; by {', '.join(doc.uploaded_by)})")
        if stage.form:
            optional = "" if stage.form.required else "optional; "
            lines.append(f"   [form] {localize(stage.form.label, lang)} ({optional}by {', '.join(stage.form.roles)})")
            for f in stage.form.fields:
                mark = "*" if f.required else ""
                options = f" {{{', '.join(v for v, _ in f.options)}}}" if f.options else ""
                lines.append(f"      - {localize(f.label, lang)}{mark} ({f.id}: {f.type}{options})")
        if stage.assessment:
            label = localize(stage.assessment.label, lang) or stage.assessment.assessment_id
            lines.append(f"   [assessment] {label} ({stage.assessment.assessment_id}; each worker; "
                         f"by {', '.join(stage.assessment.roles)})")
        for signoff in stage.signoffs:
            partners = [p for p in stage.distinct_partners(signoff.id) if "signoff:" + p not in signoff.distinct_from]
            excluded = list(signoff.distinct_from) + [f"signoff:{p}" for p in partners]
            distinct = f"; not {', '.join(excluded)}" if excluded else ""
            stays = "" if signoff.lapses_on_change else "; stays when the stage changes"
            lines.append(f"   [sign-off] {localize(signoff.label, lang)} ({signoff.id}; {signoff.count} × "
                         f"{signoff.role}{distinct}{stays})")
        for exit_ in stage.exits:
            if exit_.to:
                target = f"→ {exit_.to}"
            elif exit_.pathway:
                target = f"→ pathway {exit_.pathway}" + (f" at {exit_.at}" if exit_.at else "")
            else:
                target = f"→ outcome {exit_.outcome}"
            when = f" when {describe(exit_.when, lang, label_of)}" if exit_.when else ""
            requires = "" if exit_.requires == "all" else (
                f" (requires {exit_.requires if isinstance(exit_.requires, str) else ', '.join(exit_.requires)})")
            lines.append(f"   ⇒ {localize(exit_.label, lang)} [{exit_.id}] {target}{when}{requires}")
    return "\n".join(lines)


@pathways.command("sync")
@click.option("--pathways-dir", type=click.Path(exists=True, file_okay=False), default=None)
@click.option("--database-url", envvar="OPERA_DATABASE_URL", default=None)
@click.option("--force", is_flag=True, help="Activate each file's revision even when the active revision has a "
              "higher version (e.g. one saved in the web workbench).")
@lang_option
def sync_command(pathways_dir: str | None, database_url: str | None, force: bool, lang: str) -> None:
    """Record every valid pathway file as a revision in the database (invalid files keep the last one); a file
    with a lower version than the active revision never replaces it without --force."""
    from .db import make_engine, make_session_factory
    from .library import PathwayLibrary

    directory = Path(pathways_dir) if pathways_dir else default_pathways_dir()
    engine = make_engine(database_url)
    library = PathwayLibrary(make_session_factory(engine), directory)
    report = {checked.file: checked for checked in library.sync(force=force)}
    failed = False
    for outcome in library.last_outcomes:
        click.echo(outcome.message(lang))
        for problem in report[outcome.file].errors:
            click.echo("    " + problem.format(lang))
        failed = failed or outcome.action == "invalid"
    engine.dispose()
    sys.exit(1 if failed else 0)


@pathways.command("export")
@click.argument("pathway_ids", nargs=-1)
@click.option("--pathways-dir", type=click.Path(exists=True, file_okay=False), default=None)
@click.option("--database-url", envvar="OPERA_DATABASE_URL", default=None)
@lang_option
def export_command(pathway_ids: tuple[str, ...], pathways_dir: str | None, database_url: str | None,
                   lang: str) -> None:
    """Write the active revision of each pathway (default: all) into the pathways directory, for version
    control: revisions saved in the web workbench live in the database until exported."""
    from .db import make_engine, make_session_factory
    from .errors import EngineError
    from .library import PathwayLibrary

    directory = Path(pathways_dir) if pathways_dir else default_pathways_dir()
    engine = make_engine(database_url)
    library = PathwayLibrary(make_session_factory(engine), directory)
    try:
        written = library.export(pathway_ids or None)
    except EngineError as exc:
        raise click.ClickException(exc.message(lang)) from None
    finally:
        engine.dispose()
    for path, row in written:
        click.echo(message("export.written", lang, pathway=row.pathway_id, revision=row.id, version=row.version,
                           file=str(path)))


@pathways.command("migrate")
@click.argument("pathway_id")
@click.option("--to", "to_revision", type=int, default=None, help="Target revision id (default: the active one).")
@click.option("--case", "case_ids", type=int, multiple=True, help="Only these cases (default: every running case "
              "of the pathway on another revision).")
@click.option("--map", "mappings", multiple=True, metavar="OLD=NEW",
              help="Where cases at a stage that no longer exists go.")
@click.option("--apply", is_flag=True, help="Migrate; without it, only show the preview (dry run).")
@click.option("--as", "actor_id", default="cli", show_default=True, help="Who migrates (recorded in the events).")
@click.option("--database-url", envvar="OPERA_DATABASE_URL", default=None)
@lang_option
def migrate_command(pathway_id: str, to_revision: int | None, case_ids: tuple[int, ...], mappings: tuple[str, ...],
                    apply: bool, actor_id: str, database_url: str | None, lang: str) -> None:
    """Preview (default) or apply the migration of running cases to another revision of a pathway."""
    from sqlalchemy import select

    from .cases import Actor, CaseService
    from .db import instance_path, make_engine, make_session_factory
    from .errors import EngineError
    from .library import PathwayLibrary
    from .migration import plan_migration
    from .stored_files import open_file_store
    from .models import Case

    stage_map = {}
    for mapping in mappings:
        old, sep, new = mapping.partition("=")
        if not sep or not old or not new:
            raise click.BadParameter(f"'{mapping}' is not OLD=NEW", param_hint="--map")
        stage_map[old.strip()] = new.strip()
    engine = make_engine(database_url)
    sessions = make_session_factory(engine)
    library = PathwayLibrary(sessions)
    target = to_revision or library.active_revision_id(pathway_id)
    _check_revisions(sessions, lang, target, pathway_id=pathway_id)
    service = CaseService(sessions, library, open_file_store(engine, instance_path()))
    actor = Actor.of(actor_id, ["admin"])
    refused = 0
    with sessions() as session:
        query = select(Case).where(Case.pathway_id == pathway_id, Case.status != "closed",
                                   Case.revision_id != target)
        if case_ids:
            query = query.where(Case.id.in_(case_ids))
        cases = list(session.scalars(query.order_by(Case.id)))
        plans = [(case.id, case.version, plan_migration(session, library, case, target, stage_map)) for case in cases]
    for case_id, version, plan in plans:
        mapping = f"{plan.from_stage} → {plan.to_stage or '?'}" + (" (same stage)" if plan.automatic else "")
        if not plan.safe:
            refused += 1
            click.echo(f"case {case_id}: REFUSED {mapping}: {plan.reason(lang)}")
            continue
        unmet = ", ".join(u.requirement or u.code for u in plan.newly_unmet) or "none"
        if apply:
            try:
                service.migrate(case_id, actor, version, target, stage_map)
                click.echo(f"case {case_id}: migrated {mapping}; newly unmet: {unmet}")
            except EngineError as exc:
                refused += 1
                click.echo(f"case {case_id}: REFUSED: {exc.message(lang)}")
        else:
            click.echo(f"case {case_id}: would migrate {mapping}; newly unmet: {unmet}")
    if not plans:
        click.echo(f"no running case of '{pathway_id}' is on another revision than {target}")
    elif not apply:
        click.echo("dry run: nothing changed (add --apply to migrate)")
    engine.dispose()
    sys.exit(1 if refused else 0)


@pathways.command("diff")
@click.argument("old_revision", type=int)
@click.argument("new_revision", type=int)
@click.option("--text", is_flag=True, help="Show the line-by-line diff of the files too.")
@click.option("--database-url", envvar="OPERA_DATABASE_URL", default=None)
@lang_option
def diff_command(old_revision: int, new_revision: int, text: bool, database_url: str | None, lang: str) -> None:
    """What changed between two stored revisions, in domain words."""
    from .db import make_engine, make_session_factory
    from .library import PathwayLibrary
    from .models import PathwayRevision
    from .revisions import diff_pathways, text_diff

    engine = make_engine(database_url)
    sessions = make_session_factory(engine)
    library = PathwayLibrary(sessions)
    _check_revisions(sessions, lang, old_revision, new_revision)
    for change in diff_pathways(library.revision(old_revision).pathway, library.revision(new_revision).pathway):
        click.echo("- " + change.message(lang))
    if text:
        with sessions() as session:
            old, new = session.get(PathwayRevision, old_revision), session.get(PathwayRevision, new_revision)
            for line in text_diff(old.source_text, new.source_text, f"revision {old.id}", f"revision {new.id}"):
                click.echo(line)
    engine.dispose()


def _check_revisions(sessions, lang: str, *revision_ids: int, pathway_id: str | None = None) -> None:  # noqa: ANN001
    """Revisions named on the command line exist (and are of `pathway_id`), or a sentence says which not."""
    from .models import PathwayRevision

    with sessions() as session:
        for revision_id in revision_ids:
            stored = session.get(PathwayRevision, revision_id)
            if stored is None:
                raise click.ClickException(message("cli.revision_unknown", lang, revision=revision_id))
            if pathway_id is not None and stored.pathway_id != pathway_id:
                raise click.ClickException(message("cli.revision_of_other_pathway", lang, revision=revision_id,
                                                   other=stored.pathway_id, pathway=pathway_id))


def default_assessments_dir() -> Path:
    return Path(os.environ.get("OPERA_ASSESSMENTS_DIR") or Path.cwd() / "assessments")


@main.group()
def assessments() -> None:
    """Validate and test the assessment files (the common methodology)."""


@assessments.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@lang_option
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
def assessments_validate_command(paths: tuple[str, ...], lang: str, strict: bool) -> None:
    """Check assessment files; print FILE:LINE:COL: message for each problem. Exit 1 if any is invalid."""
    from .assessment import check_assessment_file
    from .assessment_scenarios import assessment_files

    files: list[Path] = []
    for raw in paths or (str(default_assessments_dir()),):
        path = Path(raw)
        files.extend(assessment_files(path) if path.is_dir() else [path])
    known = _known_pathways()
    failed = False
    for path in files:
        checked = check_assessment_file(path, known)
        for problem in checked.problems:
            click.echo(problem.format(lang))
        failed = failed or not checked.valid or (strict and bool(checked.warnings))
        click.echo(f"{path}: {'valid' if checked.valid else 'INVALID'}", err=True)
    if not files:
        click.echo("no assessment files found", err=True)
    sys.exit(1 if failed or not files else 0)


@assessments.command("test")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@click.option("--assessments-dir", type=click.Path(exists=True, file_okay=False), default=None)
@click.option("-q", "--quiet", is_flag=True)
def assessments_test_command(paths: tuple[str, ...], assessments_dir: str | None, quiet: bool) -> None:
    """Run assessment scenarios (default: <assessments>/scenarios/): these answers give this result."""
    from .assessment_scenarios import (
        ASSESSMENT_SCENARIO_DIR, assessment_files, load_assessments, run_assessment_scenario,
    )

    directory = Path(assessments_dir) if assessments_dir else default_assessments_dir()
    checked = load_assessments(directory, _known_pathways())
    for result in checked.values():
        for problem in result.errors:
            click.echo(problem.format())
    valid = {c.assessment.id: c.assessment for c in checked.values() if c.assessment is not None}
    files: list[Path] = []
    for raw in paths or (str(directory / ASSESSMENT_SCENARIO_DIR),):
        path = Path(raw)
        files.extend(assessment_files(path) if path.is_dir() else [path])
    passed, failed = _report(((path, run_assessment_scenario(path, valid)) for path in files), quiet)
    click.echo(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed or not passed else 0)


def _known_pathways() -> set[str] | None:
    directory = default_pathways_dir()
    if not directory.is_dir():
        return None
    return {p.stem for p in pathway_files(directory)}


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.option("--database-url", envvar="OPERA_DATABASE_URL", default=None,
              help="Default: SQLite in ./instance, or OPERA_DATABASE_URL.")
def upgrade_command(database_url: str | None) -> None:
    """Create or migrate the database schema to the latest version, then bring the monitoring figures up to
    date (on a large database the first dashboard would otherwise do it)."""
    from . import monitoring
    from .db import default_database_url, make_engine, upgrade

    upgrade(database_url)
    click.echo(f"database at the latest schema: {_hide_password(database_url or default_database_url())}")
    engine = make_engine(database_url)
    try:
        read = monitoring.refresh(engine)
    finally:
        engine.dispose()
    if read:
        click.echo(f"monitoring up to date: {read} events folded")


@db.command("refresh-monitoring")
@click.option("--database-url", envvar="OPERA_DATABASE_URL", default=None,
              help="Default: SQLite in ./instance, or OPERA_DATABASE_URL.")
@click.option("--rebuild", is_flag=True, help="Fold the whole event log again instead of the new events only.")
def refresh_monitoring_command(database_url: str | None, rebuild: bool) -> None:
    """Bring the monitoring figures up to date with the event log (`db upgrade` does it too), or fold the
    whole log again."""
    from . import monitoring
    from .db import make_engine

    engine = make_engine(database_url)
    try:
        read = monitoring.rebuild(engine) if rebuild else monitoring.refresh(engine)
    finally:
        engine.dispose()
    click.echo(f"monitoring up to date: {read} events folded")


@main.group("files")
def files_group() -> None:
    """The store of uploaded files (OPERA_FILE_STORE: database or folder)."""


@files_group.command("migrate")
@click.option("--database-url", envvar="OPERA_DATABASE_URL", default=None,
              help="Default: SQLite in ./instance, or OPERA_DATABASE_URL.")
@click.option("--folder", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="The folder store to copy (default: files/ in the instance folder).")
def files_migrate_command(database_url: str | None, folder: Path | None) -> None:
    """Copy the files of a folder store into the database store (the same names, so no row changes); the
    folder is left as it is. Run it again at will: files already in the database are skipped."""
    from .db import instance_path, make_engine
    from .files import FileStore
    from .stored_files import DatabaseFileStore, copy_into

    source = FileStore(folder or instance_path() / "files")
    if not source.root.is_dir():
        raise click.ClickException(f"{source.root} is not a folder")
    engine = make_engine(database_url)
    try:
        copied, present = copy_into(source, DatabaseFileStore(engine))
    finally:
        engine.dispose()
    click.echo(f"{copied} files copied into the database, {present} were there already")


def _hide_password(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


__all__ = ["main", "pathway_files"]
