"""What the oversight pages share: the signed-in staff member, refusals that reach the ledger
(403), and a form's problems as {field: message} to show beside each field."""

from __future__ import annotations

from typing import NoReturn

from flask import request
from flask_login import current_user

from records.errors import ValidationFailed
from records.oversight.steps import deny
from records.staff import Staff
from webapp import services
from webapp.db import get_db

__all__ = ["form_of", "me", "problems_of", "refuse"]


def me() -> Staff:
    return current_user.staff


def refuse(action: str, message_zh: str) -> NoReturn:
    """403 for a page its viewer may not open, recorded in the ledger."""
    deny(services().ledger, me(), action, None, message_zh)


def problems_of(exc: ValidationFailed) -> dict[str, str]:
    get_db().rollback()  # nothing of a refused form is saved
    problems: dict[str, str] = {}
    for p in exc.problems:
        problems.setdefault(p.field, p.message_zh)
    return problems


def form_of(*names: str) -> dict[str, str]:
    return {n: request.form.get(n, "") for n in names}
