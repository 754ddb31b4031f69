"""Jinja helpers: localized dates and numbers, engine labels, the navigation."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Flask, g, request, url_for
from flask_babel import format_date, format_datetime, format_decimal, gettext
from flask_login import current_user
from sqlalchemy import select

from engine.i18n import message
from engine.models import Desk, utcnow

from .access import may_enter
from .i18n import lang


def fmt_datetime(value: datetime | str | None, style: str = "medium") -> str:
    return format_datetime(_moment(value), style) if value else ""


def fmt_date(value: datetime | str | None, style: str = "medium") -> str:
    return format_date(_moment(value), style) if value else ""


def _moment(value: datetime | str) -> datetime:
    """A moment given as itself or as the ISO text of an export (data.json and its readable summary)."""
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def fmt_number(value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, int) and 0 <= value < 1000:
        return str(value)  # no separator to place, in any of the app's languages (counts on every page)
    if isinstance(value, (int, float)):
        return format_decimal(value)
    return str(value)


def fmt_size(size: int) -> str:
    if size >= 1024 * 1024:
        return format_decimal(round(size / (1024 * 1024), 1)) + " MB"
    if size >= 1024:
        return format_decimal(round(size / 1024, 1)) + " KB"
    return format_decimal(size) + " B"


def engine_text(code: str, **params: Any) -> str:
    return message(code, lang(), **params)


def status_label(status: str) -> str:
    return message("status." + status, lang())


def outcome_label(outcome: str | None, pathway: Any = None) -> str:
    if not outcome:
        return ""
    if pathway is not None and pathway.outcomes.get(outcome):
        from engine.i18n import localize

        return localize(pathway.outcomes[outcome], lang())
    text = message("outcome." + outcome, lang())
    return outcome if text.startswith("outcome.") else text


def desk_name(desk_id: str) -> str:
    """A help desk's name for a page (its code only if it is gone); read once per request."""
    from .services import db

    names = g.get("_desk_names")
    if names is None:
        names = g._desk_names = {row.id: row.name for row in db().execute(select(Desk.id, Desk.name))}
    return names.get(desk_id, desk_id)


def supply_chain_name(code: str) -> str:
    """A supply chain's name in the language of the request (the databank's vocabulary)."""
    from databank.vocabulary import label

    return label("supply_chain", code, lang())


def nav_items() -> list[tuple[str, str, bool]]:
    """(label, url, current) of the main navigation for the logged-in user."""
    if not current_user.is_authenticated:
        return []
    items: list[tuple[str, str]] = []
    if may_enter("my_work"):
        items.append((_my_work_label(), url_for("mywork.index")))
    if may_enter("desks"):
        items.append((gettext("Desks"), url_for("cases.desks")))
        items.append((gettext("Open a case"), url_for("cases.new_case")))
    if may_enter("databank"):
        items.append((gettext("Databank"), url_for("databank.index")))
    if may_enter("mentor"):
        items.append((gettext("My cases"), url_for("cases.mentor")))
    if may_enter("admin"):
        items.append((gettext("Administration"), url_for("admin.index")))
    path = request.path
    return [(label, url, path == url or (url != "/" and path.startswith(url + "/"))) for label, url in items]


def _my_work_label() -> str:
    from .access import actor
    from .mywork.lists import count
    from .services import db

    who = actor()
    loaded = g.get("work_seen")  # read with the account (webui.app)
    waiting = count(db(), who, seen=loaded[1]) if loaded is not None and loaded[0] == who.id else count(db(), who)
    return gettext("My work (%(count)d)", count=waiting) if waiting else gettext("My work")


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(dt=fmt_datetime, date=fmt_date, num=fmt_number, filesize=fmt_size)
    app.jinja_env.globals.update(
        engine_text=engine_text, status_label=status_label, outcome_label=outcome_label, nav_items=nav_items,
        now=utcnow, may_enter=may_enter, desk_name=desk_name, supply_chain_name=supply_chain_name,
    )
