"""Passwords, login throttling and the security headers of every response."""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from flask import Flask, Response, abort, current_app, request, send_file
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from engine.models import utcnow

from .models import LoginThrottle, User

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

def throttle_keys(email: str, address: str | None) -> list[tuple[str, int]]:
    config = current_app.config
    keys = [("email:" + hashlib.sha256(email.strip().lower().encode()).hexdigest()[:40],
             config["LOGIN_MAX_FAILURES"])]
    if address:
        keys.append(("ip:" + address[:90], config["LOGIN_IP_MAX_FAILURES"]))
    return keys


def locked_for(session: Session, email: str, address: str | None, now: datetime | None = None) -> timedelta | None:
    """How long logins for this e-mail or from this address are refused, if they are."""
    now = now or utcnow()
    longest: timedelta | None = None
    for key, _limit in throttle_keys(email, address):
        row = session.get(LoginThrottle, key)
        if row is not None and row.locked_until is not None and row.locked_until > now:
            remaining = row.locked_until - now
            longest = remaining if longest is None or remaining > longest else longest
    return longest


def record_failure(session: Session, email: str, address: str | None, user: User | None) -> None:
    config = current_app.config
    now = utcnow()
    window = timedelta(seconds=config["LOGIN_WINDOW_SECONDS"])
    lock = timedelta(seconds=config["LOGIN_LOCK_SECONDS"])
    for key, limit in throttle_keys(email, address):
        row = session.get(LoginThrottle, key)
        if row is None:
            row = LoginThrottle(key=key, failures=0, window_start=now)
            session.add(row)
        if now - row.window_start > window:
            row.failures = 0
            row.window_start = now
        row.failures += 1
        if row.failures >= limit:
            row.locked_until = now + lock
            row.failures = 0
            row.window_start = now
    if user is not None:
        user.failed_logins = (user.failed_logins or 0) + 1
        if user.failed_logins >= config["LOGIN_MAX_FAILURES"]:
            user.locked_until = now + lock
    session.commit()  # counters, not changes of record: no audit entry (a flood of failures must not fill it)


def record_success(session: Session, email: str, user: User) -> None:
    row = session.get(LoginThrottle, throttle_keys(email, None)[0][0])
    if row is not None:
        session.delete(row)
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = utcnow()
    session.commit()


def unlock(session: Session, user: User) -> None:
    row = session.get(LoginThrottle, throttle_keys(user.email, None)[0][0]) if user.email else None
    if row is not None:
        session.delete(row)
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


def send_private_file(sha256: str, content_type: str, filename: str, *, inline: bool = False) -> Response:
    """A stored file (case document, databank file) for someone already allowed to see it: 404 when the bytes
    are gone, shown sandboxed (an uploaded HTML or SVG runs nothing) and never cached."""
    response = send_stored_file(sha256, content_type, filename=filename, inline=inline)
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def init_app(app: Flask) -> None:
    app.after_request(add_security_headers)
