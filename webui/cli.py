"""The `opera` command: the engine's groups (pathways, db) plus the web UI's (serve, users, desks, demo).

The engine's CLI knows nothing of the web UI; this module builds the full command from both.
"""
from __future__ import annotations

import ipaddress
import os
import sys
from typing import Any, Callable

import click

from engine.cli import main as engine_main


class _Opera(type(engine_main)):  # type: ignore[misc]
    """The engine's kind of group (it turns a missing database into a sentence), with every command; the
    databank's group is imported when asked for, so that checking files loads no database layer."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), "databank"})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name == "databank" and cmd_name not in self.commands:
            from databank.cli import databank

            self.add_command(databank)
        return super().get_command(ctx, cmd_name)


main = _Opera(name="opera", help=engine_main.help, commands=dict(engine_main.commands))


def _app(config: dict[str, Any] | None = None):  # noqa: ANN202
    from . import create_app

    settings = {"SECRET_KEY": os.environ.get("OPERA_SECRET_KEY") or "cli: not serving requests"}
    settings.update(config or {})
    return create_app(settings)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@main.command()
@click.option("--demo", is_flag=True, help="SQLite in the instance folder, filled with demo data on first start.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int, help="gunicorn worker processes.")
@click.option("--dev", is_flag=True, help="Werkzeug's development server (one process) instead of gunicorn.")
def serve(demo: bool, host: str, port: int, workers: int, dev: bool) -> None:
    """Serve the web application (gunicorn). With --demo: SQLite and demo data, ready to try."""
    from .config import resolve

    config: dict[str, Any] = {"DEMO": demo}
    if demo and not _loopback(host) and os.environ.get("OPERA_COOKIE_SECURE") is None:
        # Plain HTTP on a network address: a Secure cookie would never come back. Only for the demo.
        click.echo("note: demo over plain HTTP on a network address: the session cookie is not marked Secure")
        config["SESSION_COOKIE_SECURE"] = config["REMEMBER_COOKIE_SECURE"] = False
    settings = resolve(config)
    # Prepare once, in this process: migrations, pathway library, demo data.
    app = _app({**config, "SECRET_KEY": settings["SECRET_KEY"]})
    if demo:
        with app.app_context():
            loaded = _load_demo(app)
        if loaded:
            click.echo(f"demo data loaded: {loaded} cases (password of every demo account: "
                       f"{_demo_password()})")
    app.extensions["opera"].engine.dispose()
    worker_config = {**config, "SECRET_KEY": settings["SECRET_KEY"], "AUTO_UPGRADE": False, "SYNC_PATHWAYS": False}
    click.echo(f"OPERA Pathways on http://{host}:{port}/ (database: {_hide(settings['DATABASE_URL'])})")
    if dev:
        from werkzeug.serving import run_simple

        run_simple(host, port, _app(worker_config), threaded=True, use_reloader=False)
        return
    from gunicorn.app.base import BaseApplication

    class Server(BaseApplication):
        def load_config(self) -> None:
            from .serving import SETTINGS

            for key, value in {"bind": f"{host}:{port}", "workers": workers, "accesslog": "-", **SETTINGS}.items():
                self.cfg.set(key, value)

        def load(self):  # noqa: ANN202
            return _app(worker_config)

    Server().run()


def _hide(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _demo_password() -> str:
    from .demo import DEMO_PASSWORD

    return DEMO_PASSWORD


def _load_demo(app: Any) -> int:
    from . import demo
    from .security import hash_password

    services = app.extensions["opera"]
    with services.sessions() as session:
        if demo.is_loaded(session):
            return 0
    opened = demo.load(services.sessions, services.library, services.files, hash_password(demo.DEMO_PASSWORD))
    from databank.demo import load_demo_photos

    load_demo_photos(services.sessions, services.files)  # the databank demo's photos need the file store
    return len(opened)


@main.group("demo")
def demo_group() -> None:
    """Demo data."""


@demo_group.command("load")
def demo_load() -> None:
    """Fill the database (OPERA_DATABASE_URL) with the demo desks, accounts and cases."""
    app = _app({"AUTO_UPGRADE": None})
    with app.app_context():
        loaded = _load_demo(app)
    if not loaded:
        click.echo("the database already has accounts: nothing loaded", err=True)
        sys.exit(1)
    click.echo(f"demo data loaded: {loaded} cases")


@main.group("users")
def users_group() -> None:
    """User accounts."""


@users_group.command("create")
@click.argument("user_id")
@click.option("--email", required=True)
@click.option("--name", required=True, help="The name people see.")
@click.option("--role", "roles", multiple=True, required=True,
              type=click.Choice(["admin", "operator", "mentor", "designer", "worker"]))
@click.option("--desk", "desks", multiple=True, help="A help desk of an operator (repeat for several).")
@click.option("--language", type=click.Choice(["it", "fr", "en"]), default=None)
@click.password_option(help="Asked for when not given (at least 10 characters).")
def users_create(user_id: str, email: str, name: str, roles: tuple[str, ...], desks: tuple[str, ...],
                 language: str | None, password: str) -> None:
    """Create an account (e.g. the first administrator)."""
    from .admin import operations
    from .security import MIN_PASSWORD_LENGTH, hash_password

    if len(password) < MIN_PASSWORD_LENGTH:
        raise click.BadParameter(f"at least {MIN_PASSWORD_LENGTH} characters", param_hint="password")
    values = operations.AccountValues(email=email, display_name=name, roles=list(roles), desks=list(desks),
                                      language=language)
    _as_administrator(lambda sessions, actor: operations.create_user(sessions, actor, user_id, values,
                                                                     hash_password(password)))
    click.echo(f"account {user_id} created ({', '.join(roles)})")


@main.group("desks")
def desks_group() -> None:
    """Help desks."""


@desks_group.command("create")
@click.argument("desk_id")
@click.option("--name", required=True)
@click.option("--country", required=True, type=click.Choice(["IT", "FR"]))
@click.option("--region", default="")
def desks_create(desk_id: str, name: str, country: str, region: str) -> None:
    """Create a help desk."""
    from .admin import operations

    _as_administrator(lambda sessions, actor: operations.create_desk(sessions, actor, desk_id,
                                                                     operations.DeskValues(name, country, region)))
    click.echo(f"help desk {desk_id} created")


def _as_administrator(operation: Callable[[Any, Any], Any]) -> None:
    """Run an administrator's operation (webui/admin/operations.py, given the sessions and the actor) as the
    command line, in the app; a refusal is the command's error, in English."""
    from flask_babel import force_locale

    from databank.cli import CLI_ACTOR

    from .admin.operations import AdminRefused

    app = _app()
    with app.app_context():
        try:
            operation(app.extensions["opera"].sessions, CLI_ACTOR)
        except AdminRefused as refused:
            with app.test_request_context(), force_locale("en"):
                raise click.ClickException(str(refused.message)) from None


