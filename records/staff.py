"""Staff accounts: who works here, in which departments, and whether they may sign in."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import ClassVar

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from records.db import Base, UTCDateTime
from records.departments import Department

__all__ = ["LoginThrottle", "Role", "Staff", "StaffDepartment"]


class Role(StrEnum):
    """A staff member's role in one of their departments (policy C1): the head and the deputies
    handle the department's work and read the content of every handover it receives; a member
    reads what they send, receive or countersign (records.visibility)."""

    MEMBER = "member"
    DEPUTY = "deputy"
    HEAD = "head"

    @property
    def label_zh(self) -> str:
        return {"member": "成员", "deputy": "副负责人", "head": "负责人"}[self.value]

    @property
    def handles(self) -> bool:
        return self is not Role.MEMBER

    @classmethod
    def parse(cls, text: str) -> Role:
        try:
            return cls(text.strip().lower())
        except ValueError:
            raise ValueError(f"未知角色：{text}（可用：member 成员、deputy 副负责人、"
                             "head 负责人）") from None


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
    # Not stored either: the students of the classes this person teaches or taught within the
    # school's period, attached by records.teaching.attach_teaching for the request at hand;
    # none attached means none (fail closed, policy C1).
    taught_student_ids: ClassVar[frozenset[int]] = frozenset()

    @property
    def department_codes(self) -> list[Department]:
        return sorted(Department(d.department) for d in self.departments)

    @property
    def headed(self) -> list[Department]:
        return sorted(Department(d.department) for d in self.departments if d.is_head)

    @property
    def handled(self) -> list[Department]:
        """The departments whose work this person handles: head or deputy (policy C1)."""
        return sorted(Department(d.department) for d in self.departments
                      if Role(d.role).handles)

    def role_in(self, department: Department) -> Role | None:
        return next((Role(d.role) for d in self.departments if d.department == department),
                    None)

    def belongs_to(self, department: Department) -> bool:
        return any(d.department == department for d in self.departments)

    def describe_zh(self) -> str:
        depts = "、".join(d.label_zh for d in self.department_codes) or "无部门"
        return f"{self.display_name}（{depts}）"


class StaffDepartment(Base):
    """Membership of a staff member in a department, with their role in it (`Role`): the
    department head also sits in the supervision group (policy S1); head and deputies handle
    the department's work (policy C1)."""

    __tablename__ = "staff_department"
    __table_args__ = (UniqueConstraint("staff_id", "department"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    department: Mapped[str] = mapped_column(String(8))
    role: Mapped[str] = mapped_column(String(8), default=Role.MEMBER.value)

    staff: Mapped[Staff] = relationship(back_populates="departments")

    @property
    def is_head(self) -> bool:
        return self.role == Role.HEAD


class LoginThrottle(Base):
    """Failed sign-in bookkeeping per login name, known or not, so that guessing is slowed the
    same way for unknown names (no account enumeration)."""

    __tablename__ = "login_throttle"

    login: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    next_allowed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
