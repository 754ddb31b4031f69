"""Passwords, login throttling and the security headers of every response."""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, Response, abort, current_app, request, send_file
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from engine.models import utcnow

from .models import KnownAddress, LoginThrottle, User

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",  # the CSS framework draws its icons as data: SVG
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
MIN_PASSWORD_LENGTH = 10
# A hash to check against when the account does not exist, so that both cases take the same time.
_DUMMY_HASH: dict[str, str] = {}


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_METHOD"])


def verify_password(user: User | None, password: str) -> bool:
    if user is None or not user.password_hash:
        method = current_app.config["PASSWORD_METHOD"]
        dummy = _DUMMY_HASH.setdefault(method, generate_password_hash("not a password", method=method))
        check_password_hash(dummy, password)
        return False
    return check_password_hash(user.password_hash, password)


# --- throttling -------------------------------------------------------------------------------------
# Failures are counted per account and address, per account from anywhere, and per address across accounts,
# each with a delay that doubles with every failure past its free ones. The account-wide count never holds
# back an address the account signed in from before: nobody can lock an owner out from elsewhere.

def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _account_key(email: str) -> str:
    return "email:" + _digest(email.strip().lower())[:40]


def _pair_prefix(email: str) -> str:
    return "pair:" + _digest(email.strip().lower())[:40] + ":"


def throttle_keys(email: str, address: str | None, *, known_address: bool = False) -> list[tuple[str, int]]:
    """The counters a login attempt is held to, each with its number of free failures."""
    config = current_app.config
    keys = []
    if address:
        keys.append((_pair_prefix(email) + _digest(address)[:40], config["LOGIN_MAX_FAILURES"]))
        keys.append(("ip:" + address[:90], config["LOGIN_IP_MAX_FAILURES"]))
    if not known_address:
        keys.append((_account_key(email), config["LOGIN_MAX_FAILURES"]))
    return keys


def is_known_address(session: Session, user: User | None, address: str | None) -> bool:
    return user is not None and bool(address) and \
        session.get(KnownAddress, (user.id, _digest(address or ""))) is not None


def delay_after(failures: int, free: int) -> timedelta | None:
    """No wait for the free failures, then 2 s, 4 s, 8 s... up to the lock time."""
    if failures < free:
        return None
    config = current_app.config
    seconds = config["LOGIN_FIRST_DELAY_SECONDS"] * 2 ** min(failures - free, 30)
    return timedelta(seconds=min(seconds, config["LOGIN_LOCK_SECONDS"]))


def locked_for(session: Session, email: str, address: str | None, user: User | None = None,
               now: datetime | None = None) -> timedelta | None:
    """How long logins for this e-mail from this address are refused, if they are."""
    now = now or utcnow()
    longest: timedelta | None = None
    for key, _free in throttle_keys(email, address, known_address=is_known_address(session, user, address)):
        row = session.get(LoginThrottle, key)
        if row is not None and row.locked_until is not None and row.locked_until > now:
            remaining = row.locked_until - now
            longest = remaining if longest is None or remaining > longest else longest
    return longest


def record_failure(session: Session, email: str, address: str | None, user: User | None) -> None:
    config = current_app.config
    now = utcnow()
    window = timedelta(seconds=config["LOGIN_WINDOW_SECONDS"])
    for key, free in throttle_keys(email, address):
        row = session.get(LoginThrottle, key)
        if row is None:
            row = LoginThrottle(key=key, failures=0, window_start=now)
            session.add(row)
        if now - row.window_start > window and (row.locked_until is None or row.locked_until <= now):
            row.failures = 0  # a quiet window forgets the earlier failures
            row.window_start = now
        row.failures += 1
        delay = delay_after(row.failures, free)
        row.locked_until = now + delay if delay is not None else None
        row.window_start = now if delay is not None else row.window_start
    if user is not None:
        user.failed_logins = (user.failed_logins or 0) + 1
    session.commit()  # counters, not changes of record: no audit entry (a flood of failures must not fill it)


def record_success(session: Session, email: str, user: User, address: str | None = None) -> None:
    now = utcnow()
    if address:
        row = session.get(LoginThrottle, _pair_prefix(email) + _digest(address)[:40])
        if row is not None:
            session.delete(row)
        known = session.get(KnownAddress, (user.id, _digest(address)))
        if known is not None:
            known.last_seen_at = now
        else:
            try:
                with session.begin_nested():  # the same address signing in twice at once: one row
                    session.add(KnownAddress(user_id=user.id, address_hash=_digest(address), last_seen_at=now))
            except IntegrityError:
                pass
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    session.commit()


def unlock(session: Session, user: User) -> None:
    """The administrator lifts every wait of the account (from anywhere)."""
    if user.email:
        session.execute(delete(LoginThrottle).where(
            (LoginThrottle.key == _account_key(user.email)) | LoginThrottle.key.startswith(_pair_prefix(user.email))))
    user.failed_logins = 0
    user.locked_until = None


# --- headers ----------------------------------------------------------------------------------------

def add_security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if not request.path.startswith("/static/"):
        headers.setdefault("Cache-Control", "no-store")
    return response


def send_stored_file(sha256: str, content_type: str, *, max_age: int = 0, filename: str | None = None,
                     inline: bool = True) -> Response:
    """The bytes of a stored file, from the folder or the database (a chunk at a time), with their hash as the
    ETag and byte ranges; 404 when they are gone."""
    from .services import services

    files = services().files
    size = files.size(sha256)
    try:
        stream = files.open(sha256)
    except FileNotFoundError:
        abort(404)
    if size is None:
        stream.close()
        abort(404)
    response = send_file(stream, mimetype=content_type, as_attachment=not inline, download_name=filename,
                         etag=sha256, conditional=False, max_age=max_age)
    response.content_length = size
    response = response.make_conditional(request.environ, accept_ranges=True, complete_length=size)
    if filename is None:
        response.headers["Content-Disposition"] = "inline"
    return response


def send_document(document: Any) -> Response:
    """A case document for someone already allowed to see it."""
    return send_private_file(document.sha256, document.content_type, document.filename)


def send_private_file(sha256: str, content_type: str, filename: str, *, inline: bool = False) -> Response:
    """A stored file (case document, databank file) for someone already allowed to see it: 404 when the bytes
    are gone, shown sandboxed (an uploaded HTML or SVG runs nothing) and never cached."""
    response = send_stored_file(sha256, content_type, filename=filename, inline=inline)
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def init_app(app: Flask) -> None:
    app.after_request(add_security_headers)
