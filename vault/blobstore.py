"""Where the vault keeps its bytes: a small interface and a crash-safe local implementation.

The vault only ever stores ciphertext and sealed key records here, so a blob store needs no
confidentiality of its own; it must be atomic. The same Protocol is implemented over a
database table (vault.blobstore_sql) and an S3-compatible object store (vault.blobstore_s3),
for several app servers sharing one store (DESIGN "Beyond one machine"). A store that cannot
be reached raises ObjectStoreUnavailable, never a partial result.
"""

from __future__ import annotations

import contextlib
import mmap
import os
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol, runtime_checkable

from . import _fsutil

__all__ = ["BlobStore", "FileBlobStore", "Buffer", "check_name"]

#: What `read_view` yields: bytes, or a read-only mapping of the stored blob.
Buffer = bytes | memoryview | mmap.mmap


@runtime_checkable
class BlobStore(Protocol):
    """Named immutable blobs plus small replaceable records, each write all-or-nothing."""

    def put_atomic(self, name: str, data: bytes) -> None:
        """Store a new blob; FileExistsError if the name exists. Whole or nothing on a crash."""

    def replace_atomic(self, name: str, data: bytes) -> None:
        """Store or replace a small record; readers see the old or the new content, whole."""

    def replace_many(self, items: Iterable[tuple[str, bytes]]) -> None:
        """`replace_atomic` for several records: each is whole, old or new, after a crash;
        all are durable when this returns."""

    def get(self, name: str) -> bytes:
        """The blob's bytes; FileNotFoundError if absent."""

    def read_view(self, name: str) -> AbstractContextManager[Buffer]:
        """A read-only buffer of the blob, valid inside the `with` block (no copy where the
        store can map it); FileNotFoundError if absent."""

    def exists(self, name: str) -> bool:
        """Whether a complete blob of this name is visible."""

    def list(self) -> Iterator[str]:
        """Names of every complete blob (no temporary or partial files)."""

    def delete(self, name: str) -> None:
        """Remove a blob (used only to undo a write that was never committed)."""


def check_name(name: str) -> None:
    """ValueError unless `name` is a plain blob name (no path, no leading dot)."""
    if len(name) < 3 or not all(c.isalnum() or c in "._-" for c in name) or name[0] == ".":
        raise ValueError(f"invalid blob name {name!r}")


class FileBlobStore:
    """Blobs as files under `root`, sharded by the first two characters of the name."""

    backend = "local"

    def __init__(self, root: str | os.PathLike[str]) -> None:
        """`root` is created on first write."""
        self.root = Path(root)

    def _path(self, name: str) -> Path:
        check_name(name)
        return self.root / name[:2] / name

    def _folder(self, name: str) -> Path:
        path = self._path(name)
        if not path.parent.is_dir():
            _fsutil.make_private_dir(path.parent)
            _fsutil.fsync_dir(self.root)
        return path

    def put_atomic(self, name: str, data: bytes) -> None:
        """Temp file, fsync, hard link into place (never replaces), fsync the folder."""
        _fsutil.write_new(self._folder(name), data)

    def replace_atomic(self, name: str, data: bytes) -> None:
        """Temp file, fsync, rename over the old one, fsync the folder."""
        _fsutil.replace(self._folder(name), data)

    def replace_many(self, items: Iterable[tuple[str, bytes]]) -> None:
        """Like replace_atomic for each item, with one fsync per folder at the end."""
        folders = set()
        for name, data in items:
            path = self._folder(name)
            _fsutil.replace(path, data, sync_dir=False)
            folders.add(path.parent)
        for folder in sorted(folders):
            _fsutil.fsync_dir(folder)

    def get(self, name: str) -> bytes:
        """Read the whole blob."""
        return self._path(name).read_bytes()

    @contextlib.contextmanager
    def read_view(self, name: str) -> Iterator[Buffer]:
        """The file mapped read-only: decryption reads the page cache directly, without the
        copy into a new 10 MiB bytes object (measured: a 10 MiB get then costs about the
        same as the decryption alone). Object files are never modified once written."""
        with open(self._path(name), "rb") as f:
            if os.fstat(f.fileno()).st_size == 0:
                yield b""
                return
            mapped = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        try:
            yield mapped
        finally:
            # slices may still be referenced (e.g. from a traceback): then the map is
            # closed when they are collected
            with contextlib.suppress(BufferError):
                mapped.close()

    def exists(self, name: str) -> bool:
        """Whether the blob file exists."""
        return self._path(name).is_file()

    def list(self) -> Iterator[str]:
        """Every blob name; temporary files (leading dot) are skipped."""
        if not self.root.is_dir():
            return
        for shard in sorted(os.listdir(self.root)):
            folder = self.root / shard
            if shard.startswith(".") or not folder.is_dir():
                continue
            for name in sorted(os.listdir(folder)):
                if not name.startswith("."):
                    yield name

    def delete(self, name: str) -> None:
        """Unlink the blob if present and fsync its folder."""
        path = self._path(name)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            _fsutil.fsync_dir(path.parent)
