"""Transport and browser security: secret key, cookie flags, CSRF, security headers and a
refusal of form data that is not valid UTF-8."""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

from flask import Flask, abort, request
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFProtect

from webapp import services

__all__ = ["init_app", "csrf"]

csrf = CSRFProtect()

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'self'",
        "frame-src 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "base-uri 'none'",
    ]
)


def _valid_utf8_urlencoded(raw: bytes) -> bool:
    try:
        for pair in raw.split(b"&"):
            unquote_to_bytes(pair.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


class _SessionInterface(SecureCookieSessionInterface):
    """Loads the secret key on first use (the instance may be initialised after the app is
    created) and marks the session cookie Secure whenever the request came over HTTPS."""

    def get_signing_serializer(self, app: Flask):
        if not app.secret_key:
            app.secret_key = services(app).secret_key()
        return super().get_signing_serializer(app)

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"] or request.is_secure)


def init_app(app: Flask) -> None:
    app.session_interface = _SessionInterface()

    @app.before_request
    def _refuse_invalid_utf8():
        # Werkzeug silently drops (urlencoded) or replaces (multipart) undecodable bytes; such
        # input is refused with a message instead of being stored half-mangled.
        if request.method != "POST":
            return
        if request.mimetype == "application/x-www-form-urlencoded":
            valid = _valid_utf8_urlencoded(request.get_data(cache=True))
        else:
            valid = not any("\ufffd" in v for v in request.form.values())
        if not valid:
            abort(400, description="提交的内容不是有效的 UTF-8 文本，请检查后重新提交。")

    csrf.init_app(app)  # after the UTF-8 check, which must read the raw body first

    @app.after_request
    def _headers(response):
        h = response.headers
        h.setdefault("Content-Security-Policy", CSP)
        h.setdefault("X-Frame-Options", "DENY")
        h.setdefault("X-Content-Type-Options", "nosniff")
        h.setdefault("Referrer-Policy", "same-origin")
        h.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if request.is_secure:
            h.setdefault("Strict-Transport-Security", "max-age=31536000")
        if request.endpoint != "static":
            h.setdefault("Cache-Control", "no-store")
        return response
