"""Group commit: appenders share the syncs that make their entries durable.

An append writes its line under the append lock (``ledger.lock``), leaves the lock, and waits
until its sequence number is durable: the ledger file synced past its line and a signed head
covering it synced too. One waiting appender at a time, the leader (holding ``ledger.sync``),
does that for every line written so far by any thread or process: it reads the last complete
line under the append lock, fdatasyncs the file, signs a head for that line, rewrites the head
in place under the append lock and fdatasyncs it. The appenders it covered return together;
writers never wait for a sync, only for each other's write().

Where the durable sequence number lives:

- in this process, ``GroupCommit._durable``, advanced by this process's leaders; threads wait
  on a condition variable and the first one not covered becomes the next leader;
- across processes, the head: only a leader holding ``ledger.sync`` writes it, after the lines
  it covers are synced, so a leader that takes ``ledger.sync`` and finds the head at or past
  what it waits for has nothing to do (another process's sync covered it).

A failed sync fails every appender whose line it was meant to cover, in every process. Linux
reports a writeback error to one fsync and may report success to a later one while the lines
stay lost, so a later successful sync must not acknowledge them: the failed range is marked on
this process's waiters and written into ``ledger.sync`` for the leaders of other processes.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from pathlib import Path

from .errors import LedgerCorrupt, LedgerUnavailable
from .ledger_file import flocked, read_tail
from .ledger_head import parse_head

__all__ = ["GroupCommit", "Waiter"]


class Waiter:
    """An appender's claim on a sequence number becoming durable (one per append or batch)."""

    __slots__ = ("seq", "failure")

    def __init__(self, seq: int) -> None:
        self.seq = seq
        """The newest sequence number this appender wrote."""
        self.failure: str | None = None
        """Why the sync meant to cover it failed; set by a leader."""


