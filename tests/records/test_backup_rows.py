"""The database part of a backup, on SQLite and PostgreSQL: the dump sees one moment of the
database, however long it takes and whatever commits meanwhile."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import column, table

from records.backup.rows import dump_rows, snapshot, tables_with_rows
from records.db import make_engine, migrate


def test_a_dump_sees_the_moment_its_snapshot_was_taken(db_url, tmp_path: Path):
    engine = make_engine(db_url)
    migrate(engine)
    throttle = table("login_throttle", column("login"), column("failures"))
    with engine.begin() as conn:
        conn.execute(throttle.insert().values(login="before", failures=1))
    with snapshot(engine) as (conn, revision):
        with engine.begin() as other:  # commits while the backup is being written
            other.execute(throttle.insert().values(login="after", failures=1))
        rows = dump_rows(conn, tmp_path / "rows.jsonl")
    assert revision and rows == 1
    assert '"before"' in (tmp_path / "rows.jsonl").read_text()
    with engine.connect() as conn:
        assert tables_with_rows(conn) == ["login_throttle"]
    engine.dispose()
