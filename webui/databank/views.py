"""Databank pages for help-desk operators."""
from __future__ import annotations

from flask import Blueprint, render_template

from ..access import roles_required

bp = Blueprint("databank", __name__, template_folder="templates")


@bp.get("/")
@roles_required("operator", "admin")
def index():  # noqa: ANN201
    return render_template("databank/index.html")
