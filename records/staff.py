"""Staff accounts: who works here, in which departments, and whether they may sign in."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from records.db import Base, UTCDateTime
from records.departments import Department

__all__ = ["Staff", "StaffDepartment", "LoginThrottle"]


class Staff(Base):
    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    login: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime())

    departments: Mapped[list[StaffDepartment]] = relationship(
        back_populates="staff", cascade="all, delete-orphan", lazy="selectin"
    )
    # Not stored: the approvals (policy C3) in force for the request at hand, attached by
    # records.approvals.Approvals.attach_grants; records.visibility reads them. None attached
    # means none in force (fail closed).
    approval_grants: ClassVar[tuple] = ()

    @property
    def department_codes(self) -> list[Department]:
        return sorted(Department(d.department) for d in self.departments)

    @property
    def headed(self) -> list[Department]:
        return sorted(Department(d.department) for d in self.departments if d.is_head)

    def belongs_to(self, department: Department) -> bool:
        return any(d.department == department for d in self.departments)

    def describe_zh(self) -> str:
        depts = "、".join(d.label_zh for d in self.department_codes) or "无部门"
        return f"{self.display_name}（{depts}）"


class StaffDepartment(Base):
    """Membership of a staff member in a department; `is_head` marks the department head, who
    also sits in the supervision group (policy S1)."""

    __tablename__ = "staff_department"
    __table_args__ = (UniqueConstraint("staff_id", "department"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    department: Mapped[str] = mapped_column(String(8))
    is_head: Mapped[bool] = mapped_column(Boolean, default=False)

    staff: Mapped[Staff] = relationship(back_populates="departments")


class LoginThrottle(Base):
    """Failed sign-in bookkeeping per login name, known or not, so that guessing is slowed the
    same way for unknown names (no account enumeration)."""

    __tablename__ = "login_throttle"

    login: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    next_allowed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
