"""Where an act comes from, for the ledger (issue 12: traceable access): a web request's
client address, or the operating-system user who ran a command. Decided once here and
attached by the ledger writer to every entry (vault.Ledger's `origin`), so no call site has
to pass it."""

from __future__ import annotations

import os
import pwd

import click
from flask import g, has_request_context, request

__all__ = ["client_address", "current_origin"]


def client_address() -> str:
    """The client's address as the trusted proxy setting gives it: with TRUSTED_PROXIES = n,
    ProxyFix has taken it from the n-th X-Forwarded-For hop; with 0, the socket's peer (a
    forwarded header from the client itself is never believed)."""
    return request.remote_addr or "unknown"


def _os_user() -> str:
    # The real user id, not $USER: an environment variable is the caller's to set.
    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        return f"uid:{os.getuid()}"


def current_origin() -> dict[str, str] | None:
    """{"channel": "web", "address": ...} inside a request ({"channel": "api", "address": ...,
    "token": id} for a call with a personal access token, webapp.api), {"channel": "cli",
    "os_user": ...} inside a command; None for anything else (e.g. a library used from a
    test)."""
    if has_request_context():
        token_id = g.get("api_token_id")
        if token_id is not None:
            return {"channel": "api", "address": client_address(), "token": str(token_id)}
        return {"channel": "web", "address": client_address()}
    if click.get_current_context(silent=True) is not None:
        return {"channel": "cli", "os_user": _os_user()}
    return None
