"""The key backup file: every key of a keyring in one file, encrypted under a passphrase.

Layout (UTF-8 JSON):
    {"format": "handover-keys/1",
     "kdf": {"name": "argon2id", "time_cost": .., "memory_kib": .., "parallelism": ..,
             "salt": base64},
     "nonce": base64, "ciphertext": base64}

The passphrase and salt give a 256-bit key through Argon2id; AES-256-GCM encrypts the list of
keys with the header (format and KDF parameters) as associated data, so that neither can be
changed without the file failing to open. A wrong passphrase and an altered file both fail
the tag check: there is no way to tell them apart, and nothing is ever half-read.
"""

from __future__ import annotations

import base64
import json
import secrets
from dataclasses import dataclass
from typing import Any

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .errors import KeyBackupInvalid, WrongPassphrase

__all__ = ["KeyEntry", "MIN_PASSPHRASE", "open_keys", "seal_keys"]

FORMAT = "handover-keys/1"
#: Shortest passphrase accepted when writing a key backup.
MIN_PASSPHRASE = 12
#: Argon2id cost for a new file: about a fifth of a second and 64 MiB per guess.
KDF = {"name": "argon2id", "time_cost": 3, "memory_kib": 64 * 1024, "parallelism": 1}
#: Bounds on the cost a file may ask for, so that a crafted file cannot exhaust the machine.
_MAX_MEMORY_KIB, _MAX_TIME_COST = 1024 * 1024, 20


@dataclass(frozen=True)
class KeyEntry:
    """One key version of a keyring, as carried in a key backup."""

    purpose: str
    """The key's purpose ("kek", "field", ...)."""
    version: int
    """Its version number (1, 2, ...)."""
    key: bytes
    """The 32 bytes of key material."""
    retired: bool
    """Whether the version is retired (kept for old data, never used for new)."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _derive(passphrase: str, kdf: dict[str, Any], salt: bytes) -> bytes:
    return hash_secret_raw(passphrase.encode("utf-8"), salt, time_cost=kdf["time_cost"],
                           memory_cost=kdf["memory_kib"], parallelism=kdf["parallelism"],
                           hash_len=32, type=Type.ID)


def _header_bytes(header: dict[str, Any]) -> bytes:
    return json.dumps(header, sort_keys=True, separators=(",", ":")).encode("utf-8")


def seal_keys(entries: list[KeyEntry], passphrase: str, *, kdf: dict[str, Any] | None = None
              ) -> bytes:
    """The key backup file holding `entries`, encrypted under `passphrase`. `kdf` overrides
    the Argon2id cost (tests); ValueError for a passphrase shorter than MIN_PASSPHRASE."""
    if len(passphrase) < MIN_PASSPHRASE:
        raise ValueError(f"passphrase shorter than {MIN_PASSPHRASE} characters")
    header = {"format": FORMAT, "kdf": {**(kdf or KDF), "salt": _b64(secrets.token_bytes(16))}}
    key = _derive(passphrase, header["kdf"], base64.b64decode(header["kdf"]["salt"]))
    plain = json.dumps({"keys": [{"purpose": e.purpose, "version": e.version,
                                  "key": _b64(e.key), "retired": e.retired}
                                 for e in entries]}).encode("utf-8")
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(key).encrypt(nonce, plain, _header_bytes(header))
    return json.dumps({**header, "nonce": _b64(nonce), "ciphertext": _b64(sealed)},
                      indent=1).encode("utf-8")


def open_keys(data: bytes, passphrase: str, *, source: str = "") -> list[KeyEntry]:
    """The entries of a key backup file; WrongPassphrase when it does not open,
    KeyBackupInvalid when it is not a key backup at all (`source` names it in errors)."""
    try:
        doc = json.loads(data.decode("utf-8"))
        header = {"format": doc["format"], "kdf": dict(doc["kdf"])}
        kdf = header["kdf"]
        if header["format"] != FORMAT:
            raise KeyBackupInvalid(source, f"不支持的格式 {header['format']!r}")
        if kdf.get("name") != "argon2id" or not (
                0 < int(kdf["memory_kib"]) <= _MAX_MEMORY_KIB
                and 0 < int(kdf["time_cost"]) <= _MAX_TIME_COST
                and 0 < int(kdf["parallelism"]) <= 16):
            raise KeyBackupInvalid(source, "口令派生参数无效")
        salt, nonce = base64.b64decode(kdf["salt"]), base64.b64decode(doc["nonce"])
        sealed = base64.b64decode(doc["ciphertext"])
    except (ValueError, KeyError, TypeError):
        raise KeyBackupInvalid(source, "不是密钥备份文件") from None
    try:
        plain = AESGCM(_derive(passphrase, kdf, salt)).decrypt(nonce, sealed,
                                                               _header_bytes(header))
    except InvalidTag:
        raise WrongPassphrase(source) from None
    return [KeyEntry(item["purpose"], int(item["version"]), base64.b64decode(item["key"]),
                     bool(item["retired"])) for item in json.loads(plain)["keys"]]
