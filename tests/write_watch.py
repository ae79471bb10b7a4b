"""Every attempt of this process to write below given folders, seen through Python's audit
hooks (`sys.addaudithook`): file opens for writing, creation, rename, link, removal and mode
changes. Root ignores a read-only mode, so a chmod alone would prove nothing in this
container; the hook sees the attempt whoever runs the tests.

An audit hook cannot be removed: one is installed per process, and `watch_writes` arms it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
_PATH_EVENTS = {"os.rename": 2, "os.link": 2, "os.symlink": 2, "os.remove": 1,
                "os.rmdir": 1, "os.mkdir": 1, "os.chmod": 1, "os.chown": 1,
                "os.truncate": 1, "os.utime": 1}
_watched: list[tuple[str, list[tuple[str, str]]]] = []
_installed = False


def _is_write(event: str, args: tuple) -> list[object]:
    if event == "open":
        path, mode, flags = args
        writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or \
            (isinstance(flags, int) and flags & _WRITE_FLAGS)
        return [path] if writing else []
    return list(args[: _PATH_EVENTS[event]]) if event in _PATH_EVENTS else []


def _hook(event: str, args: tuple) -> None:
    if not _watched:
        return
    for target in _is_write(event, args):
        if isinstance(target, int) or target is None:
            continue
        path = os.path.abspath(os.fsdecode(target))
        for root, seen in _watched:
            if path == root or path.startswith(root + os.sep):
                seen.append((event, path))


@contextmanager
def watch_writes(*folders: Path) -> Iterator[list[tuple[str, str]]]:
    """Inside the block, (event, path) of every write attempted below `folders`."""
    global _installed
    if not _installed:
        sys.addaudithook(_hook)
        _installed = True
    seen: list[tuple[str, str]] = []
    entries = [(os.path.abspath(f), seen) for f in folders]
    _watched.extend(entries)
    try:
        yield seen
    finally:
        for entry in entries:
            _watched.remove(entry)
