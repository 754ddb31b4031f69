"""The case dossier as a PDF, in the chosen language, for whoever may see the case."""
from __future__ import annotations

from flask import Blueprint, Response, render_template, request
from flask_babel import force_locale
from sqlalchemy import select

from engine.dossier import case_dossier
from engine.i18n import LANGUAGES

from ..access import area_required, visible_case_or_404
from ..i18n import lang as current_lang
from ..models import User
from ..services import db, services
from .cache import cached_pdf, keep_pdf, source_key
from .render import STYLESHEET, render_pdf

bp = Blueprint("dossier", __name__, template_folder="templates")


@bp.route("/cases/<int:case_id>/dossier.pdf")
@area_required("cases")
def dossier(case_id: int):  # noqa: ANN201
    visible_case_or_404(case_id)
    lang = request.args.get("lang") if request.args.get("lang") in LANGUAGES else current_lang()
    names = dict(db().execute(select(User.id, User.display_name)).all())
    data = case_dossier(db(), services().library, services().assessments, case_id, lang,
                        lambda person: names.get(person) or person)
    from ..cases.progress import progress_chart

    charts = [progress_chart(p.competences, p.person, f"progress-{i}") for i, p in enumerate(data.progress)]
    with force_locale(lang):  # its words, dates and numbers in the chosen language, not the page's
        html = render_template("dossier/dossier.html", dossier=data, lang=lang, progress_charts=charts)
    key = source_key(html, STYLESHEET.read_bytes())
    pdf = cached_pdf(db().connection(), services().files, case_id, lang, key)
    if pdf is None:
        pdf = render_pdf(html)  # in a process of its own: the worker does not keep the PDF engine
        keep_pdf(services().engine, services().files, case_id, lang, key, pdf)
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="dossier-{case_id}-{lang}.pdf"',
        "Cache-Control": "no-store"})
