"""A server's search replica (issue 15): applies the search outbox (records.search_outbox) to
this server's index in id order, from the position stored beside the index folder
(search.position), rebuilding each named document from the database.

Order of a pass: read the rows not applied yet, commit them to the index, *then* write the
new position. A crash between the two applies those rows again on the next pass, which
replaces the same documents by id: nothing lost, nothing doubled.

A replica too far behind (no readable position, or one that has not read the outbox for so
long that rows it never saw may have been pruned: `retention` less `grace`) is rebuilt from
the database instead, its position taken *before* the
documents are read, so that whatever commits meanwhile is applied afterwards.

`IndexerLoop` runs passes in a thread of `handover worker` or of a web server, under a lock
file in the index folder: one indexer per host and index folder, whichever process wins."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from records.clock import utcnow
from records.finding import handover_document, indexable_documents, student_document
from records.handovers import Handover, Status
from records.search_outbox import OutboxEntry
from records.students import Student
from search.locking import FileLock
from search.position import (
    MAX_GAPS,
    Position,
    position_path,
    read_position,
    write_position,
)

if TYPE_CHECKING:
    from search import IndexDocument, SearchIndex

__all__ = ["Indexer", "IndexerLoop", "IndexerPass"]

log = logging.getLogger("handover.search")


@dataclass(frozen=True)
class IndexerPass:
    applied: int = 0
    """Outbox rows applied."""
    rebuilt: bool = False
    """The replica was rebuilt from the database."""


class Indexer:
    def __init__(self, sessions: sessionmaker, index: SearchIndex, *,
                 retention: timedelta = timedelta(days=7),
                 grace: timedelta = timedelta(minutes=10), batch: int = 500,
                 clock: Callable[[], datetime] = utcnow):
        """`retention`: how long the outbox keeps a row (records.search_outbox.prune).
        `grace`: how long an outbox id missing below the highest applied one is still
        waited for (a transaction that took its id and has not committed yet)."""
        self.sessions, self.index, self.grace = sessions, index, grace
        self.retention = retention
        self.batch, self.clock = batch, clock
        self.position_file = position_path(index.path)

    def run_once(self) -> IndexerPass:
        """Apply everything committed so far (or rebuild when too far behind)."""
        position = read_position(self.position_file)
        if self._too_far_behind(position):
            with self.sessions() as db:
                self.rebuild(db)
            return IndexerPass(rebuilt=True)
        applied = 0
        while True:
            position, count = self._apply_batch(position)
            applied += count
            if count < self.batch:
                return IndexerPass(applied=applied)

    def _too_far_behind(self, position: Position | None) -> bool:
        """Rows it never saw were made after it last read the outbox, less `grace` (a late
        commit); pruning takes rows older than `retention`. Not by ids: ids rolled back
        leave holes that look like pruned rows."""
        if position is None:
            return True
        return self._now() - position.checked_at >= (self.retention - self.grace).total_seconds()

    def rebuild(self, db: Session) -> None:
        """Rebuild the index from the database and start the position from there."""
        position = self.snapshot(db)
        log.warning("search replica at %s: rebuilding from the database", self.index.path)
        self.index.rebuild(indexable_documents(db, self.clock()))
        self.rebuilt_from(position)

    def rebuilt_from(self, position: Position) -> None:
        """The index was rebuilt from what the database held after `snapshot` gave
        `position`: the replica goes on from there."""
        write_position(self.position_file, position)

    def snapshot(self, db: Session) -> Position:
        """The position of a rebuild that reads the database after this: the highest id
        committed now, with the ids below it not committed yet as gaps."""
        top = db.scalar(select(OutboxEntry.id).order_by(OutboxEntry.id.desc()).limit(1))
        if top is None:
            return Position(0, {}, self._now())
        below = max(0, top - MAX_GAPS)  # as many ids as a position waits for at most
        recent = list(db.scalars(select(OutboxEntry.id).where(OutboxEntry.id > below)))
        return Position(below).advanced(sorted(recent), self._now(), self._grace())

    def _apply_batch(self, position: Position) -> tuple[Position, int]:
        with self.sessions() as db:
            unapplied = OutboxEntry.id > position.applied
            if position.gaps:
                unapplied = or_(unapplied, OutboxEntry.id.in_(sorted(position.gaps)))
            rows = db.execute(select(OutboxEntry.id, OutboxEntry.doc_id).where(unapplied)
                              .order_by(OutboxEntry.id).limit(self.batch)).all()
            docs, deleted = self._documents(db, {doc_id for _, doc_id in rows})
            if rows:
                self.index.apply(docs, deleted)
        after = position.advanced([i for i, _ in rows], self._now(), self._grace())
        if after.worth_writing(position):
            write_position(self.position_file, after)
        return after, len(rows)

    def _documents(self, db: Session, doc_ids: set[str]) -> tuple[list[IndexDocument],
                                                                   list[str]]:
        """The current documents of `doc_ids` from the database; those no longer indexable
        (a handover back to draft, a row gone) are to be deleted."""
        now = self.clock()
        docs = list(self._read(db, doc_ids, now))
        found = {d.doc_id for d in docs}
        return docs, sorted(doc_ids - found)

    @staticmethod
    def _read(db: Session, doc_ids: set[str], now: datetime) -> Iterator[IndexDocument]:
        def ids(prefix):
            return [int(d[1:]) for d in doc_ids if d[:1] == prefix and d[1:].isdigit()]

        if handovers := ids("h"):
            for h in db.scalars(select(Handover).where(Handover.id.in_(handovers),
                                                       Handover.status != Status.DRAFT)):
                yield handover_document(h, now)
        if students := ids("s"):
            for s in db.scalars(select(Student).where(Student.id.in_(students))):
                yield student_document(s)

    def _now(self) -> float:
        return self.clock().timestamp()

    def _grace(self) -> float:
        return self.grace.total_seconds()


class IndexerLoop:
    """Runs an indexer every `interval` seconds in a daemon thread while this process holds
    the lock file `lock_path`; another process on the host that holds it keeps the work, and
    this one asks again every `retry` seconds (it takes over if that one ends). The indexer
    is made (`make_indexer`: the index opened) by the holder only, in its thread."""

    def __init__(self, make_indexer: Callable[[], Indexer], lock_path: Path, *,
                 interval: float = 0.25, retry: float = 5.0):
        self.make_indexer, self.interval, self.retry = make_indexer, interval, retry
        self.lock_path = Path(lock_path)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.holding = threading.Event()
        """Set while this loop is the host's indexer (for tests and health checks)."""

    def start(self) -> IndexerLoop:
        self._thread = threading.Thread(target=self._run, name="search-indexer", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.lock_path.parent.mkdir(parents=True, exist_ok=True)
                with FileLock(self.lock_path).held_if_free() as mine:
                    if mine:
                        self.holding.set()
                        self._work(self.make_indexer())
            except Exception:  # e.g. an instance not initialised yet: asked again later
                log.exception("search indexer could not start")
            finally:
                self.holding.clear()
            self._stop.wait(self.retry)

    def _work(self, indexer: Indexer) -> None:
        while not self._stop.is_set():
            try:
                indexer.run_once()
            except Exception:  # a database restart must not end the replica: the next pass
                log.exception("search indexer pass failed")
            self._stop.wait(self.interval)
