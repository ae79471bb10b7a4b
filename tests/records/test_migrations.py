"""The Alembic migrations create exactly the schema the models declare, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import records.models  # noqa: F401
from records.db import Base, make_engine, migrate
from vault.ledger_db import metadata as ledger_metadata


def test_migrations_match_models_and_are_idempotent(db_url):
    engine = make_engine(db_url)
    migrate(engine)
    migrate(engine)  # a second run changes nothing and does not fail
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn),
                                [Base.metadata, ledger_metadata])  # the vault's own tables
    engine.dispose()
    assert diff == []


def test_sqlite_runs_in_wal_mode(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'wal.sqlite3'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


def test_department_heads_keep_their_role(db_url):
    """0013: the head flag of a staff membership becomes the role 'head'; others 'member'."""
    from sqlalchemy import text

    engine = make_engine(db_url)
    migrate(engine, "0012")
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO staff (id, login, display_name, password_hash, is_admin, active, "
            "created_at, password_changed_at) VALUES (1, 'mgt', 'M', '-', false, true, "
            "'2026-01-01 00:00:00', '2026-01-01 00:00:00')"))
        conn.execute(text("INSERT INTO staff_department (staff_id, department, is_head) "
                          "VALUES (1, 'MGT', true), (1, 'SUP', false)"))
    migrate(engine)
    with engine.connect() as conn:
        roles = dict(conn.execute(text("SELECT department, role FROM staff_department")).all())
    engine.dispose()
    assert roles == {"MGT": "head", "SUP": "member"}
