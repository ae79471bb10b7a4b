"""A state change and its ledger entry commit or roll back together when the ledger is in the
database (issue 15, settling issue 10's ledger/database mismatch on PostgreSQL): the entry is
written in the change's transaction, at its commit."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from records.db import make_session_factory
from records.unit_of_work import record_change
from tests.vault.ledger_backends import pg_engine, pg_url  # noqa: F401  (fixtures)
from vault import DbLedger, Keyring, LedgerUnavailable


@pytest.fixture
def school(pg_engine, tmp_path):  # noqa: F811
    with pg_engine.begin() as conn:
        conn.execute(text("CREATE TABLE thing (id int PRIMARY KEY, status text NOT NULL)"))
        conn.execute(text("INSERT INTO thing VALUES (1, 'submitted')"))
    ledger = DbLedger(pg_engine, Keyring.open(tmp_path / "keys", create=True))
    return make_session_factory(pg_engine), ledger


def _countersign(db, ledger) -> None:
    db.execute(text("UPDATE thing SET status = 'countersigned' WHERE id = 1"))
    record_change(db, ledger, actor="aca", action="handover.countersign", subject="thing:1")


def _status(sessions) -> str:
    with sessions() as db:
        return db.scalar(text("SELECT status FROM thing WHERE id = 1"))


def test_rolled_back_change_leaves_no_entry(school):
    sessions, ledger = school
    with sessions() as db:
        _countersign(db, ledger)
        db.rollback()  # the request failed after its change
    assert _status(sessions) == "submitted" and list(ledger.entries()) == []
    with sessions() as db:
        _countersign(db, ledger)
        db.commit()
    assert _status(sessions) == "countersigned"
    assert [e.action for e in ledger.entries()] == ["handover.countersign"]
    assert ledger.verify().ok


def test_failed_entry_fails_the_commit_of_its_change(school, pg_engine):  # noqa: F811
    sessions, ledger = school
    with pg_engine.begin() as conn:
        conn.execute(text("ALTER TABLE ledger_entry RENAME TO ledger_entry_gone"))
    with sessions() as db:
        _countersign(db, ledger)
        with pytest.raises(LedgerUnavailable):
            db.commit()
        db.rollback()
    assert _status(sessions) == "submitted"  # no change the ledger does not record
