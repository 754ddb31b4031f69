"""The pages around the API: a user's own tokens on the settings page; for admins, the partner systems'
service accounts and their tokens, the webhooks and their delivery log (with a replay button).

A new token or webhook secret is shown once, on the page that created it; only its hash (a token) is kept.
Every change is an operation of webui/api/operations.py: one transaction with its audit entry."""
from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from engine.models import Desk, utcnow

from ..access import actor, roles_required
from ..admin.operations import AdminRefused
from ..models import User
from ..routing import posted_text
from ..services import db, services
from . import operations
from .models import SCOPES, ApiToken, ServiceAccount, WebhookDelivery, WebhookEndpoint
from .operations import TokenValues, WebhookValues
from .tokens import MAX_DAYS

bp = Blueprint("integrations", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static/integrations")
ACCOUNT_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{1,40}$")
EVENT_TYPE = re.compile(r"^(\*|[a-z_]{2,32})$")
MAX_ID = 2**31 - 1


def _token_fields() -> TokenValues | None:
    name = posted_text("name", 100)
    scope = request.form.get("scope", "")
    try:
        days = int(request.form.get("days", ""))
    except ValueError:
        days = 0
    if not name or scope not in SCOPES or not 1 <= days <= MAX_DAYS:
        flash(_("Give the token a name, a scope and a validity between 1 and %(days)s days.", days=MAX_DAYS),
              "error")
        return None
    return TokenValues(name, scope, days)


def _new_token(user_id: str, kind: str) -> str | None:
    fields = _token_fields()
    return None if fields is None else operations.issue_token(services().sessions, actor(), user_id, fields, kind)


# --- a user's own tokens ----------------------------------------------------------------------------------

@bp.route("/settings/api-tokens", methods=["GET", "POST"])
@login_required
def my_tokens():  # noqa: ANN201
    plain = _new_token(current_user.id, "personal") if request.method == "POST" else None
    tokens = db().scalars(select(ApiToken).where(ApiToken.user_id == current_user.id)
                          .order_by(ApiToken.created_at.desc())).all()
    return render_template("integrations/tokens.html", tokens=tokens, new_token=plain, scopes=SCOPES,
                           max_days=MAX_DAYS, now=utcnow()), 200 if plain or request.method == "GET" else 400


@bp.post("/settings/api-tokens/<int:token_id>/revoke")
@login_required
def revoke_my_token(token_id: int):  # noqa: ANN201
    if not operations.revoke_token(services().sessions, actor(), token_id, current_user.id):
        abort(404)
    flash(_("The token is revoked."), "success")
    return redirect(url_for("integrations.my_tokens"))


# --- admins: service accounts, webhooks -------------------------------------------------------------------

def _overview(**extra: Any) -> str:
    accounts = db().execute(select(User, ServiceAccount).join(ServiceAccount, ServiceAccount.user_id == User.id)
                            .order_by(User.id)).all()
    tokens = db().scalars(select(ApiToken).where(ApiToken.user_id.in_([u.id for u, _s in accounts]))
                          .order_by(ApiToken.created_at.desc())).all() if accounts else []
    endpoints = db().scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id)).all()
    desks = db().scalars(select(Desk).order_by(Desk.id)).all()
    return render_template("integrations/admin.html", accounts=[u for u, _s in accounts], tokens=tokens,
                           endpoints=endpoints, desks=desks, scopes=SCOPES, max_days=MAX_DAYS, now=utcnow(),
                           **extra)


@bp.get("/admin/integrations")
@roles_required("admin")
def admin_overview():  # noqa: ANN201
    return _overview()


def _chosen_desks() -> list[str] | None:
    known = set(db().scalars(select(Desk.id)))
    chosen = request.form.getlist("desks")
    return chosen if set(chosen) <= known else None


@bp.post("/admin/integrations/service-accounts")
@roles_required("admin")
def create_service_account():  # noqa: ANN201
    account_id = (request.form.get("account_id") or "").strip().lower()
    display_name = posted_text("display_name", 200)
    desks = _chosen_desks()
    if not ACCOUNT_ID.match(account_id) or not display_name or not desks:
        flash(_("Give the service account an id (letters, digits, dots, dashes), a name and at least one desk."),
              "error")
        return _overview(), 400
    token = _token_fields()
    if token is None:
        return _overview(), 400
    try:
        plain = operations.create_service_account(services().sessions, actor(), account_id, display_name, desks,
                                                  token)
    except AdminRefused as refused:
        flash(str(refused.message), "error")
        return _overview(), 400
    return _overview(new_token=plain, new_token_for=account_id)


