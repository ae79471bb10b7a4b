"""BASE_URL against where the server is reached (issue 14): the QR code of every signed form
points at BASE_URL, so a BASE_URL of 127.0.0.1 on a server the staff reach at 192.168.1.20
prints QR codes no phone can open, and nothing said so. The first request's host is compared
with BASE_URL's (loopback names count as one); a mismatch is logged once as a warning and
shown to administrators on the home page."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import Flask, request

__all__ = ["init_app", "mismatch", "warning_for"]

log = logging.getLogger("handover.web")

LOOPBACK = {"localhost", "127.0.0.1", "::1"}
_KEY = "handover.base_url_mismatch"


def _host_port(netloc_or_url: str, scheme: str) -> tuple[str, int | None]:
    parts = urlsplit(netloc_or_url if "//" in netloc_or_url else f"//{netloc_or_url}")
    host = (parts.hostname or "").lower()
    host = "localhost" if host in LOOPBACK or host.startswith("127.") else host
    try:
        port = parts.port
    except ValueError:
        port = None
    return host, port if port is not None else None if not scheme else {
        "http": 80, "https": 443}.get(scheme)


def mismatch(base_url: str, served_host: str, served_scheme: str = "") -> str | None:
    """Why `base_url` is not where a request for `served_host` arrived, or None. A port is
    compared only when the request names one (behind a proxy it is the proxy's)."""
    base = urlsplit(base_url)
    base_host, base_port = _host_port(base_url, base.scheme)
    host, port = _host_port(served_host, "")
    if base_host != host:
        return (f"BASE_URL（{base_url}）的主机与服务器实际被访问的地址（{served_host}）不一致："
                "表单二维码将指向错误的地址。")
    if port is not None and port != base_port and not (served_scheme and port == {
            "http": 80, "https": 443}.get(served_scheme)):
        return (f"BASE_URL（{base_url}）的端口与服务器实际被访问的地址（{served_host}）不一致："
                "表单二维码将指向错误的地址。")
    return None


def warning_for(app: Flask) -> str | None:
    """The mismatch found at the first request, for the administrator's home page."""
    return app.extensions.get(_KEY)


def init_app(app: Flask, base_url: str) -> None:
    checked = []

    @app.before_request
    def _check_base_url():
        if checked:
            return
        checked.append(True)
        problem = mismatch(base_url, request.host, request.scheme)
        if problem:
            app.extensions[_KEY] = problem
            log.warning("BASE_URL mismatch: %s is configured, requests arrive for %s; the QR "
                        "codes on signed forms point at BASE_URL", base_url, request.host)
