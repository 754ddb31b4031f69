"""The web UI of OPERA Pathways: a thin Flask shell over the engine.

    from webui import create_app
    app = create_app()          # configuration from the environment (OPERA_DATABASE_URL, OPERA_SECRET_KEY...)

    gunicorn -w 4 'webui:create_app()'

Nothing happens at import time; every change to a case goes through an engine operation. The application
(webui.app) is imported when first asked for: the command line checks files without loading Flask.
"""
from __future__ import annotations

from typing import Any

_APP_NAMES = ("create_app", "csrf", "login_manager")
__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name not in _APP_NAMES:
        raise AttributeError(f"module 'webui' has no attribute {name!r}")
    from . import app

    return getattr(app, name)
