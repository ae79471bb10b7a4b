"""A cross-process lock: one holder at a time, whichever process or thread it is in."""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import IndexBusy

__all__ = ["FileLock"]


class FileLock:
    """An exclusive ``flock`` on a file; each ``held()`` opens its own descriptor, so threads
    of one process exclude each other as well as processes do."""

    def __init__(self, path: Path, *, timeout: float = 600.0, poll: float = 0.02) -> None:
        self.path = path
        self.timeout = timeout
        self.poll = poll

    @contextmanager
    def held_if_free(self) -> Iterator[bool]:
        """Take the lock if nobody holds it, without waiting; yields whether it was taken
        (e.g. one replica indexer per host and index folder, whichever process it is in)."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    @contextmanager
    def held(self) -> Iterator[None]:
        """Hold the lock for the duration of the block; ``IndexBusy`` after ``timeout``."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            started = time.monotonic()
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    waited = time.monotonic() - started
                    if waited >= self.timeout:
                        raise IndexBusy(self.path.parent, waited) from None
                    time.sleep(self.poll)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
