"""The database part of a backup: every row of every table as one JSON line, and back.

Values are read and written through each column's type, so that a backup of SQLite restores
into PostgreSQL and the other way round (times as UTC ISO strings, dates, booleans, bytes as
base64), except private fields: those are read and written as the stored text, so they stay
ciphertext in the backup (DESIGN "What is at rest").
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Text, column, inspect, select, table, text

import records.models  # noqa: F401  (every table on Base.metadata)
from records.db import Base
from vault import EncryptedText

__all__ = ["dump_rows", "load_rows", "snapshot", "tables_with_rows"]

_BATCH = 500


def _stored_type(col):
    return Text() if isinstance(col.type, EncryptedText) else col.type


def _raw_table(tbl):
    return table(tbl.name, *[column(c.name, _stored_type(c)) for c in tbl.columns])


def _to_json(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, bytes | memoryview):
        return {"$b64": base64.b64encode(bytes(value)).decode()}
    return value


def _from_json(value: Any) -> Any:
    if isinstance(value, dict):
        if "$dt" in value:
            return datetime.fromisoformat(value["$dt"])
        if "$date" in value:
            return date.fromisoformat(value["$date"])
        if "$b64" in value:
            return base64.b64decode(value["$b64"])
    return value


@contextmanager
def snapshot(engine: Engine) -> Iterator[tuple[Connection, str]]:
    """A connection whose reads all see one moment of the database, fixed on entry, and the
    schema revision. PostgreSQL: a REPEATABLE READ transaction (the level is set before it
    begins); SQLite: an explicit BEGIN, since its driver begins no transaction for reads
    and each SELECT would otherwise see its own moment."""
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execution_options(isolation_level="REPEATABLE READ")
        else:
            conn.exec_driver_sql("BEGIN")
        yield conn, conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()


def dump_rows(conn: Connection, dest: Path) -> int:
    """Write every row to `dest`, tables in dependency order, rows by primary key (a row may
    refer to an earlier one of its own table); returns how many."""
    rows = 0
    with open(dest, "w", encoding="utf-8") as out:
        for tbl in Base.metadata.sorted_tables:
            raw = _raw_table(tbl)
            order = [raw.c[c.name] for c in tbl.primary_key.columns]
            for row in conn.execute(select(*raw.c).order_by(*order)).mappings():
                line = {"table": tbl.name, "row": {k: _to_json(v) for k, v in row.items()}}
                out.write(json.dumps(line, ensure_ascii=False) + "\n")
                rows += 1
    return rows


def load_rows(conn: Connection, src: Path) -> int:
    """Insert the rows of `src` (written by dump_rows) with their ids, then move PostgreSQL's
    id sequences past them; returns how many. The caller owns the transaction."""
    tables = {t.name: _raw_table(t) for t in Base.metadata.sorted_tables}
    batch: list[dict[str, Any]] = []
    current = None
    rows = 0
    with open(src, encoding="utf-8") as fh:
        for line in fh:
            item = json.loads(line)
            if batch and (item["table"] != current or len(batch) >= _BATCH):
                conn.execute(tables[current].insert(), batch)
                batch = []
            current = item["table"]
            batch.append({k: _from_json(v) for k, v in item["row"].items()})
            rows += 1
    if batch:
        conn.execute(tables[current].insert(), batch)
    if conn.dialect.name == "postgresql":
        _reset_sequences(conn)
    return rows


def tables_with_rows(conn: Connection) -> list[str]:
    """The tables of the schema that exist in this database and hold a row."""
    present = set(inspect(conn).get_table_names())
    return [t.name for t in Base.metadata.sorted_tables
            if t.name in present and conn.execute(select(1).select_from(t).limit(1)).first()]


def _reset_sequences(conn: Connection) -> None:
    """Rows were inserted with their ids: move each serial sequence past the largest one."""
    for tbl in Base.metadata.sorted_tables:
        pk = list(tbl.primary_key.columns)
        if len(pk) != 1 or pk[0].type.python_type is not int:
            continue
        # Table and column names come from our own metadata, never from input.
        conn.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{tbl.name}', '{pk[0].name}'), "  # noqa: S608
            f"COALESCE((SELECT MAX({pk[0].name}) FROM {tbl.name}), 0) + 1, false)"
        ))
