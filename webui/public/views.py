"""Public catalogue pages for investors (territorial marketing); never a person."""
from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("public", __name__, template_folder="templates")


@bp.get("/")
def index():  # noqa: ANN201
    return render_template("public/index.html")
