"""Irreversible actions are confirmed. Their forms carry `data-confirm` (the question) and an empty
`confirmed` field: the page's script (static/js/app.js) asks in the browser and fills the field; without the
script the server answers the post with a page asking the same question, whose form posts it again confirmed.
No inline script either way (the CSP forbids it)."""
from __future__ import annotations

from flask import render_template, request


def unconfirmed(question: str, cancel_url: str):  # noqa: ANN201 - a response, or None
    """The confirmation page for a post not confirmed yet; None once it is."""
    if request.form.get("confirmed") == "1":
        return None
    fields = [(name, value) for name, value in request.form.items(multi=True) if name != "confirmed"]
    return render_template("confirm.html", question=question, fields=fields, action=request.path,
                           cancel_url=cancel_url)
