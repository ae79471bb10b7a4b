"""Sealing private keys: AES-256-GCM under a given key, or under a key derived from a password.

The school's CA and TSA keys are sealed with the 32-byte "pki" key the caller hands in
(it comes from the vault's keyring; this package never imports the vault). A staff
member's key is sealed under their own password (Argon2id + AES-256-GCM), so the server
alone cannot sign in anyone's name.

Blob layout (both kinds): ``MAGIC | u16 header length | header JSON | GCM ciphertext``;
the header (KDF parameters, salt, nonce, and who the key belongs to) is the associated
data, so it cannot be altered without the open failing.
"""

from __future__ import annotations

import json
import os
import struct
from dataclasses import asdict, dataclass

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

__all__ = ["KdfParams", "SealedOpenError", "open_sealed", "read_header", "seal"]

MAGIC = b"HASEAL1"


class SealedOpenError(Exception):
    """Wrong key or password, or a damaged blob (GCM cannot tell them apart)."""

    def __init__(self, header: dict):
        self.header = header
        super().__init__("sealed blob does not open")


@dataclass(frozen=True)
class KdfParams:
    """Argon2id parameters; stored in every blob so that they can be raised later."""

    time_cost: int = 3
    """Iterations (OWASP: t=3 with 12 MiB is equivalent to t=2 with 19 MiB)."""
    memory_cost: int = 12288
    """Memory in KiB."""
    parallelism: int = 1
    """Lanes."""


def _derive(password: str, salt: bytes, params: KdfParams) -> bytes:
    return hash_secret_raw(
        password.encode("utf-8"), salt, time_cost=params.time_cost,
        memory_cost=params.memory_cost, parallelism=params.parallelism,
        hash_len=32, type=Type.ID)


def seal(plaintext: bytes, *, key: bytes | None = None, password: str | None = None,
         meta: dict | None = None, kdf: KdfParams = KdfParams()) -> bytes:
    """Seal ``plaintext`` under ``key`` (32 bytes) or under ``password``; ``meta`` is bound."""
    if (key is None) == (password is None):
        raise ValueError("give exactly one of key and password")
    header: dict = {"meta": meta or {}, "nonce": os.urandom(12).hex()}
    if password is not None:
        salt = os.urandom(16)
        header["kdf"] = {"name": "argon2id", "salt": salt.hex(), **asdict(kdf)}
        key = _derive(password, salt, kdf)
    header_bytes = json.dumps(header, sort_keys=True, ensure_ascii=False).encode("utf-8")
    ciphertext = AESGCM(key).encrypt(bytes.fromhex(header["nonce"]), plaintext, header_bytes)
    return MAGIC + struct.pack(">H", len(header_bytes)) + header_bytes + ciphertext


def read_header(blob: bytes) -> tuple[dict, bytes, bytes]:
    """``(header, header bytes, ciphertext)`` of a blob, without opening it."""
    if not blob.startswith(MAGIC) or len(blob) < len(MAGIC) + 2:
        raise SealedOpenError({})
    (length,) = struct.unpack(">H", blob[len(MAGIC):len(MAGIC) + 2])
    start = len(MAGIC) + 2
    header_bytes = blob[start:start + length]
    try:
        header = json.loads(header_bytes)
    except ValueError as exc:
        raise SealedOpenError({}) from exc
    return header, header_bytes, blob[start + length:]


def open_sealed(blob: bytes, *, key: bytes | None = None,
                password: str | None = None) -> tuple[dict, bytes]:
    """``(meta, plaintext)``; raises :class:`SealedOpenError` on a wrong key or password."""
    header, header_bytes, ciphertext = read_header(blob)
    if password is not None:
        kdf = header.get("kdf") or {}
        params = KdfParams(kdf.get("time_cost", 0), kdf.get("memory_cost", 0),
                           kdf.get("parallelism", 0))
        key = _derive(password, bytes.fromhex(kdf.get("salt", "")), params)
    if key is None:
        raise ValueError("give a key or a password")
    try:
        plaintext = AESGCM(key).decrypt(bytes.fromhex(header["nonce"]), ciphertext,
                                        header_bytes)
    except (InvalidTag, ValueError, KeyError) as exc:
        raise SealedOpenError(header.get("meta", {})) from exc
    return header["meta"], plaintext
