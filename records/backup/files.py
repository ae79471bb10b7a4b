"""Copying what a backup holds: private folders and files, synced to disk, and blob stores."""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

from vault import BlobStore

__all__ = ["copy_blobs", "copy_private", "has_files", "make_private_dir"]

#: Lock files the ledger and the PKI create beside their data; they hold nothing.
LOCK_FILES = ("ledger.lock", ".lock")


def make_private_dir(path: Path) -> None:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)


def copy_private(src: Path, dest: Path) -> None:
    """Copy `src` to `dest` (mode 0600) and flush it to disk."""
    with open(src, "rb") as fin, open(os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                                              0o600), "wb") as fout:
        shutil.copyfileobj(fin, fout, 1 << 20)
        fout.flush()
        os.fsync(fout.fileno())


def copy_blobs(src: BlobStore, dest: BlobStore) -> None:
    """Copy every blob of `src` into `dest`: objects before key records, so that a copy cut
    short never shows a key record without its object (the vault's own order of a put)."""
    for name in sorted(src.list(), key=lambda n: n.endswith(".key")):
        with contextlib.suppress(FileNotFoundError):  # discarded since it was listed
            dest.put_atomic(name, src.get(name))


def has_files(folder: Path) -> bool:
    """Whether `folder` holds any file but a lock file."""
    return folder.is_dir() and any(p.is_file() and p.name not in LOCK_FILES
                                   for p in folder.rglob("*"))
