"""One database session per request (or CLI command), committed at teardown when the request
succeeded and rolled back otherwise, as in the Flask tutorial."""

from __future__ import annotations

from flask import g
from sqlalchemy.orm import Session

from webapp import services

__all__ = ["get_db"]


def get_db() -> Session:
    if "db" not in g:
        g.db = services().session_factory()
    return g.db
