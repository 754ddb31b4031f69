"""`opera databank ...`: load the ESCO taxonomy, import and export profiles and resources, rebuild the
full-text index. The group is attached to the `opera` command by the web UI's CLI.

The command line acts as an administrator (it already has the database in hand); what it does is
recorded under the actor id "cli".
"""
from __future__ import annotations

import sys
from pathlib import Path

import click

from engine.cases import Actor
from engine.cli import lang_option
from engine.db import make_engine, make_session_factory, writing

from . import textindex
from .esco import EscoImportError, import_esco
from .exchange import export_profiles, export_resources, import_file
from .operations import Databank
from .search import ProfileQuery, ResourceQuery

CLI_ACTOR = Actor.of("cli", ["admin"])
url_option = click.option("--database-url", envvar="OPERA_DATABASE_URL", default=None,
                          help="Database URL (default: OPERA_DATABASE_URL, else the instance's SQLite file).")


def _sessions(url: str | None):  # noqa: ANN202
    return make_session_factory(make_engine(url))


@click.group()
def databank() -> None:
    """The databank of professional profiles and structural resources."""


@databank.command("import-esco")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@url_option
@lang_option
def import_esco_command(directory: Path, database_url: str | None, lang: str) -> None:
    """Load the ESCO classification from its official CSV download (occupations_<lang>.csv, skills_<lang>.csv)."""
    try:
        report = import_esco(_sessions(database_url), directory)
    except EscoImportError as refused:
        click.echo(refused.message(lang), err=True)
        sys.exit(1)
    for f in report.files:
        click.echo(f"{f.file}: {f.concepts} concepts, {f.labels} labels ({f.language})")
    click.echo(f"{report.new_concepts} new concepts; languages: {', '.join(report.languages)}")


@databank.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--kind", type=click.Choice(["profiles", "resources"]), required=True)
@click.option("--desk", "desk_id", required=True, help="The help desk the new entries belong to.")
@click.option("--dry-run", is_flag=True, help="Check every row and report; write nothing.")
@url_option
@lang_option
def import_command(file: Path, kind: str, desk_id: str, dry_run: bool, database_url: str | None, lang: str) -> None:
    """Import a CSV or XLSX file: all rows or none. Prints one line per problem; exit 1 if any."""
    bank = Databank(_sessions(database_url))
    report = import_file(bank, CLI_ACTOR, kind, file.name, file.read_bytes(), desk_id, dry_run=dry_run)
    for line in report.messages(lang):
        click.echo(line, err=True)
    click.echo(report.summary(lang))
    sys.exit(0 if report.ok else 1)


@databank.command("export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--kind", type=click.Choice(["profiles", "resources"]), required=True)
@click.option("--text", default="", help="Full-text search.")
@click.option("--region", "regions", multiple=True, help="Region code (e.g. IT-42); repeatable.")
@click.option("--province", "provinces", multiple=True, help="Province code (e.g. IT-GE); repeatable.")
@click.option("--supply-chain", "supply_chains", multiple=True)
@click.option("--category", "categories", multiple=True, help="Resources: category; repeatable.")
@click.option("--desk", "desks", multiple=True)
@url_option
@lang_option
def export_command(file: Path, kind: str, text: str, regions: tuple[str, ...], provinces: tuple[str, ...],
                   supply_chains: tuple[str, ...], categories: tuple[str, ...], desks: tuple[str, ...],
                   database_url: str | None, lang: str) -> None:
    """Export a filtered list to FILE (.csv or .xlsx)."""
    fmt = "xlsx" if file.suffix.lower() == ".xlsx" else "csv"
    with _sessions(database_url)() as session:
        if kind == "profiles":
            content = export_profiles(session, CLI_ACTOR, ProfileQuery(
                text=text, regions=regions, provinces=provinces, supply_chains=supply_chains, desks=desks), fmt, lang)
        else:
            content = export_resources(session, CLI_ACTOR, ResourceQuery(
                text=text, regions=regions, provinces=provinces, supply_chains=supply_chains,
                categories=categories, desks=desks), fmt, lang)
    file.write_bytes(content)
    click.echo(f"{file}: {fmt}, {len(content)} bytes")


@databank.command("reindex")
@url_option
def reindex_command(database_url: str | None) -> None:
    """Rebuild the full-text index from the tables (SQLite; PostgreSQL keeps its own)."""
    with writing(_sessions(database_url)).begin() as session:
        textindex.rebuild_indexes(session)
    click.echo("full-text index rebuilt")
