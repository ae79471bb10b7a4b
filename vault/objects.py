"""The on-disk format of one vault object: a ciphertext file and a sealed key record.

Object file ``<id>.obj``: ``MAGIC | nonce (12) | AES-256-GCM ciphertext and tag``, under a
fresh random data key, the object id and format bound as associated data. It is written once
and never touched again.

Key record ``<id>.key``: JSON ``{"format", "kek", "nonce", "sealed"}``, where `sealed` is
AES-256-GCM under the key-encryption key ("kek", version `kek`) of ``data key | object tag |
length``, with the object id, format and kek version as associated data. Rotation replaces
only this record. The object's GCM tag, sealed here, is its keyed content hash: a read checks
the file's tag against it before decrypting, so a swapped, replaced or truncated object file is
refused. (A plain SHA-256 of the plaintext is deliberately not stored: it would confirm guesses
of low-entropy documents, and hashing 10 MiB costs five times the decryption.)
"""

from __future__ import annotations

import base64
import hmac
import json
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .errors import IntegrityError

if TYPE_CHECKING:
    from .blobstore import Buffer

__all__ = [
    "FORMAT",
    "KeyRecord",
    "SealedKey",
    "encrypt_object",
    "decrypt_object",
    "seal_key",
    "unseal_key",
]

#: Format version of both files; bound into the associated data.
FORMAT = 1
_MAGIC = b"HAV" + bytes([FORMAT])
_NONCE = 12
_TAG = 16
_HEADER = len(_MAGIC) + _NONCE


def _object_aad(object_id: str) -> bytes:
    return b"hav-object\x00%d\x00%s" % (FORMAT, object_id.encode())


def _wrap_aad(object_id: str, kek_version: int) -> bytes:
    return b"hav-wrap\x00%d\x00%s\x00%d" % (FORMAT, object_id.encode(), kek_version)


@dataclass(frozen=True)
class SealedKey:
    """The secrets needed to read one object, before sealing / after unsealing."""

    data_key: bytes
    """The object's 256-bit AES-GCM key."""
    tag: bytes
    """The object's 16-byte GCM tag: its keyed content hash."""
    length: int
    """Length of the object file in bytes."""


@dataclass(frozen=True)
class KeyRecord:
    """A sealed key record as stored in ``<id>.key``."""

    kek_version: int
    """Version of the "kek" key that sealed it."""
    nonce: bytes
    """Nonce of the sealing."""
    sealed: bytes
    """AES-GCM ciphertext of data key, tag and length."""

    def to_bytes(self) -> bytes:
        """The JSON stored on disk."""
        return json.dumps(
            {
                "format": FORMAT,
                "kek": self.kek_version,
                "nonce": base64.b64encode(self.nonce).decode(),
                "sealed": base64.b64encode(self.sealed).decode(),
            }
        ).encode()

    @classmethod
    def parse(cls, object_id: str, raw: bytes) -> KeyRecord:
        """Parse a stored record; IntegrityError if it is not one."""
        try:
            data = json.loads(raw)
            if data["format"] != FORMAT:
                raise ValueError("format")
            return cls(
                kek_version=int(data["kek"]),
                nonce=base64.b64decode(data["nonce"], validate=True),
                sealed=base64.b64decode(data["sealed"], validate=True),
            )
        except (ValueError, KeyError, TypeError):
            raise IntegrityError(object_id, "密钥记录无法解析") from None


def encrypt_object(object_id: str, data: bytes) -> tuple[bytes, SealedKey]:
    """The object file's bytes and the secrets to seal into its key record."""
    data_key = AESGCM.generate_key(bit_length=256)
    nonce = secrets.token_bytes(_NONCE)
    ciphertext = AESGCM(data_key).encrypt(nonce, data, _object_aad(object_id))
    blob = b"".join((_MAGIC, nonce, ciphertext))
    return blob, SealedKey(data_key, ciphertext[-_TAG:], len(blob))


def decrypt_object(object_id: str, blob: Buffer, key: SealedKey) -> bytes:
    """The plaintext of an object file (bytes or a mapped buffer); IntegrityError unless
    everything matches."""
    with memoryview(blob) as view:
        if len(view) != key.length:
            raise IntegrityError(object_id, "密文长度与密钥记录不符")
        if bytes(view[: len(_MAGIC)]) != _MAGIC:
            raise IntegrityError(object_id, "密文文件格式不符")
        if not hmac.compare_digest(bytes(view[-_TAG:]), key.tag):
            raise IntegrityError(object_id, "密文与密钥记录中的内容摘要不符")
        nonce = bytes(view[len(_MAGIC) : _HEADER])
        try:
            with view[_HEADER:] as body:
                return AESGCM(key.data_key).decrypt(nonce, body, _object_aad(object_id))
        except InvalidTag:
            pass
    raise IntegrityError(object_id, "密文认证失败")


def seal_key(object_id: str, kek_version: int, kek: bytes, key: SealedKey) -> KeyRecord:
    """Seal an object's secrets under a key-encryption key."""
    nonce = secrets.token_bytes(_NONCE)
    plain = key.data_key + key.tag + key.length.to_bytes(8, "big")
    sealed = AESGCM(kek).encrypt(nonce, plain, _wrap_aad(object_id, kek_version))
    return KeyRecord(kek_version, nonce, sealed)


def unseal_key(object_id: str, record: KeyRecord, kek: bytes) -> SealedKey:
    """Unseal an object's secrets; IntegrityError on a wrong key, id or version."""
    try:
        plain = AESGCM(kek).decrypt(
            record.nonce, record.sealed, _wrap_aad(object_id, record.kek_version)
        )
    except (InvalidTag, ValueError):
        raise IntegrityError(object_id, "密钥记录无法解封（密钥错误或记录被改动）") from None
    if len(plain) != 32 + _TAG + 8:
        raise IntegrityError(object_id, "密钥记录长度不符")
    return SealedKey(plain[:32], plain[32 : 32 + _TAG], int.from_bytes(plain[32 + _TAG :], "big"))
