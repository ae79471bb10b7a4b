"""The vault: encrypted objects, each read and write recorded in the ledger (policy C1, R-ARC).

"Not lost, not damaged, not leaked": objects are written atomically and never rewritten,
every read is verified (a damaged object raises IntegrityError and never returns data), and
every put and get is recorded in the access ledger before it takes effect: if the ledger
cannot be written, the operation is refused (fail closed).

Order of a put: object file (invisible on its own), ledger entry, key record (the commit
point: `object_ids()` lists key records). A crash leaves either a visible, complete object
or an invisible orphan file; a crash between the ledger entry and the key record leaves an
entry for an object that never became visible (the ledger records attempts, never hides one).

An object store that cannot be reached (ObjectStoreUnavailable) fails the put or get with
nothing made visible, and the failed attempt is recorded in the ledger (outcome
"store_unavailable"), as every other refused read or write is.
"""

from __future__ import annotations

import contextlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .blobstore import BlobStore
from .errors import (
    IntegrityError,
    KeyVersionCurrent,
    KeyVersionInUse,
    LedgerCorrupt,
    LedgerUnavailable,
    ObjectNotFound,
    ObjectStoreUnavailable,
    VaultError,
)
from .keyring import Keyring
from .ledger import Ledger
from .objects import KeyRecord, decrypt_object, encrypt_object, seal_key, unseal_key

__all__ = ["Vault", "CheckReport", "BadObject", "committed_object_ids"]

_ID = re.compile(r"[0-9a-f]{32}")
_ROTATE_CHUNK = 256
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class BadObject:
    """An object that failed `Vault.check()`."""

    object_id: str
    """The object's id."""
    reason: str
    """Why it failed (the Chinese error message; never content)."""


@dataclass(frozen=True)
class CheckReport:
    """The result of decrypting and verifying every object."""

    checked: int
    """Number of objects checked."""
    bad: tuple[BadObject, ...]
    """Objects that failed, with reasons."""
    orphans: tuple[str, ...]
    """Ids of object files without a key record: puts interrupted before their commit."""

    @property
    def ok(self) -> bool:
        """True when no object failed."""
        return not self.bad


def _obj(object_id: str) -> str:
    return f"{object_id}.obj"


def _key(object_id: str) -> str:
    return f"{object_id}.key"


def committed_object_ids(blobs: BlobStore) -> list[str]:
    """Ids of every committed object in `blobs` (one per key record), sorted: what the vault
    counts as its objects, also in a copy of its store such as a backup."""
    return sorted(n[:-4] for n in blobs.list() if n.endswith(".key") and _ID.fullmatch(n[:-4]))


