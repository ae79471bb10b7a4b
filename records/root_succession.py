"""A new school root (`handover pki reissue-root`): for a school whose root carries a wrong name,
or whose certificates name an address where no CRL is published.

The old root stays a trusted predecessor (signing.pki), so every stored form keeps verifying.
Staff signing keys are sealed under their owners' passwords (DESIGN.md; policy G3: only that
person can sign), but a certificate only needs the public key: every active staff credential is
re-certified at once under the new root, same key, same sealed blob, so nobody has to do
anything and the first signature after the change already chains to the new root.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from records.credentials import CredentialRecord
from records.errors import Conflict
from vault import Ledger

if TYPE_CHECKING:
    from signing import SchoolPKI

__all__ = ["RootChange", "recertify_staff", "reissue_root"]


@dataclass(frozen=True)
class RootChange:
    old_root: str
    """SHA-256 fingerprint (hex) of the root that became a predecessor ("" when none did)."""
    new_root: str
    """SHA-256 fingerprint (hex) of the current root."""
    recertified: int
    """Active staff credentials moved to the current root."""


def reissue_root(session: Session, pki: SchoolPKI, school_name: str, *, audit: Ledger,
                 actor: str) -> RootChange:
    """Make a new root for `school_name`, move every staff credential to it, record it in the
    ledger. The caller commits; if it fails, `recertify_staff` finishes the move."""
    old = _fingerprint(pki.ca_cert)
    pki.reissue_root(school_name)
    change = recertify_staff(session, pki, audit=audit, actor=actor)
    audit.append(actor=actor, action="pki.reissue_root", context={
        "old_root": old, "new_root": change.new_root, "recertified": change.recertified})
    return RootChange(old, change.new_root, change.recertified)


def recertify_staff(session: Session, pki: SchoolPKI, *, audit: Ledger,
                    actor: str) -> RootChange:
    """Re-certify under the current root every active credential issued by a predecessor
    (idempotent: a finished move changes nothing)."""
    moved = 0
    for record in session.scalars(select(CredentialRecord).where(
            CredentialRecord.active.is_(True)).order_by(CredentialRecord.id)):
        old = record.credential()
        if pki.is_current(old.certificate):
            continue
        pem = pki.recertify(old.cert_pem)
        serial = str(x509.load_pem_x509_certificate(pem).serial_number)
        changed = session.execute(  # compare-and-set: the row still holds the old certificate
            update(CredentialRecord)
            .where(CredentialRecord.id == record.id, CredentialRecord.serial == record.serial)
            .values(serial=serial, cert_pem=pem).execution_options(synchronize_session=False))
        if changed.rowcount != 1:
            raise Conflict("签名证书在迁移时被修改，请重新运行 handover pki recertify。")
        audit.append(actor=actor, action="pki.recertify", subject=str(record.staff_id),
                     context={"old_serial": record.serial, "new_serial": serial})
        moved += 1
    session.expire_all()
    return RootChange("", _fingerprint(pki.ca_cert), moved)


def _fingerprint(cert: x509.Certificate) -> str:
    return cert.fingerprint(hashes.SHA256()).hex()
