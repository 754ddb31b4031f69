"""My work: the sign-offs waiting for me, overdue cases, what workers and parties sent, enquiries, messages."""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _


from engine.models import utcnow

from ..access import actor, area_required
from ..i18n import lang
from ..services import db, services
from . import bp, lists, operations


@bp.get("/my-work")
@area_required("my_work")
def index():  # noqa: ANN201
    session = db()
    now = utcnow()
    work = lists.build(session, services().library, actor(), lang(), now)
    return render_template("mywork/index.html", work=work, now=now)


@bp.post("/my-work/seen")
@area_required("my_work")
def seen():  # noqa: ANN201
    operations.mark_seen(services().sessions, actor().id)
    flash(_("Marked as seen: only what arrives from now on shows as new."), "success")
    return redirect(url_for("mywork.index"))
