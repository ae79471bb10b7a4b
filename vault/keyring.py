"""Versioned keys per purpose, in a directory of their own (policy C1: keys apart from data).

Layout: ``<root>/<purpose>/<version>.key`` holds 32 raw bytes (a 256-bit secret key, or the
Ed25519 seed for the "ledger" purpose); ``<version>.retired`` marks a retired version. The
root and every purpose folder are 0700, key files 0600. A key file is written once and never
overwritten; retiring keeps the key material (so that a key backup stays complete) but makes
`get` refuse it. The path is passed in, so the keys can live on another disk than the data.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import stat
from collections.abc import Iterable
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from . import _fsutil
from .errors import (
    KeyBackupInvalid,
    KeyConflict,
    KeyringInsecure,
    KeyringMissing,
    KeyVersionMissing,
    KeyVersionRetired,
)
from .keyfile import KeyEntry, open_keys, seal_keys

__all__ = ["Keyring", "PURPOSES", "SECRET_PURPOSES"]

#: 256-bit symmetric key purposes.
SECRET_PURPOSES = ("kek", "field", "blind", "search", "pki")
#: All purposes; "ledger" holds Ed25519 signing keys.
PURPOSES = (*SECRET_PURPOSES, "ledger")

_KEY_SUFFIX = ".key"
_RETIRED_SUFFIX = ".retired"
_FINGERPRINT_MESSAGE = b"handover-archive key fingerprint/1"


def _check_purpose(purpose: str) -> None:
    if purpose not in PURPOSES:
        raise ValueError(f"unknown key purpose {purpose!r}; expected one of {PURPOSES}")


def _new_key_material(purpose: str) -> bytes:
    if purpose == "ledger":
        return Ed25519PrivateKey.generate().private_bytes_raw()
    return secrets.token_bytes(32)


class Keyring:
    """Versioned keys per purpose in one directory; see the module docstring for the layout."""

    def __init__(self, root: Path) -> None:
        """Use `Keyring.open` instead; this does no I/O."""
        self.root = Path(root)
        self._cache: dict[tuple[str, int], bytes] = {}
        self._signing_keys: dict[int, Ed25519PrivateKey] = {}

    @classmethod
    def open(cls, path: str | os.PathLike[str], create: bool = False) -> Keyring:
        """Open the keyring at `path`; with `create`, make it and every missing purpose key."""
        root = Path(path)
        if not root.is_dir():
            if not create:
                raise KeyringMissing(str(root))
            _fsutil.make_private_dir(root)
        ring = cls(root)
        if create:
            ring.ensure()
        ring._check_permissions()
        return ring

    # -- layout ----------------------------------------------------------------------------

    def _dir(self, purpose: str) -> Path:
        _check_purpose(purpose)
        return self.root / purpose

    def _check_permissions(self) -> None:
        for path in [self.root, *self.root.rglob("*")]:
            mode = stat.S_IMODE(path.lstat().st_mode)
            if mode & 0o077:
                raise KeyringInsecure(str(path), mode)

    def _scan(self, purpose: str) -> tuple[list[int], set[int]]:
        folder = self._dir(purpose)
        versions: list[int] = []
        retired: set[int] = set()
        try:
            names = os.listdir(folder)
        except FileNotFoundError:
            return [], set()
        for name in names:
            stem, _, suffix = name.partition(".")
            if not stem.isdigit():
                continue
            if "." + suffix == _KEY_SUFFIX:
                versions.append(int(stem))
            elif "." + suffix == _RETIRED_SUFFIX:
                retired.add(int(stem))
        return sorted(versions), retired

    # -- public API ------------------------------------------------------------------------

    def ensure(self) -> list[str]:
        """Create version 1 of every purpose that has no key yet; never touch existing keys.

        Returns the purposes that were created (empty when nothing was missing).
        """
        _fsutil.make_private_dir(self.root)
        created = []
        for purpose in PURPOSES:
            if not self._scan(purpose)[0]:
                self._write_version(purpose, 1)
                created.append(purpose)
        return created

    def versions(self, purpose: str) -> list[int]:
        """All versions of `purpose`, retired ones included, oldest first."""
        return self._scan(purpose)[0]

    def retired(self, purpose: str) -> set[int]:
        """The retired versions of `purpose`."""
        return self._scan(purpose)[1]

    def current(self, purpose: str) -> tuple[int, bytes]:
        """The newest non-retired version of `purpose` and its key."""
        versions, retired = self._scan(purpose)
        active = [v for v in versions if v not in retired]
        if not active:
            raise KeyVersionMissing(purpose, None)
        return active[-1], self._read(purpose, active[-1])

    def get(self, purpose: str, version: int) -> bytes:
        """The key of `purpose` at `version`; KeyVersionMissing / KeyVersionRetired otherwise."""
        versions, retired = self._scan(purpose)
        if version not in versions:
            raise KeyVersionMissing(purpose, version)
        if version in retired:
            raise KeyVersionRetired(purpose, version)
        return self._read(purpose, version)

    def add_version(self, purpose: str) -> int:
        """Create a new key version of `purpose` and return its number."""
        while True:
            versions = self._scan(purpose)[0]
            version = (versions[-1] if versions else 0) + 1
            try:
                self._write_version(purpose, version)
            except FileExistsError:  # another process took this number; take the next one
                continue
            return version

    def retire(self, purpose: str, version: int) -> None:
        """Mark `version` of `purpose` retired (idempotent). Callers check it is unused."""
        if version not in self._scan(purpose)[0]:
            raise KeyVersionMissing(purpose, version)
        try:
            _fsutil.write_new(self._dir(purpose) / f"{version}{_RETIRED_SUFFIX}", b"")
        except FileExistsError:
            pass

    # -- Ed25519 ledger keys (the Ledger's key provider protocol) ---------------------------

    def ledger_signing_key(self) -> tuple[int, Ed25519PrivateKey]:
        """The current ledger signing key and its version."""
        version, seed = self.current("ledger")
        key = self._signing_keys.get(version)
        if key is None:
            key = self._signing_keys[version] = Ed25519PrivateKey.from_private_bytes(seed)
        return version, key

    def ledger_public_key(self, version: int) -> Ed25519PublicKey:
        """The public ledger key of `version`, retired or not (public keys are not secret)."""
        if version not in self.versions("ledger"):
            raise KeyVersionMissing("ledger", version)
        seed = self._read("ledger", version)
        return Ed25519PrivateKey.from_private_bytes(seed).public_key()

    def ledger_public_keys(self) -> dict[int, bytes]:
        """Raw public ledger keys by version, to hand to auditors."""
        return {v: self.ledger_public_key(v).public_bytes_raw() for v in self.versions("ledger")}

    # -- backup ----------------------------------------------------------------------------

    def entries(self) -> list[KeyEntry]:
        """Every version of every purpose with its key material, retired ones included."""
        entries = []
        for purpose in PURPOSES:
            versions, retired = self._scan(purpose)
            entries += [KeyEntry(purpose, v, self._read(purpose, v), v in retired)
                        for v in versions]
        return entries

    def fingerprints(self) -> dict[str, str]:
        """For every key version ("kek/1", ...), an HMAC-SHA256 of a constant under the key:
        names the key set a data backup needs without revealing anything about the keys."""
        return {f"{e.purpose}/{e.version}":
                hmac.new(e.key, _FINGERPRINT_MESSAGE, hashlib.sha256).hexdigest()
                for e in self.entries()}

    def export(self, dest: str | os.PathLike[str], passphrase: str) -> int:
        """Write every key and retirement mark to the new file `dest`, encrypted under
        `passphrase` (see vault.keyfile); FileExistsError if it exists. Number of keys."""
        entries = self.entries()
        _fsutil.write_new(Path(dest), seal_keys(entries, passphrase))
        return len(entries)

    def import_file(self, src: str | os.PathLike[str], passphrase: str) -> int:
        """Add the keys of the key backup file `src` that are missing here (`import_keys`);
        WrongPassphrase, with nothing written, when it does not open."""
        entries = open_keys(Path(src).read_bytes(), passphrase, source=str(src))
        return self.import_keys(entries, source=str(src))

    def import_folder(self, src: str | os.PathLike[str]) -> int:
        """Add the keys of a key backup folder, the unencrypted format that `export` wrote
        before key backups were sealed under a passphrase (same layout as a keyring)."""
        if not Path(src).is_dir():
            raise KeyringMissing(str(src))
        # a backup medium may not keep 0600: no permission check
        return self.import_keys(Keyring(Path(src)).entries(), source=str(src))

    def import_keys(self, entries: Iterable[KeyEntry], *, source: str = "") -> int:
        """Add the key versions of `entries` that are missing here, with their retirement
        marks; returns how many keys were added (0: all were here already). Everything is
        checked first: an unknown purpose, a malformed key or one that exists here with other
        content (KeyConflict) refuses the whole import, and nothing is written."""
        entries = list(entries)
        for e in entries:
            if e.purpose not in PURPOSES or e.version < 1 or len(e.key) != 32:
                raise KeyBackupInvalid(source, f"无效的密钥 {e.purpose} v{e.version}")
            path = self._dir(e.purpose) / f"{e.version}{_KEY_SUFFIX}"
            if path.exists() and path.read_bytes() != e.key:
                raise KeyConflict(e.purpose, e.version)
        _fsutil.make_private_dir(self.root)
        added = 0
        for e in entries:
            folder = self._dir(e.purpose)
            _fsutil.make_private_dir(folder)
            with contextlib.suppress(FileExistsError):  # the same key: checked above
                _fsutil.write_new(folder / f"{e.version}{_KEY_SUFFIX}", e.key)
                added += 1
            if e.retired:
                self.retire(e.purpose, e.version)
        return added

    # -- internals -------------------------------------------------------------------------

    def _write_version(self, purpose: str, version: int) -> None:
        folder = self._dir(purpose)
        _fsutil.make_private_dir(folder)
        _fsutil.write_new(folder / f"{version}{_KEY_SUFFIX}", _new_key_material(purpose))

    def _read(self, purpose: str, version: int) -> bytes:
        cached = self._cache.get((purpose, version))
        if cached is None:
            path = self._dir(purpose) / f"{version}{_KEY_SUFFIX}"
            cached = path.read_bytes()
            if len(cached) != 32:
                raise KeyVersionMissing(purpose, version)
            self._cache[(purpose, version)] = cached
        return cached

