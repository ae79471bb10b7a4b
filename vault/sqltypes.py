"""SQLAlchemy column type for private fields (policy C2): only ciphertext reaches the database.

The cipher is not global: `attach_field_cipher(engine, cipher)` stores it on the engine's
dialect, and every bind/result conversion reads it from there. Equality filters on such a
column never match (each encryption is randomised): look rows up by a blind index instead.
"""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.types import Text, TypeDecorator

from .errors import FieldCipherMissing

__all__ = ["EncryptedText", "attach_field_cipher"]

_ATTR = "_handover_vault_field_cipher"


class _Cipher(Protocol):
    def encrypt(self, text: str, *, context: str) -> str: ...

    def decrypt(self, token: str, *, context: str) -> str: ...


def attach_field_cipher(engine: Engine, cipher: _Cipher) -> None:
    """Make `cipher` encrypt and decrypt every EncryptedText column used through `engine`.

    Also turns on the engine's `hide_parameters`: SQLAlchemy otherwise prints bound values
    (plaintext, before encryption) in error messages and SQL echo logs.
    """
    setattr(engine.dialect, _ATTR, cipher)
    engine.hide_parameters = True  # policy C2: no private value in a log or error message


def _cipher(dialect: Dialect, context: str) -> _Cipher:
    cipher = getattr(dialect, _ATTR, None)
    if cipher is None:
        raise FieldCipherMissing(context)
    return cipher


class EncryptedText(TypeDecorator[str]):
    """A text column stored as a FieldCipher token bound to `context` (e.g. "student.name")."""

    impl = Text
    cache_ok = True

    def __init__(self, context: str, *args: Any, **kwargs: Any) -> None:
        """`context` is bound into each token: a token copied to another column fails."""
        super().__init__(*args, **kwargs)
        self.context = context

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        """Encrypt on the way in (None stays NULL)."""
        if value is None:
            return None
        return _cipher(dialect, self.context).encrypt(value, context=self.context)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        """Decrypt on the way out."""
        if value is None:
            return None
        return _cipher(dialect, self.context).decrypt(value, context=self.context)
