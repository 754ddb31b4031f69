"""The databank's start page: counts of profiles and resources, by status and category."""
from __future__ import annotations

from flask import render_template
from sqlalchemy import func, select

from databank.models import Profile, Resource
from databank.vocabulary import CATEGORIES, STATUSES, label

from ...access import actor, roles_required
from ...i18n import lang
from ...services import db
from . import ROLES, bp
from .entries import _editable_desks


@bp.get("/")
@roles_required(*ROLES)
def index():  # noqa: ANN201
    me = actor()
    session = db()
    own = sorted(me.desks)
    profiles = session.scalar(select(func.count()).select_from(Profile)) or 0
    own_profiles = session.scalar(select(func.count()).select_from(Profile).where(Profile.desk_id.in_(own))) or 0
    by_status = dict(session.execute(select(Resource.status, func.count()).group_by(Resource.status)).all())
    by_category = dict(session.execute(select(Resource.category, func.count()).group_by(Resource.category)).all())
    return render_template(
        "databank/index.html", profiles=profiles, own_profiles=own_profiles, own=own,
        statuses=[(s, label("status", s, lang()), by_status.get(s, 0)) for s in STATUSES],
        categories=[(c, label("category", c, lang()), by_category.get(c, 0)) for c in CATEGORIES],
        resources=sum(by_status.values()), editable=bool(_editable_desks()))
