"""Crash-safe file writes shared by the keyring and the file blob store.

A write goes to a temporary file in the destination folder (names starting with ".tmp-"),
is fsynced, then moved into place, then the folder is fsynced. After a crash the destination
holds either the whole new content or its previous state, never a partial file; a stray
temporary file may remain and is ignored by every listing.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

TMP_PREFIX = ".tmp-"


def fsync_dir(path: Path) -> None:
    """Flush a directory entry change (create, rename, unlink) to disk."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_temp(folder: Path, data: bytes, mode: int) -> Path:
    tmp = folder / f"{TMP_PREFIX}{secrets.token_hex(8)}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    os.close(fd)
    return tmp


def write_new(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Create `path` with `data`, atomically; FileExistsError if it exists (never overwrites)."""
    tmp = _write_temp(path.parent, data, mode)
    try:
        os.link(tmp, path)  # fails with EEXIST instead of replacing
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
    fsync_dir(path.parent)


def replace(path: Path, data: bytes, mode: int = 0o600, *, sync_dir: bool = True) -> None:
    """Write `path` atomically, replacing any previous content.

    With `sync_dir=False` the caller fsyncs the folder later (until then a crash may keep
    the old content, still whole).
    """
    tmp = _write_temp(path.parent, data, mode)
    try:
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    if sync_dir:
        fsync_dir(path.parent)


def make_private_dir(path: Path) -> None:
    """Create `path` (and parents) if missing, with mode 0700 on the leaf."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)
