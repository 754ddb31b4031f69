"""The ESCO pickers of the forms: occupations and skills suggested as one types."""
from __future__ import annotations

from flask import jsonify, request
from flask_babel import gettext as _

from databank import esco

from ...access import roles_required
from ...i18n import lang
from ...services import db
from . import ROLES, bp


@bp.get("/esco")
@roles_required(*ROLES)
def esco_suggest():  # noqa: ANN201
    kind = request.args.get("kind")
    if kind not in ("skill", "occupation"):
        return jsonify({"error": _("Say which kind: skill or occupation.")}), 400
    typed = (request.args.get("q") or "")[:100]
    found = esco.suggest(db(), typed, kind=kind, lang=lang(), limit=10)
    response = jsonify({"items": [{"uri": s.uri, "label": s.label, "language": s.language, "matched": s.matched,
                                   "code": s.code} for s in found]})
    response.headers["Cache-Control"] = "private, max-age=300"
    return response
