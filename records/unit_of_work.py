"""One request, one transaction (DESIGN "Correct under real conditions"): what lies outside
the database follows the database's outcome.

- A ledger entry that records a state change ("handover.countersign ok") never claims an
  effect the database does not have. With the ledger in the database (vault.DbLedger) it is
  written in the change's own transaction, just before the commit, so the two commit or roll
  back together; with the file ledger it is written once the change is committed (a process
  that dies in between leaves a change without its entry, which `audit verify` reports).
  Reads of private data are different: their entry is written *before* the data is returned
  (the vault and `Workflow.values_of` do that), whatever happens to the transaction.
- A vault object written by a request that is rolled back is discarded, so no encrypted
  object is left that no record refers to (a process that dies leaves it for
  `handover vault check --repair`).

All hang on the SQLAlchemy session: `before_commit`, `after_commit` and `after_soft_rollback`
run what the work done in that session registered, once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.orm import Session

__all__ = ["after_commit", "discard_on_rollback", "on_rollback", "record_change"]

log = logging.getLogger("handover.records")

_COMMIT, _ROLLBACK = "after_commit_callbacks", "on_rollback_callbacks"
_ENTRIES = "ledger_entries_in_transaction"


def after_commit(session: Session, callback: Callable[[], object]) -> None:
    """Run `callback` once the session's current transaction commits (dropped on rollback)."""
    session.info.setdefault(_COMMIT, []).append(callback)


def on_rollback(session: Session, callback: Callable[[], object]) -> None:
    """Run `callback` if the session's current transaction is rolled back (dropped on
    commit)."""
    session.info.setdefault(_ROLLBACK, []).append(callback)


def record_change(session: Session, ledger, **entry) -> None:
    """Append a state change's ledger entry: in the same transaction when the ledger is in
    the database (at the commit, so the head row is locked for the commit only, and a
    private read logged later in the request does not wait on it), else once committed."""
    if hasattr(ledger, "append_in"):
        session.info.setdefault(_ENTRIES, []).append((ledger, entry))
    else:
        after_commit(session, lambda: ledger.append(**entry))


def discard_on_rollback(session: Session, vault, object_id: str) -> None:
    """A vault object this transaction refers to goes if the transaction is rolled back."""
    on_rollback(session, lambda: vault.discard(object_id, actor="system",
                                               reason="请求未完成，删除未被引用的加密文件"))


def _run(session: Session, run: str, drop: str) -> None:
    callbacks = session.info.pop(run, [])
    session.info.pop(drop, None)
    for callback in callbacks:
        try:
            callback()
        except Exception:  # the transaction is decided; one failure must not hide the others
            log.exception("after-transaction step failed")


@event.listens_for(Session, "before_commit")
def _write_entries(session: Session) -> None:
    if session.get_nested_transaction() is not None:  # a savepoint released; it goes on
        return
    pending = session.info.pop(_ENTRIES, [])
    for ledger in {id(ledger): ledger for ledger, _ in pending}.values():
        # a failure (LedgerUnavailable) fails the commit: the change is rolled back with it
        ledger.append_in(session.connection(), [e for lg, e in pending if lg is ledger])


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    if session.get_nested_transaction() is not None:  # a savepoint released; it goes on
        return
    _run(session, _COMMIT, _ROLLBACK)


@event.listens_for(Session, "after_soft_rollback")
def _rolled_back(session: Session, previous_transaction) -> None:
    # Every rollback of the outermost transaction, also when the database had not been
    # touched yet; a savepoint's rollback (a duplicate insert that was expected) is not one.
    if previous_transaction.parent is None and not previous_transaction.nested:
        session.info.pop(_ENTRIES, None)
        _run(session, _ROLLBACK, _COMMIT)
