"""Configuration of the web application: defaults, then the environment, then what `create_app` is given.

| setting | environment | default |
|---|---|---|
| DATABASE_URL | OPERA_DATABASE_URL | SQLite in the instance folder |
| SECRET_KEY | OPERA_SECRET_KEY | required, except in demo mode on SQLite (generated into the instance folder) |
| FILE_STORE | OPERA_FILE_STORE (database/folder) | database on PostgreSQL, folder (instance/files) on SQLite |
| INSTANCE_PATH | OPERA_INSTANCE_PATH | ./instance |
| PATHWAYS_DIR | OPERA_PATHWAYS_DIR | ./pathways, else the project's pathways/ |
| ASSESSMENTS_DIR | OPERA_ASSESSMENTS_DIR | ./assessments, else the project's assessments/ |
| SESSION_COOKIE_SECURE | OPERA_COOKIE_SECURE (0/1) | on |
| BASE_URL | OPERA_BASE_URL | http://localhost:5000: the site's address in sitemaps, alternates and e-mails |
| PROXIES | OPERA_PROXIES | 0: how many reverse proxies set X-Forwarded-For/-Proto in front of the app |
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any, Mapping

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Defaults:
    DEMO = False
    TESTING = False
    # Run the Alembic upgrade at start (always for SQLite; PostgreSQL is migrated with `opera db upgrade`).
    AUTO_UPGRADE: bool | None = None
    SYNC_PATHWAYS = True
    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_NAME = "opera_session"
    REMEMBER_COOKIE_SECURE = True
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = 8 * 3600  # a working day
    WTF_CSRF_TIME_LIMIT = 8 * 3600
    MAX_CONTENT_LENGTH = 60 * 1024 * 1024  # above every pathway's own document limit
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "Europe/Rome"  # Italy, France and Corsica share it
    LANGUAGES = ("it", "fr", "en")
    PAGE_SIZE = 25
    # Login throttling: per account and address, per account, per client address; free failures, then a
    # delay that doubles up to the lock time. A quiet window forgets the failures.
    LOGIN_MAX_FAILURES = 5
    LOGIN_FIRST_DELAY_SECONDS = 2
    LOGIN_IP_MAX_FAILURES = 50
    LOGIN_WINDOW_SECONDS = 15 * 60
    LOGIN_LOCK_SECONDS = 15 * 60
    PASSWORD_METHOD = "scrypt"
    PROXIES = 0
    # Staff views of workers' data are written together, this often, never by the page (portal/access_log.py).
    STAFF_VIEW_LOG_SECONDS = 1.0


def _env_bool(name: str) -> bool | None:
    value = os.environ.get(name)
    if value is None or value == "":
        return None
    return value.strip().lower() in ("1", "true", "yes", "on")


def from_environment() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, env in (("DATABASE_URL", "OPERA_DATABASE_URL"), ("SECRET_KEY", "OPERA_SECRET_KEY"),
                     ("INSTANCE_PATH", "OPERA_INSTANCE_PATH"), ("PATHWAYS_DIR", "OPERA_PATHWAYS_DIR"),
                     ("ASSESSMENTS_DIR", "OPERA_ASSESSMENTS_DIR"), ("FILE_STORE", "OPERA_FILE_STORE"),
                     ("BASE_URL", "OPERA_BASE_URL")):
        if os.environ.get(env):
            out[key] = os.environ[env]
    if os.environ.get("OPERA_PROXIES", "").strip().isdigit():
        out["PROXIES"] = int(os.environ["OPERA_PROXIES"])
    secure = _env_bool("OPERA_COOKIE_SECURE")
    if secure is not None:
        out["SESSION_COOKIE_SECURE"] = out["REMEMBER_COOKIE_SECURE"] = secure
    return out


def resolve(config: Mapping[str, Any] | None) -> dict[str, Any]:
    """Defaults < environment < the mapping given to create_app; paths and the database URL filled in."""
    out = {k: getattr(Defaults, k) for k in dir(Defaults) if k.isupper()}
    out.update(from_environment())
    out.update(config or {})
    instance = Path(out.get("INSTANCE_PATH") or Path.cwd() / "instance").resolve()
    out["INSTANCE_PATH"] = str(instance)
    if not out.get("DATABASE_URL"):
        name = "demo.sqlite" if out.get("DEMO") else "opera.sqlite"
        out["DATABASE_URL"] = f"sqlite:///{instance / name}"
    if not out.get("PATHWAYS_DIR"):
        here = Path.cwd() / "pathways"
        out["PATHWAYS_DIR"] = str(here if here.is_dir() else PROJECT_ROOT / "pathways")
    if not out.get("ASSESSMENTS_DIR"):
        here = Path.cwd() / "assessments"
        out["ASSESSMENTS_DIR"] = str(here if here.is_dir() else PROJECT_ROOT / "assessments")
    if out.get("AUTO_UPGRADE") is None:
        out["AUTO_UPGRADE"] = str(out["DATABASE_URL"]).startswith("sqlite")
    if not out.get("SECRET_KEY"):
        shared = not str(out["DATABASE_URL"]).startswith("sqlite")
        if shared and not out.get("TESTING"):
            # Every app server on the database must sign sessions with the same key: a key made up in one
            # instance folder would log people out whenever the proxy sent them to another server.
            raise RuntimeError("OPERA_SECRET_KEY is not set: on PostgreSQL every app server needs the same long "
                               "random secret key (see docs/deploy.md)")
        if out.get("DEMO") or out.get("TESTING"):
            out["SECRET_KEY"] = instance_secret(instance)
        else:
            raise RuntimeError("OPERA_SECRET_KEY is not set: give the application a long random secret key "
                               "(or run the demo: opera serve --demo)")
    return out


def instance_secret(instance: Path) -> str:
    """A random key kept in the instance folder, so that demo sessions survive a restart."""
    path = instance / "secret_key"
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(key, encoding="utf-8")
    tmp.chmod(0o600)
    os.replace(tmp, path)
    return path.read_text(encoding="utf-8").strip()