# --- notifications, invitations, retention (webui/notifications, webui/portal) ----------------------

@main.command("notify")
@click.option("--no-send", is_flag=True, help="Only queue the messages; do not send e-mail.")
def notify_command(no_send: bool) -> None:
    """Turn new events and due dates into messages, then send the e-mail that is due (run it from cron)."""
    from .notifications.cli import notify

    app = _app()
    report = notify(app, send=not no_send)
    click.echo(str(report))


@main.command("invite")
@click.argument("user_ids", nargs=-1)
@click.option("--case", "case_id", type=int, help="Invite every worker of this case.")
@click.option("--by", "created_by", default="cli", show_default=True, help="Who invites (recorded).")
def invite_command(user_ids: tuple[str, ...], case_id: int | None, created_by: str) -> None:
    """E-mail an invitation link to workers (by account id, or every worker of a case)."""
    from sqlalchemy import select

    from engine.models import CaseMember

    from .portal.invitations import invite_each, send_now

    app = _app()
    with app.app_context():
        sessions = app.extensions["opera"].sessions
        with sessions() as session:
            ids = list(user_ids)
            if case_id is not None:
                ids += list(session.scalars(select(CaseMember.person_id).where(
                    CaseMember.case_id == case_id, CaseMember.kind == "worker")))
        if not ids:
            raise click.UsageError("name the workers, or give --case")
        queued, refused = invite_each(sessions, ids, created_by)
        for user_id in refused:
            click.echo(f"{user_id}: no invitation (unknown, no e-mail, disabled or not a worker)", err=True)
        send_now(queued)
    click.echo(f"{len(queued)} invitations queued")


@main.command("retention")
@click.option("--case-days", type=int, default=None,
              help="Erase workers whose cases all closed more than this many days ago "
                   "(default: OPERA_RETENTION_DAYS, else 1825).")
@click.option("--by", "actor_id", default="retention", show_default=True, help="Recorded as who erased.")
def retention_command(case_days: int | None, actor_id: str) -> None:
    """Remove what is past its retention period (personal data of closed cases, old messages and links)."""
    from .portal.personal_data import apply_retention, erase_for_good

    days = case_days if case_days is not None else int(os.environ.get("OPERA_RETENTION_DAYS") or 1825)
    app = _app()
    services = app.extensions["opera"]

    def sweep(connection, released):  # noqa: ANN001, ANN202
        report = apply_retention(connection, actor_id, case_days=days)
        released.update(report.released_files)
        return report

    click.echo(str(erase_for_good(services.engine, services.files, sweep)))


@main.group("parties")
def parties_group() -> None:
    """The people of the parties of cases (a bank's, a notary's): their data on request."""


@parties_group.command("export")
@click.argument("party_id", type=int)
def parties_export(party_id: int) -> None:
    """Print as JSON what is held about a party's person: its row and the decisions it gave."""
    import json

    from engine.personal_data import export_party

    services = _app().extensions["opera"]
    with services.engine.connect() as connection:
        data = export_party(connection, party_id)
    if not data:
        raise click.ClickException(f"no party {party_id}")
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


@parties_group.command("erase")
@click.argument("party_id", type=int)
@click.option("--by", "actor_id", default="cli", show_default=True, help="Recorded as who erased.")
def parties_erase(party_id: int, actor_id: str) -> None:
    """Erase a party's person: name, e-mail, phone and account link go, and its name leaves the case's events
    and comments (the organisation and its decisions stay, for the case's history)."""
    from engine.personal_data import erase_party

    from .portal.personal_data import erase_for_good

    services = _app().extensions["opera"]
    if not erase_for_good(services.engine, services.files,
                          lambda connection, _released: erase_party(connection, party_id, actor_id)):
        raise click.ClickException(f"no party {party_id}")
    click.echo(f"party {party_id}: its person is erased")


@main.command("check")
@click.option("--repair", is_flag=True,
              help="Also remove what a crash leaves in the file store: stale temporary files and old files no row "
                   "refers to.")
@click.option("--lang", type=click.Choice(["it", "fr", "en"]), default="en", show_default=True)
def check_command(repair: bool, lang: str) -> None:
    """Replay every case from its events against the stored state, verify the hash chains of the event and
    audit logs, and match document rows with stored files; exit 1 if anything differs."""
    from engine.check import check, repair as repair_store
    from engine.i18n import message

    services = _app().extensions["opera"]
    if repair:
        removed = repair_store(services.engine, services.files)
        click.echo(message("check.repaired", lang, count=len(removed)))
    report = check(services.engine, services.files)
    click.echo(report.format(lang))
    sys.exit(0 if report.ok else 1)
