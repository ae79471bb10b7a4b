"""The access ledger in the database, for app servers that share one PostgreSQL (issue 15).

The same entries, hash chain and signed head as the file ledger (vault.ledger), kept in two
tables the application's migrations create:

- ``ledger_entry``: one row per entry; ``line`` is the entry's canonical JSON, byte for byte
  the line the file ledger would write (what is hashed and verified); seq, time, actor,
  action and subject are copies for filtering, checked against the line by `verify`.
- ``ledger_head``: one row holding the signed head record, updated in the transaction that
  adds the entries it covers. So the head is never behind nor ahead of the rows: every
  committed entry is signed, and a row added or removed behind the ledger's back is found.

Appends are serialised across servers by the head row, locked (SELECT ... FOR UPDATE) by the
appending transaction until it commits or rolls back. An append either runs in a
transaction of its own, committed before it returns (a private read is logged durably before
its data is returned, whatever becomes of the caller's transaction: policy C3), or joins the
caller's transaction (`append_in`): a state change and its entry then commit or roll back
together. Since the head row is held across the commit's WAL flush, appends of one process
share transactions (group commit, as the file ledger shares its fsyncs): while one thread
commits, the others queue, and the next of them commits them all at once.

The caller hands in the engine (or connection): the vault never reads configuration.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    insert,
    inspect,
    select,
    update,
)
from sqlalchemy.exc import DBAPIError

from .entry import GENESIS_HASH, Entry, VerifyResult, canonical, new_entry
from .errors import LedgerCorrupt, LedgerReadOnly, LedgerUnavailable
from .ledger import _as_keys
from .ledger_head import HEAD_SIZE, parse_head, sign_head
from .ledger_verify import verify_lines

__all__ = ["DbLedger", "LEDGER_ENTRY", "LEDGER_HEAD"]

metadata = MetaData()

LEDGER_ENTRY = Table(
    "ledger_entry", metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("time", String(32), nullable=False),
    Column("actor", Text, nullable=False, index=True),
    Column("action", Text, nullable=False, index=True),
    Column("subject", Text, index=True),
    Column("line", Text, nullable=False),
)

LEDGER_HEAD = Table(
    "ledger_head", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),  # always 1
    Column("record", Text, nullable=False),
)

#: The entry fields the table keeps beside the line, for filtering in SQL.
_COPIED = ("seq", "time", "actor", "action", "subject")


class _Pending:
    """One append waiting for the group commit that covers it."""

    __slots__ = ("what", "origin", "entry", "error", "done")

    def __init__(self, what: Mapping[str, Any], origin: Mapping[str, str] | None) -> None:
        self.what, self.origin = what, origin
        self.entry: Entry | None = None
        self.error: BaseException | None = None
        self.done = False


_LEDGERS: weakref.WeakSet[DbLedger] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for ledger in list(_LEDGERS):  # a leader of the parent's threads does not exist here
        ledger._reset_process_state()


os.register_at_fork(after_in_child=_after_fork_in_child)


class DbLedger:
    """An append-only, hash-chained, signed access ledger in the tables of `engine`."""

    backend = "db"

    def __init__(self, engine: Engine, signing_key_provider: Any, *,
                 origin: Callable[[], Mapping[str, str] | None] | None = None) -> None:
        """Arguments as for `vault.Ledger`, with the engine in place of the folder."""
        self.engine = engine
        self.path = f"数据库表 {LEDGER_ENTRY.name}"  # where, in LedgerUnavailable messages
        self._keys, self._can_sign = _as_keys(signing_key_provider)
        self._origin = origin
        self._batch = threading.local()  # the connection of this thread's open batch()
        self._reset_process_state()
        _LEDGERS.add(self)

    def _reset_process_state(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._queue: list[_Pending] = []
        self._leading = False

    # -- appending -------------------------------------------------------------------------

    def append(self, **what: Any) -> Entry:
        """Append one entry in a transaction of its own; it is committed when this returns
        (inside a `batch()`: when the batch exits). Arguments as for `vault.Ledger.append`;
        LedgerUnavailable on any database failure, LedgerCorrupt on a broken tail."""
        conn = getattr(self._batch, "conn", None)
        if conn is not None:
            return self.append_in(conn, [what])[0]
        if not self._can_sign:
            raise LedgerReadOnly(self.path)
        pending = _Pending(what, self._origin() if self._origin is not None else None)
        group = None
        with self._cond:
            self._queue.append(pending)
            while not pending.done and self._leading:
                self._cond.wait()
            if not pending.done:  # lead: commit every queued append, this one included
                self._leading = True
                group, self._queue = self._queue, []
        if group is not None:
            self._commit_group(group)
        if pending.error is not None:
            raise pending.error
        assert pending.entry is not None
        return pending.entry

    def _commit_group(self, group: list[_Pending]) -> None:
        try:
            with self._guard(), self.engine.begin() as conn:
                entries = self._write(conn, [(p.what, p.origin) for p in group])
            for p, entry in zip(group, entries, strict=True):
                p.entry = entry
        except BaseException as exc:  # every append of the group fails: none was committed
            for p in group:
                p.error = exc
        finally:
            with self._cond:
                for p in group:
                    p.done = True
                self._leading = False
                self._cond.notify_all()

    def append_in(self, connection: Connection, entries: Iterable[Mapping[str, Any]]
                  ) -> list[Entry]:
        """Append `entries` (each the keyword arguments of `append`) within the caller's
        transaction on `connection`: they commit or roll back with it. The head row stays
        locked until then, so call this just before the commit (records.unit_of_work does)."""
        if not self._can_sign:
            raise LedgerReadOnly(self.path)
        origin = self._origin() if self._origin is not None else None
        return self._write(connection, [(what, origin) for what in entries])

    def _write(self, connection: Connection,
               items: list[tuple[Mapping[str, Any], Mapping[str, str] | None]]) -> list[Entry]:
        """Lock the head, add the entries (each with the origin its caller had), sign."""
        with self._guard():
            seq, prev = self._lock_head(connection)
            written = []
            for what, origin in items:
                fields = new_entry(seq + 1, prev, origin, **what)
                written.append(fields)
                seq, prev = fields["seq"], fields["hash"]
            if not written:
                return []
            connection.execute(insert(LEDGER_ENTRY), [_row(f) for f in written])
            connection.execute(update(LEDGER_HEAD).where(LEDGER_HEAD.c.id == 1)
                               .values(record=self._head_record(seq, prev)))
        return [Entry.from_dict(f) for f in written]

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """One transaction for several appends (in this thread): committed together when the
        batch exits, none if it raises. Holds the head row lock from the first append."""
        if getattr(self._batch, "conn", None) is not None:  # nested: the outermost commits
            yield
            return
        if not self._can_sign:
            raise LedgerReadOnly(self.path)
        with self._guard(), self.engine.begin() as conn:
            self._batch.conn = conn
            try:
                yield
            finally:
                self._batch.conn = None

    def _lock_head(self, conn: Connection) -> tuple[int, str]:
        """Lock the head row (made for an empty ledger) and return the newest seq and hash,
        checked against the newest row: nothing is appended on top of a gap."""
        if conn.execute(select(LEDGER_HEAD.c.id).where(LEDGER_HEAD.c.id == 1)).first() is None:
            _insert_ignore(conn, LEDGER_HEAD, id=1, record=self._head_record(0, GENESIS_HASH))
        record = conn.execute(select(LEDGER_HEAD.c.record).where(LEDGER_HEAD.c.id == 1)
                              .with_for_update()).scalar_one()
        head = parse_head(record.encode())
        last = conn.execute(select(LEDGER_ENTRY.c.seq, LEDGER_ENTRY.c.line)
                            .order_by(LEDGER_ENTRY.c.seq.desc()).limit(1)).first()
        last_seq = last.seq if last is not None else 0
        if last_seq != head["seq"]:
            raise LedgerCorrupt(min(last_seq, head["seq"]) + 1,
                                f"签名头记录到第 {head['seq']} 条，表中最后一条是第 {last_seq} 条")
        if last is not None and _json(last.line).get("hash") != head["hash"]:
            raise LedgerCorrupt(last_seq, "最后一条记录与签名头中的哈希不符")
        return head["seq"], head["hash"]

    def _head_record(self, seq: int, last_hash: str) -> str:
        version, key = self._keys.ledger_signing_key()
        return sign_head(key, version, seq, last_hash).decode().rstrip()

    @contextlib.contextmanager
    def _guard(self) -> Iterator[None]:
        try:
            yield
        except DBAPIError as exc:
            first = str(exc.orig).strip().splitlines()[0][:200] if exc.orig else ""
            raise LedgerUnavailable(self.path, f"{type(exc.orig).__name__}: {first}") from exc

    # -- moving a file ledger in -----------------------------------------------------------

    def is_empty(self) -> bool:
        """No entry (also when the tables are not made yet: a database being restored)."""
        with self.engine.connect() as conn:
            if not inspect(conn).has_table(LEDGER_ENTRY.name):
                return True
            return conn.execute(select(LEDGER_ENTRY.c.seq).limit(1)).first() is None

    def hash_at(self, seq: int) -> str | None:
        """The stored hash of entry `seq`, None if there is none."""
        with self.engine.connect() as conn:
            line = conn.scalar(select(LEDGER_ENTRY.c.line).where(LEDGER_ENTRY.c.seq == seq))
        return None if line is None else _json(line).get("hash")

    def import_lines(self, lines: Iterable[bytes]) -> int:
        """Copy a file ledger's lines, verbatim, into this empty ledger and sign a head over
        the last (one transaction). The caller verifies the file first. Returns the count."""
        with self._guard(), self.engine.begin() as conn:
            seq, _ = self._lock_head(conn)
            if seq:
                raise LedgerCorrupt(None, "数据库中的访问日志不是空的")
            rows = []
            for raw in lines:
                fields = _json(raw)
                rows.append({**{c: fields[c] for c in _COPIED},
                             "line": raw.rstrip(b"\n").decode()})
            for start in range(0, len(rows), 1000):
                conn.execute(insert(LEDGER_ENTRY), rows[start:start + 1000])
            if rows:
                last = rows[-1]
                conn.execute(update(LEDGER_HEAD).where(LEDGER_HEAD.c.id == 1).values(
                    record=self._head_record(last["seq"], _json(last["line"])["hash"])))
        return len(rows)

    # -- reading ---------------------------------------------------------------------------

    def head(self) -> dict[str, Any]:
        """The signed head as stored (seq, hash, key_version, sig); seq 0 when empty."""
        with self.engine.connect() as conn:
            record = conn.execute(select(LEDGER_HEAD.c.record)).scalar_one_or_none()
        if record is None:
            return {"seq": 0, "hash": GENESIS_HASH, "key_version": 0, "sig": ""}
        return parse_head(record.encode())

    def export(self, folder: Path) -> int:
        """Write the ledger as the file ledger's two files (ledger.jsonl, ledger.head) into
        `folder`, from one snapshot: for a backup, which a restore or `vault.Ledger` reads.
        Returns the number of entries."""
        count = 0
        with self._snapshot() as conn:
            record = conn.execute(select(LEDGER_HEAD.c.record)).scalar_one_or_none()
            query = select(LEDGER_ENTRY.c.line).order_by(LEDGER_ENTRY.c.seq)
            with open(_private_file(folder / "ledger.jsonl"), "wb") as out, \
                    conn.execution_options(yield_per=1000).execute(query) as rows:
                for (line,) in rows:
                    out.write(line.encode() + b"\n")
                    count += 1
        if record is not None:
            with open(_private_file(folder / "ledger.head"), "wb") as out:
                out.write(record.encode().ljust(HEAD_SIZE - 1) + b"\n")
        return count

    @contextlib.contextmanager
    def _snapshot(self) -> Iterator[Connection]:
        """A read-only transaction that sees one moment of the database."""
        with self.engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                yield conn

    def entries(
        self,
        actor: str | None = None,
        subject: str | None = None,
        action: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        origin: Mapping[str, str] | None = None,
    ) -> Iterator[Entry]:
        """As `vault.Ledger.entries`: actor, subject and action are filtered in SQL."""
        query = select(LEDGER_ENTRY.c.line).order_by(LEDGER_ENTRY.c.seq)
        for column, value in (("actor", actor), ("subject", subject), ("action", action)):
            if value is not None:
                query = query.where(LEDGER_ENTRY.c[column] == value)
        with self.engine.connect() as conn, \
                conn.execution_options(yield_per=1000).execute(query) as rows:
            for (line,) in rows:  # closed before the connection, also when left early
                entry = Entry.from_dict(_json(line))
                if ((since is not None and entry.at < since)
                        or (until is not None and entry.at >= until)
                        or (origin and not origin.items() <= (entry.origin or {}).items())):
                    continue
                yield entry

    def verify(self) -> VerifyResult:
        """Check the chain row by row, each row's columns against its line, and the signed
        head, in one snapshot of the database (appends go on meanwhile). Every committed
        entry is signed: an entry after the head was added behind the ledger's back."""
        with self._snapshot() as conn, contextlib.ExitStack() as stack:
            record = conn.execute(select(LEDGER_HEAD.c.record)).scalar_one_or_none()
            rows = stack.enter_context(conn.execution_options(yield_per=1000).execute(
                select(*(LEDGER_ENTRY.c[c] for c in _COPIED), LEDGER_ENTRY.c.line)
                .order_by(LEDGER_ENTRY.c.seq)))
            current: dict[str, Any] = {}

            def lines() -> Iterator[bytes]:
                for row in rows:
                    current["row"] = row
                    yield row.line.encode() + b"\n"

            def agrees(_seq: int, fields: dict[str, Any]) -> str | None:
                row = current["row"]
                if any(getattr(row, c) != fields[c] for c in _COPIED):
                    return "表中的列与记录内容不符（记录被修改）"
                return None

            head = None if record is None else record.encode()
            result = verify_lines(lines(), head, self._keys.ledger_public_key, agrees)
        if result.ok and result.unsigned:
            return VerifyResult(ok=False, count=result.count, first_bad=result.head_seq + 1,
                                reason=f"签名头只记录到第 {result.head_seq} 条，其后的 "
                                       f"{result.unsigned} 条未经签名（记录被插入或签名头被回退）")
        return result


def _row(fields: dict[str, Any]) -> dict[str, Any]:
    return {**{c: fields[c] for c in _COPIED}, "line": canonical(fields).decode()}


def _private_file(path: Path) -> int:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)


def _json(raw: bytes | str) -> dict[str, Any]:
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise LedgerCorrupt(None, "记录无法解析") from exc


def _insert_ignore(conn: Connection, table: Table, **values: Any) -> None:
    """INSERT unless the key exists, without an error when another transaction races."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        conn.execute(pg_insert(table).values(**values).on_conflict_do_nothing())
    else:
        conn.execute(insert(table).values(**values).prefix_with("OR IGNORE"))