class GroupCommit:
    """Makes the lines of a ledger folder durable and signed, one sync for many appenders."""

    def __init__(self, folder: Path, head_record: Callable[[int, str], bytes]) -> None:
        """`head_record(seq, hash)`: the signed head record for entry `seq`."""
        self.path = folder / "ledger.jsonl"
        self.head_path = folder / "ledger.head"
        self.lock_path = folder / "ledger.lock"
        self.sync_path = folder / "ledger.sync"
        self._head_record = head_record
        self.reset()

    def reset(self) -> None:
        """Forget this process's state (called in a forked child, whose threads are gone)."""
        self._cond = threading.Condition(threading.Lock())
        self._durable = 0  # highest seq known synced and covered by a synced head
        self._written = 0  # highest seq written by this process
        self._leading = False  # a thread of this process is leader
        self._waiters: set[Waiter] = set()
        # (inode, size, seq, hash) of the file after this process's last line: while the file
        # still has that inode and size, nobody else wrote and its tail needs no reading
        self._tail: tuple[int, int, int, str] | None = None

    # -- appenders -------------------------------------------------------------------------

    def known_tail(self, ino: int, size: int) -> tuple[int, str] | None:
        """Seq and hash of the last line if the file (inode, size) is as this process left it;
        call it under the append lock."""
        with self._cond:
            tail = self._tail
        if tail is not None and tail[:2] == (ino, size):
            return tail[2], tail[3]
        return None

    def written(
        self, seq: int, last_hash: str, ino: int, size: int, waiter: Waiter | None = None
    ) -> Waiter:
        """Record that line `seq` (with `last_hash`, ending the file `ino` at `size`) was
        written; call it under the append lock, right after the write. Returns `waiter` (a
        new one if None) now claiming `seq`."""
        with self._cond:
            if seq <= self._durable:  # the file was cut or replaced under us: start over
                self._durable = seq - 1
            self._written = seq
            self._tail = (ino, size, seq, last_hash)
            if waiter is None:
                waiter = Waiter(seq)
                self._waiters.add(waiter)
            else:
                waiter.seq = seq
        return waiter

    def forget(self, waiter: Waiter) -> None:
        """Drop a waiter that will never wait (its batch raised); its lines are signed later."""
        with self._cond:
            self._waiters.discard(waiter)

    def wait(self, waiter: Waiter) -> None:
        """Return once `waiter.seq` is durable. The leader's own error propagates (OSError,
        LedgerCorrupt); an appender whose lines a failed sync was to cover gets
        LedgerUnavailable."""
        try:
            while True:
                with self._cond:
                    while True:
                        if waiter.failure is not None:
                            raise LedgerUnavailable(str(self.path), waiter.failure)
                        if self._durable >= waiter.seq:
                            return
                        if not self._leading:
                            break
                        self._cond.wait()
                    self._leading = True
                    goal = max(self._written, waiter.seq)
                durable = None
                try:
                    durable = self._round(goal)
                finally:
                    with self._cond:
                        self._leading = False
                        if durable is not None:
                            self._durable = durable
                        self._cond.notify_all()
        finally:
            self.forget(waiter)

    # -- the leader ------------------------------------------------------------------------

    def _round(self, goal: int) -> int:
        """Make every line up to at least `goal` durable and signed; the durable seq."""
        with flocked(self.sync_path) as sync_fd:
            self._take_failures(sync_fd)
            head_seq = parse_head(self.head_path.read_bytes())["seq"]
            if head_seq >= goal:  # another process synced and signed our lines
                return head_seq
            try:
                return self._sync(goal)
            except BaseException as exc:
                last = max(goal, self._tail_seq())
                cause = _cause(exc)
                self._fail(head_seq + 1, last, f"同组写入的同步失败：{cause}")
                _publish_failure(sync_fd, self.path, head_seq + 1, last, cause)
                raise

    def _sync(self, goal: int) -> int:
        with flocked(self.lock_path):  # lines are written whole under it: a complete tail
            st = os.stat(self.path)
            known = self.known_tail(st.st_ino, st.st_size)
            seq, last_hash = known if known is not None else read_tail(self.path)[:2]
        if seq < goal:
            raise LedgerCorrupt(seq + 1, f"第 {seq + 1} 条记录写入后从文件中消失")
        fd = os.open(self.path, os.O_WRONLY)
        try:
            os.fdatasync(fd)  # data and size, not the mtime (one journal commit less)
        finally:
            os.close(fd)
        record = self._head_record(seq, last_hash)
        fd = os.open(self.head_path, os.O_WRONLY)
        try:
            with flocked(self.lock_path):  # appenders and verify() read the head under it
                os.pwrite(fd, record, 0)  # same size, in place: fdatasync needs no metadata
            os.fdatasync(fd)
        finally:
            os.close(fd)
        return seq

    def _tail_seq(self) -> int:
        """The last complete line now: every line a failed sync may have carried."""
        try:
            with flocked(self.lock_path):
                return read_tail(self.path)[0]
        except (OSError, LedgerCorrupt):
            return 0

    def _fail(self, first: int, last: int, cause: str) -> None:
        with self._cond:
            for waiter in self._waiters:
                if first <= waiter.seq <= last and waiter.failure is None:
                    waiter.failure = cause
            self._cond.notify_all()

    def _take_failures(self, sync_fd: int) -> None:
        """Fail this process's waiters covered by a failed sync of another process."""
        marker = _read_failure(sync_fd)
        if marker is not None and marker["ino"] == os.stat(self.path).st_ino:
            self._fail(marker["first"], marker["last"], f"另一进程的同步失败：{marker['cause']}")


def _cause(exc: BaseException) -> str:
    if isinstance(exc, OSError):
        return f"{type(exc).__name__}: {exc.strerror}"
    if isinstance(exc, LedgerCorrupt):
        return exc.reason
    return type(exc).__name__


def _read_failure(sync_fd: int) -> dict | None:
    raw = os.pread(sync_fd, 4096, 0).strip()
    if not raw:
        return None
    try:
        marker = json.loads(raw)
        return {k: marker[k] for k in ("ino", "first", "last", "cause")}
    except (ValueError, KeyError, TypeError):
        return None


def _publish_failure(sync_fd: int, path: Path, first: int, last: int, cause: str) -> None:
    """Record a failed range in ``ledger.sync`` (for live processes; never synced). Merged
    with an earlier failure of the same file, so that no failed line is ever acknowledged."""
    try:
        ino = os.stat(path).st_ino
        marker = _read_failure(sync_fd)
        if marker is not None and marker["ino"] == ino:
            first, last = min(first, marker["first"]), max(last, marker["last"])
        record = json.dumps({"ino": ino, "first": first, "last": last, "cause": cause[:500]},
                            ensure_ascii=False).encode()
        os.ftruncate(sync_fd, 0)
        os.pwrite(sync_fd, record + b"\n", 0)
    except OSError:
        pass  # best effort: the disk is already failing; this process's waiters know