@bp.post("/admin/integrations/service-accounts/<account_id>/tokens")
@roles_required("admin")
def create_service_token(account_id: str):  # noqa: ANN201
    if db().get(ServiceAccount, account_id) is None:
        abort(404)
    plain = _new_token(account_id, "service")
    return _overview(new_token=plain, new_token_for=account_id), 200 if plain else 400


@bp.post("/admin/integrations/tokens/<int:token_id>/revoke")
@roles_required("admin")
def revoke_token(token_id: int):  # noqa: ANN201
    if not operations.revoke_token(services().sessions, actor(), token_id, None):
        abort(404)
    flash(_("The token is revoked."), "success")
    return redirect(url_for("integrations.admin_overview"))


def _webhook_fields() -> WebhookValues | None:
    """The address, event types and desks typed for a webhook; None (with the message) if not valid."""
    url = (request.form.get("url") or "").strip()
    types = [t.strip() for t in (request.form.get("event_types") or "").replace(",", " ").split() if t.strip()]
    desks = _chosen_desks()
    if (not url.startswith(("https://", "http://")) or len(url) > 500 or not types or desks is None
            or not all(EVENT_TYPE.match(t) for t in types)):
        flash(_("Give the partner's address (https://...) and the event types it wants (* for all)."), "error")
        return None
    return WebhookValues(url, types, desks)


@bp.post("/admin/integrations/webhooks")
@roles_required("admin")
def create_webhook():  # noqa: ANN201
    fields = _webhook_fields()
    if fields is None:
        return _overview(), 400
    secret = operations.register_webhook(services().sessions, actor(), fields)
    return _overview(new_secret=secret, new_secret_for=fields.url)


def _endpoint_or_404(endpoint_id: int) -> WebhookEndpoint:
    endpoint = db().get(WebhookEndpoint, endpoint_id) if endpoint_id <= MAX_ID else None
    if endpoint is None:
        abort(404)
    return endpoint


def _webhook_page(endpoint: WebhookEndpoint, status: int = 200):  # noqa: ANN202
    deliveries = db().scalars(select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
                              .order_by(WebhookDelivery.id.desc()).limit(200)).all()
    desks = db().scalars(select(Desk).order_by(Desk.id)).all()
    return render_template("integrations/webhook.html", endpoint=endpoint, deliveries=deliveries,
                           desks=desks), status


@bp.get("/admin/integrations/webhooks/<int:endpoint_id>")
@roles_required("admin")
def webhook_log(endpoint_id: int):  # noqa: ANN201
    return _webhook_page(_endpoint_or_404(endpoint_id))


@bp.post("/admin/integrations/webhooks/<int:endpoint_id>")
@roles_required("admin")
def change_webhook(endpoint_id: int):  # noqa: ANN201
    """Change a partner's address, event types or desks, or switch its deliveries off and on."""
    endpoint = _endpoint_or_404(endpoint_id)
    fields = _webhook_fields()
    if fields is None:
        return _webhook_page(endpoint, 400)
    if not operations.change_webhook(services().sessions, actor(), endpoint.id, fields,
                                      active=request.form.get("active") == "on"):
        abort(404)
    flash(_("The webhook is saved."), "success")
    return redirect(url_for("integrations.webhook_log", endpoint_id=endpoint_id))


@bp.post("/admin/integrations/deliveries/<int:delivery_id>/replay")
@roles_required("admin")
def replay_delivery(delivery_id: int):  # noqa: ANN201
    endpoint_id = operations.replay_delivery(services().sessions, actor(), delivery_id) \
        if delivery_id <= MAX_ID else None
    if endpoint_id is None:
        abort(404)
    flash(_("The delivery will be sent again at the next run of the notifications."), "success")
    return redirect(url_for("integrations.webhook_log", endpoint_id=endpoint_id))


@bp.get("/api/docs")
def api_docs():  # noqa: ANN201
    """The API's reference, browsable (Swagger UI, vendored), on the document the server builds."""
    return render_template("integrations/docs.html")
