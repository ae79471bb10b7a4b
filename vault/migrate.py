"""Copying the vault from one blob store to another (local folder to S3, ...), each blob
checked by its SHA-256 digest after the write.

Only committed objects are copied (orphans of interrupted puts are not), object file before
key record as in a put, so that a copy cut short never shows a key record without its object.
Running it again is safe: what is already there with the same bytes is skipped; a key record
resealed since (a rotation) is replaced; an object file with other bytes is refused.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from .blobstore import BlobStore
from .errors import IntegrityError, ObjectCopyMismatch
from .store import committed_object_ids

__all__ = ["MigrateReport", "migrate_objects"]


@dataclass(frozen=True)
class MigrateReport:
    """What a migration did."""

    objects: int
    """Committed objects in the source."""
    copied: int
    """Objects this run wrote to the target (object file or key record)."""
    present: int
    """Objects the target already held, byte for byte."""


def _digest(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _copy_blob(src: BlobStore, dest: BlobStore, name: str) -> bool:
    """Copy one blob and check it; True when something was written."""
    try:
        data = src.get(name)
    except FileNotFoundError:
        raise IntegrityError(name[:-4], f"源存储中缺少 {name}（请先运行 vault check）") from None
    digest = _digest(data)
    try:
        existing = _digest(dest.get(name))
    except FileNotFoundError:
        existing = None
    if existing == digest:
        return False
    if existing is None:
        dest.put_atomic(name, data)
    elif name.endswith(".key"):  # resealed since an earlier run: key records are replaceable
        dest.replace_atomic(name, data)
    else:
        raise ObjectCopyMismatch(name)
    if _digest(dest.get(name)) != digest:  # policy R-ARC: read back, nothing lost on the way
        raise ObjectCopyMismatch(name)
    return True


def migrate_objects(src: BlobStore, dest: BlobStore,
                    progress: Callable[[int, int], None] | None = None) -> MigrateReport:
    """Copy every committed object of `src` into `dest` and verify each."""
    ids = committed_object_ids(src)
    copied = 0
    for done, object_id in enumerate(ids, start=1):
        wrote = [_copy_blob(src, dest, f"{object_id}{suffix}") for suffix in (".obj", ".key")]
        copied += any(wrote)
        if progress is not None:
            progress(done, len(ids))
    return MigrateReport(objects=len(ids), copied=copied, present=len(ids) - copied)
