"""Rotation of the keys of private database fields and of blind indexes (policy C2): a new key
version, every encrypted column re-encrypted under it, every blind index recomputed, and then
the old versions retired. Vault objects have their own rotation (vault.Vault.rotate)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from records.db import Base
from records.students import Student
from vault import EncryptedText, FieldCipher, Keyring, normalize_id_number, normalize_phone

__all__ = ["RekeyReport", "retire_old", "rotate_field_keys"]


@dataclass(frozen=True)
class RekeyReport:
    field_version: int
    """The field-key version now in use."""
    blind_version: int
    """The blind-index key version now in use."""
    values: int
    """Encrypted values re-encrypted."""
    retired: tuple[str, ...]
    """Key versions retired, e.g. "field v1"."""


def _encrypted_columns() -> dict[type, list[str]]:
    found: dict[type, list[str]] = {}
    for mapper in Base.registry.mappers:
        names = [c.key for c in mapper.column_attrs
                 if isinstance(c.columns[0].type, EncryptedText)]
        if names:
            found[mapper.class_] = names
    return found


def _blind(cipher: FieldCipher, value: str | None, kind: str, normalise) -> str | None:
    return cipher.blind_index(normalise(value), kind=kind) if value else None


def rotate_field_keys(session: Session, keyring: Keyring, cipher: FieldCipher) -> RekeyReport:
    """Re-encrypt and re-index everything under new key versions, in one transaction; the old
    versions are retired only after the caller's commit succeeded (see `retire_old`)."""
    old = {p: keyring.current(p)[0] for p in ("field", "blind")}
    new_field, new_blind = keyring.add_version("field"), keyring.add_version("blind")
    count = 0
    for cls, names in _encrypted_columns().items():
        for row in session.scalars(select(cls)):
            for name in names:
                if getattr(row, name) is not None:  # read under the old key ...
                    flag_modified(row, name)  # ... written under the new one at flush
                    count += 1
    for s in session.scalars(select(Student)):
        s.phone_bidx = _blind(cipher, s.phone, "phone", normalize_phone)
        s.guardian_phone_bidx = _blind(cipher, s.guardian_phone, "phone", normalize_phone)
        s.id_number_bidx = _blind(cipher, s.id_number, "id_number", normalize_id_number)
        s.identity_bidx = cipher.blind_index(f"{s.name.strip()}|{s.birth_date or ''}",
                                             kind="identity")
    session.flush()
    return RekeyReport(new_field, new_blind, count,
                       (f"field v{old['field']}", f"blind v{old['blind']}"))


def retire_old(keyring: Keyring, report: RekeyReport) -> None:
    """After the commit: no value uses the old versions any more."""
    for item in report.retired:
        purpose, version = item.split(" v")
        keyring.retire(purpose, int(version))
