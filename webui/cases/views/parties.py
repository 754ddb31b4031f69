"""The case's parties: adding and removing them, sending one a signing link (its e-mail goes through the
outbox in the same transaction), and recording on paper a decision a party or an offline worker gave."""
from __future__ import annotations

from flask import request
from flask_babel import gettext as _

from ...access import roles_required, visible_case_or_404
from ...routing import posted_text
from ...services import services
from .. import operations
from . import CASE_ROLES, bp
from .case import act, render_case

LANGUAGES = ("it", "fr", "en")


@bp.post("/cases/<int:case_id>/parties")
@roles_required(*CASE_ROLES)
def add_party(case_id: int):  # noqa: ANN201
    values = {name: posted_text(name, limit, one_line=True)
              for name, limit in (("role", 64), ("organisation", 200), ("name", 200), ("phone", 40))}
    values["email"] = posted_text("email", 254, one_line=True).lower()
    values["language"] = request.form.get("language") if request.form.get("language") in LANGUAGES else "en"
    return act(case_id, lambda a, v: services().cases.add_party(case_id, a, v, **values),
               _("The party is added to the case."), keep={"action": "party", **values}, anchor="parties")


@bp.post("/cases/<int:case_id>/parties/<int:party_id>/remove")
@roles_required(*CASE_ROLES)
def remove_party(case_id: int, party_id: int):  # noqa: ANN201
    return act(case_id, lambda a, v: services().cases.remove_party(case_id, a, v, party_id),
               _("The party is removed from the case."), anchor="parties")


@bp.post("/cases/<int:case_id>/parties/<int:party_id>/signing-link")
@roles_required(*CASE_ROLES)
def send_signing_link(case_id: int, party_id: int):  # noqa: ANN201
    visible_case_or_404(case_id)
    signoff = request.form.get("signoff", "")
    return act(case_id, lambda a, v: operations.send_signing_link(a, case_id, v, party_id, signoff),
               _("The signing link is on its way by e-mail."), anchor="parties")


@bp.post("/cases/<int:case_id>/paper")
@roles_required(*CASE_ROLES)
def record_on_paper(case_id: int):  # noqa: ANN201
    requirement = request.form.get("requirement", "")
    decision = request.form.get("decision") or "approve"
    comment = posted_text("comment")
    party = request.form.get("party")
    member = request.form.get("member") or None
    upload = request.files.get("evidence")
    filename = upload.filename if upload is not None and upload.filename else ""
    content = upload.read() if upload is not None and upload.filename else b""
    keep = {"action": "paper", "requirement": requirement, "comment": comment, "decision": decision}
    if party is not None and not party.isdigit():
        return render_case(visible_case_or_404(case_id), 422, error=_("Choose the party."), keep=keep)
    return act(case_id, lambda a, v: services().cases.record_on_paper(
        case_id, a, v, requirement, filename=filename, content=content, decision=decision, comment=comment,
        party_id=int(party) if party else None, member=member),
        _("The decision given on paper is recorded with its evidence."), keep=keep, anchor="parties")
