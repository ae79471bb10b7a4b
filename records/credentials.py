"""Staff signing credentials: a school certificate and an ECDSA key sealed under the staff
member's own password, so that the server alone cannot sign in anyone's name (DESIGN.md).

A password change re-seals the key; an administrator's reset cannot open the old key (it does
not know the old password), so it issues a new key and certificate and revokes the old one in
the school CRL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, ForeignKey, Integer, LargeBinary, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from records.clock import utcnow
from records.db import Base, UTCDateTime
from records.errors import Conflict
from records.staff import Staff

if TYPE_CHECKING:  # signing (pyHanko, WeasyPrint) is imported where a credential is used
    from signing import SchoolPKI, StaffCredential

__all__ = ["CredentialRecord", "Credentials"]


class CredentialRecord(Base):
    __tablename__ = "staff_credential"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    serial: Mapped[str] = mapped_column(String(64), unique=True)  # 160-bit: text, not BIGINT
    cert_pem: Mapped[bytes] = mapped_column(LargeBinary)
    sealed_key: Mapped[bytes] = mapped_column(LargeBinary)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def credential(self) -> StaffCredential:
        from signing import StaffCredential

        return StaffCredential(self.cert_pem, self.sealed_key, int(self.serial))


class Credentials:
    def __init__(self, session: Session, pki: SchoolPKI | Callable[[], SchoolPKI], *,
                 clock=utcnow):
        """`pki`: the school CA, or a function that opens it when a credential is first
        issued, resealed or revoked (opening it loads the signing stack, which looking up a
        credential does not need)."""
        self.session, self.clock = session, clock
        self._pki = pki

    @property
    def pki(self) -> SchoolPKI:
        if callable(self._pki):
            self._pki = self._pki()
        return self._pki

    def current(self, staff: Staff) -> CredentialRecord | None:
        return self.session.scalar(select(CredentialRecord).where(
            CredentialRecord.staff_id == staff.id, CredentialRecord.active.is_(True)))

    def require(self, staff: Staff) -> StaffCredential:
        record = self.current(staff)
        if record is None:
            raise Conflict("您还没有签名证书：请修改一次密码，或请管理员重置密码以签发证书。")
        return record.credential()

    def issue(self, staff: Staff, password: str) -> CredentialRecord:
        """A new key and certificate for `staff`; any older one is revoked."""
        old = self.current(staff)
        if old is not None:
            self.revoke(old, "superseded")
        dept = "、".join(d.label_zh for d in staff.department_codes) or "系统管理"
        cred = self.pki.issue_staff(staff.display_name, dept, password)
        record = CredentialRecord(staff_id=staff.id, serial=str(cred.serial),
                                  cert_pem=cred.cert_pem, sealed_key=cred.sealed_key,
                                  active=True, created_at=self.clock())
        self.session.add(record)
        self.session.flush()
        return record

    def reseal(self, staff: Staff, old_password: str, new_password: str) -> None:
        """Password change: the same key, sealed under the new password."""
        record = self.current(staff)
        if record is None:
            self.issue(staff, new_password)
            return
        record.sealed_key = self.pki.change_password(record.sealed_key, old_password,
                                                     new_password)

    def revoke(self, record: CredentialRecord, reason: str) -> None:
        self.pki.revoke(int(record.serial), reason)
        record.active, record.revoked_at = False, self.clock()
