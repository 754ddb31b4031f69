"""The `mywork` blueprint: the staff's landing page, what waits for them (`lists.py` gathers it)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("mywork", __name__, template_folder="templates")

from . import views  # noqa: E402,F401 - the routes
