"""Group commit: concurrent appends share syncs, and none returns before it is durable.

Syncs are observed through os.fdatasync (the ledger syncs with nothing else after a line is
written): a wrapper records, after each real sync, which lines and which head are on disk, and
every append checks on return that its entry is covered by both.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from vault import Keyring, Ledger, LedgerUnavailable


class SyncOracle:
    """Wraps os.fdatasync: counts ledger syncs and tracks what they made durable."""

    def __init__(self, folder: Path, delay: float = 0.0) -> None:
        self.folder = folder
        self.delay = delay  # a slow disk, so that appenders pile up behind each sync
        self.real = os.fdatasync
        self.lock = threading.Lock()
        self.syncs = 0
        self.lines = 0  # complete lines on disk
        self.head = 0  # seq of the head on disk
        self.head_ahead = False  # a head was synced over lines that were not

    def _name(self, fd: int) -> str:
        return os.path.basename(os.readlink(f"/proc/self/fd/{fd}"))

    def __call__(self, fd: int) -> None:
        name = self._name(fd)
        if name == "ledger.jsonl":
            # every line complete when the sync starts is on disk when it returns
            lines = (self.folder / name).read_bytes().count(b"\n")
            time.sleep(self.delay)
            self.real(fd)
            with self.lock:
                self.syncs += 1
                self.lines = max(self.lines, lines)
        elif name == "ledger.head":
            time.sleep(self.delay)
            self.real(fd)
            head = json.loads((self.folder / name).read_bytes())["seq"]
            with self.lock:
                self.syncs += 1
                self.head_ahead |= head > self.lines
                self.head = max(self.head, head)
        else:
            self.real(fd)

    def covers(self, seq: int) -> bool:
        with self.lock:
            return seq <= self.lines and seq <= self.head


def _run_threads(n: int, fn) -> list[BaseException | None]:
    barrier = threading.Barrier(n)
    errors: list[BaseException | None] = [None] * n

    def run(i: int) -> None:
        barrier.wait()
        try:
            fn(i)
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            errors[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def test_threads_share_syncs_and_each_append_is_durable_on_return(ledger: Ledger, monkeypatch):
    threads, per_thread = 16, 20
    oracle = SyncOracle(ledger.folder, delay=0.002)
    monkeypatch.setattr(os, "fdatasync", oracle)
    not_covered: list[int] = []

    def work(i: int) -> None:
        for n in range(per_thread):
            entry = ledger.append(actor=f"t{i}", action="test.append", subject=f"{i}-{n}")
            if not oracle.covers(entry.seq):
                not_covered.append(entry.seq)

    assert _run_threads(threads, work) == [None] * threads
    total = threads * per_thread
    assert not_covered == []
    assert not oracle.head_ahead
    result = ledger.verify()
    assert (result.ok, result.count, result.head_seq, result.unsigned) == (True, total, total, 0)
    subjects = Counter(e.subject for e in ledger.entries())
    assert set(subjects.values()) == {1} and len(subjects) == total
    assert [e.seq for e in ledger.entries()] == list(range(1, total + 1))
    # two syncs (line, head) per group: fewer syncs than appends means groups of 3 and more
    assert oracle.syncs < total, (oracle.syncs, total)


def _process_appends(folder: Path, keys: Path, tag: str, threads: int, per_thread: int) -> None:
    ledger = Ledger(folder, Keyring.open(keys))
    errors = _run_threads(threads, lambda i: [
        ledger.append(actor=tag, action="test.append", subject=f"{tag}-{i}-{n}")
        for n in range(per_thread)
    ])
    os._exit(0 if errors == [None] * threads else 1)


def test_processes_append_concurrently(tmp_path: Path, keyring: Keyring):
    processes, threads, per_thread = 4, 3, 25
    folder = tmp_path / "ledger"
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_process_appends,
                         args=(folder, keyring.root, f"p{p}", threads, per_thread))
             for p in range(processes)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0] * processes
    total = processes * threads * per_thread
    result = Ledger(folder, keyring).verify()
    assert (result.ok, result.count, result.head_seq) == (True, total, total)
    subjects = Counter(e.subject for e in Ledger(folder, keyring).entries())
    assert set(subjects.values()) == {1} and len(subjects) == total


def _failing_first_line_sync(delay: float, started: threading.Event):
    real = os.fdatasync
    failed = []

    def sync(fd: int) -> None:
        if os.readlink(f"/proc/self/fd/{fd}").endswith("ledger.jsonl") and not failed:
            failed.append(fd)
            started.set()
            time.sleep(delay)  # appenders write their lines meanwhile, then wait on us
            raise OSError(5, "Input/output error")
        real(fd)

    return sync


def test_failed_sync_fails_every_appender_it_was_to_cover(ledger: Ledger, monkeypatch):
    ledger.append(actor="u", action="before")
    started = threading.Event()
    monkeypatch.setattr(os, "fdatasync", _failing_first_line_sync(0.3, started))

    def work(i: int) -> None:
        if i:
            started.wait(5)  # the others write while the first sync is in progress
        ledger.append(actor=f"t{i}", action="test.append")

    errors = _run_threads(6, work)
    assert all(isinstance(e, LedgerUnavailable) for e in errors), errors
    assert "Input/output error" in errors[0].cause  # the leader's own error
    # the failed lines stay in the file, chained, until a later sync signs them: the ledger
    # records attempts and never hides one
    entry = ledger.append(actor="u", action="after")
    assert entry.seq == 8
    result = ledger.verify()
    assert (result.ok, result.count, result.head_seq) == (True, 8, 8)


def test_failed_sync_fails_the_waiters_of_another_process(tmp_path: Path, keyring: Keyring,
                                                          monkeypatch):
    """Two Ledger objects on one folder coordinate like two processes (own state, own locks):
    the second one's line, written during the first one's failing sync, is not acknowledged
    by its own later, successful sync."""
    first = Ledger(tmp_path / "ledger", keyring)
    second = Ledger(tmp_path / "ledger", keyring)
    started = threading.Event()
    monkeypatch.setattr(os, "fdatasync", _failing_first_line_sync(0.3, started))

    def work(i: int) -> None:
        if i:
            started.wait(5)
        (second if i else first).append(actor=f"t{i}", action="test.append")

    errors = _run_threads(2, work)
    assert isinstance(errors[0], LedgerUnavailable) and "Input/output" in errors[0].cause
    assert isinstance(errors[1], LedgerUnavailable) and "另一进程" in errors[1].cause
    second.append(actor="u", action="after")  # seqs past the failed range are unaffected
    assert second.verify().ok


def test_batch_that_raises_is_signed_by_the_next_append(ledger: Ledger):
    with pytest.raises(RuntimeError), ledger.batch():
        ledger.append(actor="u", action="a")
        ledger.append(actor="u", action="b")
        raise RuntimeError("caller failed")
    result = ledger.verify()
    assert (result.ok, result.count, result.head_seq, result.unsigned) == (True, 2, 0, 2)
    ledger.append(actor="u", action="c")
    result = ledger.verify()
    assert (result.ok, result.count, result.head_seq, result.unsigned) == (True, 3, 3, 0)


def test_forked_child_does_not_inherit_a_leader(ledger: Ledger):
    """A fork while a thread of the parent leads a sync: the child's appends still proceed."""
    ledger.append(actor="u", action="parent")
    ledger._commit._leading = True  # as if another thread were inside a sync at fork time
    try:
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                signal.alarm(10)  # a child that hangs dies and fails the test
                ledger.append(actor="u", action="child")
                code = 0
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
    finally:
        ledger._commit._leading = False
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    assert [e.action for e in ledger.entries()] == ["parent", "child"]
    assert ledger.verify().ok
