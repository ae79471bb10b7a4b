"""File primitives of the ledger: locks shared between processes, the last complete line.

Descriptors are opened per use and never kept: a descriptor inherited across fork() would
share its flock with the parent, and two holders of one lock is no lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from pathlib import Path

from .entry import GENESIS_HASH
from .errors import LedgerCorrupt

__all__ = ["flocked", "read_tail", "write_all"]


@contextlib.contextmanager
def flocked(path: Path, exclusive: bool = True) -> Iterator[int]:
    """Hold `fcntl.flock` on `path` (created if missing); yields the lock descriptor.

    Locks of two descriptors exclude each other even within one process, so threads that
    each open their own are serialised too.
    """
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        yield fd
    finally:
        os.close(fd)  # closing releases the lock


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def read_tail(path: Path) -> tuple[int, str, int, int]:
    """Sequence number and hash of the last complete entry (0 and GENESIS_HASH when none),
    the size up to its end and the file size.

    Bytes after the last newline are a line whose write was interrupted (a process killed
    inside write(), a power loss); that append never returned and its head was never signed.
    Lines are written whole under the append lock, so a reader holding it never sees a line
    still being written.
    """
    with open(path, "rb") as f:
        size = f.seek(0, os.SEEK_END)
        chunk = 4096
        while True:
            start = max(0, size - chunk)
            f.seek(start)
            tail = f.read()
            end = tail.rfind(b"\n")  # end of the last complete line
            cut = tail.rfind(b"\n", 0, max(end, 0))  # end of the line before it
            if end >= 0 and (cut >= 0 or start == 0):
                try:
                    last = json.loads(tail[cut + 1 : end])
                    return int(last["seq"]), str(last["hash"]), start + end + 1, size
                except (ValueError, KeyError, TypeError) as exc:
                    raise LedgerCorrupt(None, "最后一条记录无法解析") from exc
            if start == 0:  # not one complete line
                return 0, GENESIS_HASH, 0, size
            chunk *= 4
