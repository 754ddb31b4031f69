"""The pages a party reaches from its signing link (no login): what it is asked to decide — the stage, its
form values and documents — in the party's language, and the decision (approve, request changes, decline).

    /sign/<token>                             the request and the decision form
    /sign/<token>/documents/<document_id>     a document of that stage

A wrong, used or expired link gets one clear page that says only that (nothing of the case); which
documents a link shows is the access policy's answer (`policy.may_see_document_by_link`).
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, g, render_template, request
from flask_babel import gettext as _
from flask_babel import refresh
from sqlalchemy import select

from engine import ConflictError, EngineError, NotAllowed, policy
from engine.models import Case, CaseDocument, FormData

from ..i18n import lang
from ..routing import posted_text
from ..security import send_document
from ..services import db, services

bp = Blueprint("signing", __name__, template_folder="templates")


def _request_or_refusal(token: str) -> tuple[Any, Any]:
    try:
        return services().cases.signing_request(token), None
    except (NotAllowed, EngineError) as refusal:
        return None, refusal


def _refused(refusal: EngineError):  # noqa: ANN202
    code = getattr(refusal, "reason_code", None) or refusal.code
    text = refusal.message(lang()) if code != "not_allowed.signing_link" else _(
        "This signing link is not valid. Check that you opened the whole link from the e-mail.")
    return render_template("signing/refused.html", text=text), 404 if code == "not_allowed.signing_link" else 410


def _in_party_language(party: Any) -> None:
    g.page_language = party.language
    refresh()


@bp.route("/sign/<token>", methods=["GET", "POST"])
def sign(token: str):  # noqa: ANN201
    signing, refusal = _request_or_refusal(token)
    if refusal is not None:
        return _refused(refusal)
    _in_party_language(signing.party)
    error, keep = None, {}
    if request.method == "POST":
        decision = request.form.get("decision") or ""
        comment = posted_text("comment")
        keep = {"decision": decision, "comment": comment}
        try:
            version = int(request.form.get("version", ""))
        except ValueError:
            abort(400)
        try:
            services().cases.decide_by_link(token, version, decision, comment)
        except ConflictError:
            error = _("The case changed while you were reading it: read it again, then decide.")
        except EngineError as exc:
            code = getattr(exc, "reason_code", None) or exc.code
            if code in ("signing_link_used", "signing_link_expired", "signing_link_stale"):
                return _refused(exc)
            error = exc.message(lang())
        else:
            return render_template("signing/done.html", decision=decision, party=signing.party)
    return render_template("signing/sign.html", **_what_is_asked(signing), error=error, keep=keep,
                           token=token), 422 if error else 200


def _what_is_asked(signing: Any) -> dict[str, Any]:
    session = db()
    case = session.get(Case, signing.case_id)
    pathway = services().library.revision(case.revision_id, session).pathway
    stage = pathway.stage(signing.stage_id)
    form = session.scalar(select(FormData).where(FormData.case_id == case.id, FormData.stage_id == stage.id))
    documents = [d for d in session.scalars(select(CaseDocument).where(
        CaseDocument.case_id == case.id, CaseDocument.stage_id == stage.id).order_by(CaseDocument.id))
        if policy.may_see_document_by_link(signing, d)]
    return {"signing": signing, "case": case, "pathway": pathway, "stage": stage,
            "rule": stage.requirement(signing.signoff_id), "form_data": form.data if form else {},
            "documents": documents, "role_title": pathway.roles.get(signing.party.role)}


@bp.get("/sign/<token>/documents/<int:document_id>")
def document(token: str, document_id: int):  # noqa: ANN201
    signing, refusal = _request_or_refusal(token)
    if refusal is not None:
        return _refused(refusal)
    row = db().get(CaseDocument, document_id)
    if not policy.may_see_document_by_link(signing, row):
        abort(404)
    return send_document(row)
