"""Encryption of private database fields and keyed blind indexes (policy C2).

A field token is ``f<version>.<base64url(nonce | AES-256-GCM ciphertext)>``: the "field" key
version in clear, a random 96-bit nonce, and the context (e.g. "student.name") bound as
associated data, so a token moved to another column does not decrypt. A blind index is
``b<version>.<hex HMAC-SHA256>`` under the "blind" key, separated by kind, for exact lookups
without storing the value; callers normalise values first (`normalize_phone`, ...).

Random nonces are safe for far more than a school's number of field writes per key version
(the bound is about 2^32 encryptions per version); rotate the "field" key yearly anyway.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import unicodedata

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .categories import PrivateCategory
from .errors import FieldDecryptError, KeyVersionMissing, KeyVersionRetired
from .keyring import Keyring
from .sqltypes import EncryptedText, attach_field_cipher

__all__ = [
    "FieldCipher",
    "EncryptedText",
    "attach_field_cipher",
    "PrivateCategory",
    "normalize_phone",
    "normalize_id_number",
]

_NONCE = 12


def _aad(version: int, context: str) -> bytes:
    return b"hav-field\x00%d\x00%s" % (version, context.encode())


def _b64e(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64d(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class FieldCipher:
    """Encrypts private text fields under the keyring's "field" key; blind indexes too."""

    def __init__(self, keyring: Keyring) -> None:
        """Keys are read from `keyring` on use, so a rotation takes effect at once."""
        self.keyring = keyring

    def encrypt(self, text: str, *, context: str) -> str:
        """A fresh token for `text` under the current "field" key, bound to `context`."""
        version, key = self.keyring.current("field")
        nonce = secrets.token_bytes(_NONCE)
        sealed = AESGCM(key).encrypt(nonce, text.encode(), _aad(version, context))
        return f"f{version}.{_b64e(nonce + sealed)}"

    def decrypt(self, token: str, *, context: str) -> str:
        """The text of `token`; FieldDecryptError on a wrong context, key or altered token."""
        version, raw = self._parse(token, context)
        try:
            key = self.keyring.get("field", version)
        except (KeyVersionMissing, KeyVersionRetired) as exc:
            raise FieldDecryptError(context, version, "密钥不可用") from exc
        try:
            plain = AESGCM(key).decrypt(raw[:_NONCE], raw[_NONCE:], _aad(version, context))
        except (InvalidTag, ValueError):
            raise FieldDecryptError(context, version, "认证失败（上下文或密钥不符）") from None
        return plain.decode()

    def needs_rewrap(self, token: str) -> bool:
        """Whether `token` was made under an older "field" key version than the current one."""
        version, _ = self._parse(token, "")
        return version != self.keyring.current("field")[0]

    def rewrap(self, token: str, context: str) -> str:
        """`token` re-encrypted under the current "field" key (unchanged if already current)."""
        if not self.needs_rewrap(token):
            return token
        return self.encrypt(self.decrypt(token, context=context), context=context)

    def blind_index(self, value: str, *, kind: str) -> str:
        """Keyed index of an already normalised `value` under the current "blind" key."""
        version, key = self.keyring.current("blind")
        return _blind(version, key, value, kind)

    def blind_indexes(self, value: str, *, kind: str) -> list[str]:
        """Indexes of `value` under every active "blind" version, newest first (for lookups
        while rows indexed under an older version still exist)."""
        retired = self.keyring.retired("blind")
        versions = [v for v in self.keyring.versions("blind") if v not in retired]
        return [_blind(v, self.keyring.get("blind", v), value, kind) for v in reversed(versions)]

    @staticmethod
    def _parse(token: str, context: str) -> tuple[int, bytes]:
        head, dot, body = token.partition(".")
        try:
            if not (dot and head.startswith("f") and head[1:].isdigit()):
                raise ValueError("shape")
            raw = _b64d(body)
            if len(raw) < _NONCE + 16:
                raise ValueError("short")
        except ValueError:
            raise FieldDecryptError(context, None, "密文格式不符") from None
        return int(head[1:]), raw


def _blind(version: int, key: bytes, value: str, kind: str) -> str:
    if "\x00" in kind:
        raise ValueError("kind must not contain NUL")
    message = b"hav-blind\x00%s\x00%s" % (kind.encode(), value.encode())
    return f"b{version}.{hmac.new(key, message, hashlib.sha256).hexdigest()}"


_PHONE_NOISE = re.compile(r"[\s\-().·]")


def normalize_phone(value: str) -> str:
    """A phone number in one form: ASCII digits, no separators, no +86 / 0086 prefix.

    Other international numbers keep a leading "+". ValueError if it is not a phone number.
    """
    text = _PHONE_NOISE.sub("", unicodedata.normalize("NFKC", value))
    plus = text.startswith("+")
    digits = text[1:] if plus else text
    if not digits.isdigit() or not digits.isascii():
        raise ValueError("not a phone number")
    if digits.startswith("0086"):
        digits, plus = digits[4:], False
    elif plus and digits.startswith("86"):
        digits, plus = digits[2:], False
    return ("+" if plus else "") + digits


def normalize_id_number(value: str) -> str:
    """A resident ID number in one form: ASCII, no spaces, check letter X upper-case."""
    return re.sub(r"\s", "", unicodedata.normalize("NFKC", value)).upper()
