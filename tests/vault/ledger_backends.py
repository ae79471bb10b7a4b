"""The ledger's two backends for its test suite: the file ledger under tmp_path and the
database ledger in a private PostgreSQL schema (skipped when PostgreSQL is down), with what an
attacker with write access to either can do to them (import the fixtures into a test module).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from tests.conftest import pg_schema_url
from vault import DbLedger, Ledger
from vault.ledger_db import LEDGER_ENTRY, LEDGER_HEAD, metadata


@pytest.fixture
def pg_url():
    """A private, empty schema in the machine's PostgreSQL."""
    with pg_schema_url() as url:
        yield url


@pytest.fixture
def pg_engine(pg_url):
    """An engine on that schema, holding the ledger's tables (as migration 0016 makes them;
    tests/records/test_migrations.py checks the two agree)."""
    engine = create_engine(pg_url)
    metadata.create_all(engine)
    yield engine
    engine.dispose()


class Backend:
    """Opens ledgers of one backend on one store, and tampers with the store directly."""

    name: str

    def open(self, provider, **kw):
        raise NotImplementedError

    def lines(self) -> list[bytes]:
        raise NotImplementedError

    def rewrite(self, lines: list[bytes]) -> None:
        raise NotImplementedError

    def head_raw(self) -> bytes | None:
        raise NotImplementedError

    def set_head(self, raw: bytes | None) -> None:
        raise NotImplementedError

    def break_appends(self) -> None:
        """Make appends fail for real (even as root)."""
        raise NotImplementedError


class FileBackend(Backend):
    name = "file"

    def __init__(self, folder: Path):
        self.folder = folder

    def open(self, provider, **kw) -> Ledger:
        return Ledger(self.folder, provider, **kw)

    def lines(self) -> list[bytes]:
        return (self.folder / "ledger.jsonl").read_bytes().splitlines(keepends=True)

    def rewrite(self, lines: list[bytes]) -> None:
        (self.folder / "ledger.jsonl").write_bytes(b"".join(lines))

    def head_raw(self) -> bytes | None:
        path = self.folder / "ledger.head"
        return path.read_bytes() if path.exists() else None

    def set_head(self, raw: bytes | None) -> None:
        if raw is None:
            (self.folder / "ledger.head").unlink()
        else:
            (self.folder / "ledger.head").write_bytes(raw)

    def break_appends(self) -> None:
        path = self.folder / "ledger.jsonl"  # the ledger file becomes a directory
        path.unlink()
        path.mkdir()


class DbBackend(Backend):
    name = "db"

    def __init__(self, engine: Engine):
        self.engine = engine

    def open(self, provider, **kw) -> DbLedger:
        return DbLedger(self.engine, provider, **kw)

    def lines(self) -> list[bytes]:
        with self.engine.connect() as conn:
            return [line.encode() + b"\n" for line in conn.scalars(
                LEDGER_ENTRY.select().with_only_columns(LEDGER_ENTRY.c.line)
                .order_by(LEDGER_ENTRY.c.seq))]

    def rewrite(self, lines: list[bytes]) -> None:
        """As someone with write access to the tables would: rows consistent with lines."""
        rows = []
        for raw in lines:
            fields = json.loads(raw)
            rows.append({"seq": fields["seq"], "time": fields["time"], "actor": fields["actor"],
                         "action": fields["action"], "subject": fields["subject"],
                         "line": raw.rstrip(b"\n").decode()})
        with self.engine.begin() as conn:
            conn.execute(LEDGER_ENTRY.delete())
            # a swapped or repeated seq would break the key: keep the seq column unique
            for position, row in enumerate(rows, start=1):
                conn.execute(LEDGER_ENTRY.insert().values({**row, "seq": position}))

    def head_raw(self) -> bytes | None:
        with self.engine.connect() as conn:
            record = conn.scalar(LEDGER_HEAD.select().with_only_columns(LEDGER_HEAD.c.record))
        return None if record is None else record.encode()

    def set_head(self, raw: bytes | None) -> None:
        with self.engine.begin() as conn:
            conn.execute(LEDGER_HEAD.delete())
            if raw is not None:
                conn.execute(LEDGER_HEAD.insert().values(id=1, record=raw.decode().rstrip()))

    def break_appends(self) -> None:
        with self.engine.begin() as conn:
            conn.execute(text("ALTER TABLE ledger_entry RENAME TO ledger_entry_gone"))


@pytest.fixture(params=["file", "db"])
def backend(request, tmp_path: Path) -> Backend:
    if request.param == "file":
        return FileBackend(tmp_path / "ledger")
    return DbBackend(request.getfixturevalue("pg_engine"))


@pytest.fixture
def any_ledger(backend: Backend, keyring):
    """A ledger of each backend, signing with the test's keyring."""
    return backend.open(keyring)
