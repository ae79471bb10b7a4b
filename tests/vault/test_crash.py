"""Crash safety: a process doing puts is SIGKILLed at random points, 50 times.

Every object that is listed afterwards reads back and verifies, and the ledger verifies.
The child is forked from this test process (its imports are already done), so a trial costs
milliseconds; each child opens its own keyring, store and ledger, as a restarted server would.
The puts go to each blob store backend in turn (a new engine or S3 client in the child).
The kill comes at a random time within about one put's duration after the child's first
complete put, measured in the same trial: fsync latency here varies from 0.1 ms to hundreds
of milliseconds with the other work on the disk, so fixed delays would miss the puts.
"""

from __future__ import annotations

import os
import random
import select
import signal
import threading
import time
from pathlib import Path

from tests.object_stores import StoreSpec
from vault import Keyring, Ledger, Vault

TRIALS = 50


def _open(root: Path, store: StoreSpec) -> Vault:
    keyring = Keyring.open(root / "keys")
    return Vault(store.open(), keyring, Ledger(root / "ledger", keyring))


def _child(root: Path, store: StoreSpec, signals: int) -> None:
    store.engines.clear()  # the parent's connections are not this process's to close
    vault = _open(root, store)
    rnd = random.Random(os.getpid())
    os.write(signals, b"r")
    while True:
        data = rnd.randbytes(rnd.randint(0, 3000))
        object_id = vault.put(data, actor="crash-test", reason="r", context={"n": len(data)})
        if rnd.random() < 0.3:
            assert vault.get(object_id, actor="crash-test", reason="r") == data
        os.write(signals, b"p")
        time.sleep(rnd.random() * 0.001)


def _read_byte(fd: int) -> bytes:
    ready, _, _ = select.select([fd], [], [], 30)
    assert ready, "the child made no progress in 30 s"
    return os.read(fd, 1)


def _run_and_kill(root: Path, store: StoreSpec, rnd: random.Random) -> None:
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: never returns into pytest
        code = 1
        try:
            os.close(read_end)
            _child(root, store, write_end)
        finally:
            os._exit(code)
    os.close(write_end)
    try:
        assert _read_byte(read_end) == b"r", "child failed before it was ready"
        start = time.perf_counter()
        assert _read_byte(read_end) == b"p", "child failed in its first put"
        time.sleep(rnd.uniform(0.0, 1.5 * (time.perf_counter() - start)))
        os.kill(pid, signal.SIGKILL)
    finally:
        os.close(read_end)
        _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, (
        "the child stopped on its own: it raised instead of running until killed"
    )


def test_sigkill_during_puts_leaves_only_whole_objects(tmp_path: Path, store: StoreSpec):
    Keyring.open(tmp_path / "keys", create=True)
    rnd = random.Random(20261128)
    for _trial in range(TRIALS):
        _run_and_kill(tmp_path, store, rnd)
        result = _open(tmp_path, store).ledger.verify()
        assert result.ok, result
        store.close()

    vault = _open(tmp_path, store)
    ids = vault.object_ids()
    assert len(ids) >= TRIALS  # at least one complete put per trial
    sizes = {e.subject: e.context["n"] for e in vault.ledger.entries(action="vault.put")}
    for object_id in ids:
        data = vault.get(object_id, actor="checker", reason="r")
        assert len(data) == sizes[object_id]  # every visible object was recorded, whole
    report = vault.check()
    assert report.ok and report.checked == len(ids)
    print(f"{len(ids)} objects, {len(sizes)} recorded puts, {len(report.orphans)} orphan files")
    assert vault.ledger.verify().ok


def _read_to_end(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 4096):
        chunks.append(chunk)
    return b"".join(chunks)


def _appending_threads(root: Path, acks: int) -> None:
    ledger = Ledger(root / "ledger", Keyring.open(root / "keys"))

    def work() -> None:
        while True:
            entry = ledger.append(actor="crash-test", action="test.append")
            os.write(acks, entry.seq.to_bytes(4, "big"))  # acknowledged: durable and signed

    for _ in range(4):
        threading.Thread(target=work, daemon=True).start()
    threading.Event().wait()


def test_sigkill_during_threaded_appends_keeps_every_acknowledged_entry(tmp_path: Path):
    """Four threads append (group commit) until SIGKILL: afterwards the chain verifies and the
    signed head covers every entry an append returned."""
    Keyring.open(tmp_path / "keys", create=True)
    rnd = random.Random(20261201)
    acked = 0
    for _trial in range(TRIALS // 2):
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:
            try:
                os.close(read_end)
                _appending_threads(tmp_path, write_end)
            finally:
                os._exit(1)
        os.close(write_end)
        try:
            first = _read_byte(read_end)
            time.sleep(rnd.uniform(0.0, 0.05))
            os.kill(pid, signal.SIGKILL)
            _, status = os.waitpid(pid, 0)
            data = first + _read_to_end(read_end)
        finally:
            os.close(read_end)
        assert os.WIFSIGNALED(status), "the child stopped on its own"
        seqs = [int.from_bytes(data[i : i + 4], "big") for i in range(0, len(data) - 3, 4)]
        result = Ledger(tmp_path / "ledger", Keyring.open(tmp_path / "keys")).verify()
        assert result.ok, result
        assert max(seqs) <= result.head_seq, (max(seqs), result)
        acked += len(seqs)
    assert acked >= TRIALS // 2
