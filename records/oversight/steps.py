"""The two moves every oversight record shares: refusing with a ledger entry, and changing
state compare-and-set (DESIGN "One request, one transaction"): `UPDATE ... WHERE state IN (the
states it starts from)`, so that of two concurrent answers or closes exactly one wins and the
other gets a Conflict."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NoReturn

from sqlalchemy import update
from sqlalchemy.orm import Session

from records.errors import Conflict, PermissionDenied
from records.staff import Staff
from vault import Ledger

__all__ = ["deny", "move"]


def deny(audit: Ledger, actor: Staff, action: str, subject: str | None,
         message_zh: str) -> NoReturn:
    """Record the refused attempt in the ledger, then refuse it."""
    audit.append(actor=actor.login, action=action, subject=subject, outcome="denied")
    raise PermissionDenied(actor.login, action, message_zh)


def move(session: Session, row, from_states: Iterable[str], to_state: str,
         conflict_zh: str, **values) -> None:
    """Set `row`'s state to `to_state` (and `values`) only if it is still in `from_states`;
    Conflict when another request moved it first. Nothing else has been written by then."""
    model = type(row)
    result = session.execute(
        update(model).where(model.id == row.id, model.state.in_(list(from_states)))
        .values(state=to_state, **values).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        session.expire(row)
        raise Conflict(conflict_zh)
    session.expire(row)
