"""Versioned keys per purpose, in a directory of their own (policy C1: keys apart from data).

Layout: ``<root>/<purpose>/<version>.key`` holds 32 raw bytes (a 256-bit secret key, or the
Ed25519 seed for the "ledger" purpose); ``<version>.retired`` marks a retired version. The
root and every purpose folder are 0700, key files 0600. A key file is written once and never
overwritten; retiring keeps the key material (so that a key backup stays complete) but makes
`get` refuse it. The path is passed in, so the keys can live on another disk than the data.
"""

from __future__ import annotations

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
    KeyConflict,
    KeyringInsecure,
    KeyringMissing,
    KeyVersionMissing,
    KeyVersionRetired,
)

__all__ = ["Keyring", "PURPOSES", "SECRET_PURPOSES"]

#: 256-bit symmetric key purposes.
SECRET_PURPOSES = ("kek", "field", "blind", "search", "pki")
#: All purposes; "ledger" holds Ed25519 signing keys.
PURPOSES = (*SECRET_PURPOSES, "ledger")

_KEY_SUFFIX = ".key"
_RETIRED_SUFFIX = ".retired"


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

    def export(self, dest: str | os.PathLike[str]) -> int:
        """Copy every key and retirement mark to `dest` (new or empty folder); count of files."""
        dest_root = Path(dest)
        if dest_root.exists() and any(dest_root.iterdir()):
            raise FileExistsError(f"key backup destination is not empty: {dest_root}")
        return _copy_keys(self._files(), self.root, dest_root)

    def import_from(self, src: str | os.PathLike[str]) -> int:
        """Copy keys from a backup at `src` that are missing here; count of files copied.

        An existing key with different content raises KeyConflict; nothing is overwritten.
        To restore into a new place: ``Keyring(path).import_from(backup)``.
        """
        if not Path(src).is_dir():
            raise KeyringMissing(str(src))
        other = Keyring(Path(src))  # a backup medium may not keep 0600: no permission check
        return _copy_keys(other._files(), other.root, self.root)

    # -- internals -------------------------------------------------------------------------

    def _files(self) -> Iterable[tuple[str, str]]:
        for purpose in PURPOSES:
            folder = self._dir(purpose)
            if folder.is_dir():
                for name in sorted(os.listdir(folder)):
                    if name.endswith((_KEY_SUFFIX, _RETIRED_SUFFIX)):
                        yield purpose, name

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


def _copy_keys(files: Iterable[tuple[str, str]], src_root: Path, dest_root: Path) -> int:
    _fsutil.make_private_dir(dest_root)
    copied = 0
    for purpose, name in files:
        data = (src_root / purpose / name).read_bytes()
        folder = dest_root / purpose
        _fsutil.make_private_dir(folder)
        target = folder / name
        if target.exists():
            if target.read_bytes() != data:
                raise KeyConflict(purpose, int(name.partition(".")[0]))
            continue
        _fsutil.write_new(target, data)
        copied += 1
    return copied