class Vault:
    """Encrypted object store over a blob store, a keyring and a ledger."""

    def __init__(self, blobs: BlobStore, keyring: Keyring, ledger: Ledger) -> None:
        """All three are passed in; the vault reads no configuration."""
        self.blobs = blobs
        self.keyring = keyring
        self.ledger = ledger

    # -- reading and writing ---------------------------------------------------------------

    def put(
        self, data: bytes, *, actor: str, reason: str, context: dict[str, Any] | None = None
    ) -> str:
        """Encrypt and store `data`; returns the new object's random hex id.

        `actor`, `reason` and `context` go into the ledger in clear: ids only, never a
        private value (policy C2).
        """
        object_id = secrets.token_hex(16)
        kek_version, kek = self.keyring.current("kek")
        blob, secret = encrypt_object(object_id, data)
        record = seal_key(object_id, kek_version, kek, secret)
        try:
            self.blobs.put_atomic(_obj(object_id), blob)
        except ObjectStoreUnavailable:  # policy C1: a refused attempt is recorded too
            self._record(actor, "vault.put", object_id, reason, "store_unavailable", context)
            raise
        try:
            self._record(
                actor,
                "vault.put",
                object_id,
                reason,
                "ok",
                {**(context or {}), "kek_version": kek_version},
            )
        except LedgerUnavailable:
            self.blobs.delete(_obj(object_id))
            raise
        try:
            self.blobs.put_atomic(_key(object_id), record.to_bytes())  # commit point
        except (OSError, ObjectStoreUnavailable) as exc:
            # without its key record the object file is invisible; if the store is down the
            # file stays as an orphan that `vault check` counts
            with contextlib.suppress(OSError, ObjectStoreUnavailable):
                self.blobs.delete(_obj(object_id))
            self._record(actor, "vault.put", object_id, reason, _outcome(exc), context)
            raise
        return object_id

    def get(self, object_id: str, *, actor: str, reason: str,
            context: dict[str, Any] | None = None) -> bytes:
        """Decrypt and verify an object; the read is recorded (with `context`: ids only, e.g.
        the approval it is made under) before the data is returned."""
        subject = object_id if _ID.fullmatch(object_id) else "invalid-id"
        try:
            data = self._read(object_id)
        except VaultError as exc:
            self._record(actor, "vault.get", subject, reason, _outcome(exc), context)
            raise
        self._record(actor, "vault.get", subject, reason, "ok", context)
        return data

    def discard(self, object_id: str, *, actor: str, reason: str) -> None:
        """Remove an object that no record ever came to refer to (the request that wrote it
        was rolled back, or died): key record first, so that it is invisible at once, then
        the file. Recorded like any write; an object a record refers to must never be
        discarded (the caller decides which are unreferenced)."""
        self._record(actor, "vault.discard", object_id, reason, "ok", None)
        self.blobs.delete(_key(object_id))
        self.blobs.delete(_obj(object_id))

    def exists(self, object_id: str) -> bool:
        """Whether a committed object has this id (not recorded: reveals no content)."""
        return bool(_ID.fullmatch(object_id)) and self.blobs.exists(_key(object_id))

    def object_ids(self) -> list[str]:
        """Ids of every committed object, sorted."""
        return committed_object_ids(self.blobs)

    def _read(self, object_id: str) -> bytes:
        record = self._key_record(object_id)
        secret = unseal_key(object_id, record, self.keyring.get("kek", record.kek_version))
        try:
            with self.blobs.read_view(_obj(object_id)) as blob:
                return decrypt_object(object_id, blob, secret)
        except FileNotFoundError:
            raise IntegrityError(object_id, "密文文件缺失") from None

    def _key_record(self, object_id: str) -> KeyRecord:
        if not _ID.fullmatch(object_id):
            raise ObjectNotFound(object_id[:64])
        try:
            raw = self.blobs.get(_key(object_id))
        except FileNotFoundError:
            raise ObjectNotFound(object_id) from None
        return KeyRecord.parse(object_id, raw)

    def _record(
        self,
        actor: str,
        action: str,
        subject: str | None,
        reason: str,
        outcome: str,
        context: dict[str, Any] | None = None,
    ) -> None:
        try:
            self.ledger.append(
                actor=actor,
                action=action,
                subject=subject,
                reason=reason,
                outcome=outcome,
                context=context,
            )
        except LedgerCorrupt as exc:  # one failure type for callers: refuse, fail closed
            raise LedgerUnavailable(str(self.ledger.path), f"日志损坏：{exc.reason}") from exc

    # -- key rotation ----------------------------------------------------------------------

    def kek_usage(self) -> dict[int, int]:
        """Number of objects sealed under each "kek" version."""
        usage: dict[int, int] = {}
        for object_id in self.object_ids():
            version = self._key_record(object_id).kek_version
            usage[version] = usage.get(version, 0) + 1
        return usage

    def rotate(self, progress: Progress | None = None, *, actor: str = "system") -> int:
        """Add a "kek" version and reseal every data key under it; returns how many.

        Only the small key records are replaced; no object file is rewritten.
        """
        new_version = self.keyring.add_version("kek")
        new_kek = self.keyring.get("kek", new_version)
        ids = self.object_ids()
        count = 0
        for start in range(0, len(ids), _ROTATE_CHUNK):
            resealed = []
            for object_id in ids[start : start + _ROTATE_CHUNK]:
                record = self._key_record(object_id)
                if record.kek_version != new_version:
                    old_kek = self.keyring.get("kek", record.kek_version)
                    secret = unseal_key(object_id, record, old_kek)
                    new_record = seal_key(object_id, new_version, new_kek, secret)
                    resealed.append((_key(object_id), new_record.to_bytes()))
            # a crash before this returns leaves some records on the old version, still
            # readable: the old version stays until `retire` finds it unused
            self.blobs.replace_many(resealed)
            count += len(resealed)
            if progress is not None:
                progress(min(start + _ROTATE_CHUNK, len(ids)), len(ids))
        self._record(
            actor,
            "vault.rotate",
            None,
            "密钥轮换",
            "ok",
            {"kek_version": new_version, "resealed": count},
        )
        return count

    def retire(self, version: int, *, actor: str = "system") -> None:
        """Retire a "kek" version; refused while it is current or any object uses it."""
        if version == self.keyring.current("kek")[0]:
            raise KeyVersionCurrent("kek", version)
        in_use = self.kek_usage().get(version, 0)
        if in_use:
            raise KeyVersionInUse("kek", version, in_use)
        self.keyring.retire("kek", version)
        self._record(actor, "vault.retire_key", None, "停用密钥", "ok", {"kek_version": version})

    def retire_unused(self, *, actor: str = "system") -> list[int]:
        """Retire every non-current "kek" version that no object uses; returns them."""
        current = self.keyring.current("kek")[0]
        usage = self.kek_usage()
        retired = self.keyring.retired("kek")
        done = []
        for version in self.keyring.versions("kek"):
            if version != current and version not in retired and not usage.get(version):
                self.retire(version, actor=actor)
                done.append(version)
        return done

    # -- checking --------------------------------------------------------------------------

    def check(self, progress: Progress | None = None, *, actor: str = "system") -> CheckReport:
        """Decrypt and verify every object; the check itself is recorded (no content is)."""
        ids = self.object_ids()
        bad = []
        for done, object_id in enumerate(ids, start=1):
            try:
                self._read(object_id)
            except ObjectStoreUnavailable:
                raise  # the store is down, not the object bad
            except VaultError as exc:
                bad.append(BadObject(object_id, str(exc)))
            if progress is not None:
                progress(done, len(ids))
        committed = set(ids)
        orphans = tuple(
            n[:-4] for n in self.blobs.list() if n.endswith(".obj") and n[:-4] not in committed
        )
        self._record(
            actor,
            "vault.check",
            None,
            "完整性检查",
            "ok" if not bad else "bad_objects",
            {"checked": len(ids), "bad": [b.object_id for b in bad], "orphans": len(orphans)},
        )
        return CheckReport(len(ids), tuple(bad), orphans)


def _outcome(exc: Exception) -> str:
    if isinstance(exc, ObjectStoreUnavailable):
        return "store_unavailable"
    if isinstance(exc, OSError):
        return "write_failed"
    if isinstance(exc, ObjectNotFound):
        return "not_found"
    if isinstance(exc, IntegrityError):
        return "integrity_error"
    return "key_error"
