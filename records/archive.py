"""The archive office's register (档案登记) and its consult/borrow register (查阅、借阅登记), as
stored (policy R-ARC, F8).

An ArchiveFile is one registered file: made when the archive office countersigns an F8
handover, or entered by hand for an older paper archive. A file is never deleted; a change of
its location, security level or retention is an ArchiveChange row. An ArchiveLoan is one line of
the consult/borrow register (a loan, an on-site consult or a digital consult).

What may name a student (policy C2) is ciphertext only: a file's title and material list, a
change's reason, a loan's purpose note, copy note and remarks. The students of a file are
registry ids (ArchiveFileStudent), their names stay in the student registry."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from records.db import Base, UTCDateTime
from records.staff import Staff
from vault import EncryptedText

__all__ = ["ArchiveChange", "ArchiveFile", "ArchiveFileStudent", "ArchiveLoan", "LoanKind",
           "PURPOSES", "RETURN_CONDITIONS", "Retention", "Security"]


class Retention(StrEnum):
    """Retention periods of the usual scheme (DOMAIN-RULES, R-ARC 3 reading)."""

    PERMANENT = "permanent"
    YEARS_30 = "30y"
    YEARS_10 = "10y"

    @property
    def label_zh(self) -> str:
        return {"permanent": "永久", "30y": "30 年", "10y": "10 年"}[self.value]

    @property
    def years(self) -> int | None:
        return {"permanent": None, "30y": 30, "10y": 10}[self.value]


class Security(StrEnum):
    NORMAL = "normal"
    CONFIDENTIAL = "confidential"  # consulted on site only, never lent (policy R-ARC)
    PRECIOUS = "precious"  # likewise

    @property
    def label_zh(self) -> str:
        return {"normal": "普通", "confidential": "机密", "precious": "珍贵"}[self.value]


class LoanKind(StrEnum):
    BORROW = "borrow"  # the paper file leaves the archive office until returned
    ON_SITE = "on_site"  # read in the archive office, handed back the same day
    DIGITAL = "digital"  # a watermarked copy of the signed F8 form

    @property
    def label_zh(self) -> str:
        return {"borrow": "借阅", "on_site": "现场查阅", "digital": "电子查阅"}[self.value]


# A purpose is chosen from a list: it is printed on watermarks and written to the ledger, where
# free text could carry a student's name (policy C2). Details go in the encrypted note.
PURPOSES = ("教学检查", "家长查询", "学籍核对", "退费核实", "审计检查", "其他工作需要")
RETURN_CONDITIONS = ("完好", "有破损", "缺页", "其他（见备注）")


class ArchiveFile(Base):
    __tablename__ = "archive_file"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)  # DA-2026-0001
    # The F8 handover it came from; None for a paper file registered by hand.
    handover_id: Mapped[int | None] = mapped_column(ForeignKey("handover.id"), unique=True)
    title: Mapped[str] = mapped_column(EncryptedText("archive.title"))
    # JSON list of {category, title, pages, notes}, as on the F8 form's material list.
    materials_json: Mapped[str] = mapped_column(EncryptedText("archive.materials"))
    filed_on: Mapped[date] = mapped_column(Date)  # retention is counted from this day
    retention: Mapped[str] = mapped_column(String(16))
    review_on: Mapped[date | None] = mapped_column(Date, index=True)  # None: permanent
    security: Mapped[str] = mapped_column(String(16))
    location: Mapped[str] = mapped_column(String(100))  # shelf location, not private
    registered_by: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime())

    registrar: Mapped[Staff] = relationship(lazy="joined")
    students: Mapped[list[ArchiveFileStudent]] = relationship(lazy="selectin")
    changes: Mapped[list[ArchiveChange]] = relationship(order_by="ArchiveChange.id",
                                                        lazy="selectin")

    @property
    def student_ids(self) -> list[int]:
        return [s.student_id for s in self.students]

    @property
    def lendable(self) -> bool:
        """policy R-ARC: confidential and precious files are consulted on site only."""
        return self.security == Security.NORMAL


class ArchiveFileStudent(Base):
    __tablename__ = "archive_file_student"
    __table_args__ = (UniqueConstraint("file_id", "student_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("archive_file.id"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id"), index=True)


class ArchiveChange(Base):
    """One correction of a file's location, security level or retention; values are codes or
    shelf marks (not private), the reason is ciphertext."""

    __tablename__ = "archive_change"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("archive_file.id"), index=True)
    field: Mapped[str] = mapped_column(String(16))
    old_value: Mapped[str] = mapped_column(String(100))
    new_value: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(EncryptedText("archive.change_reason"))
    actor_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())

    actor: Mapped[Staff] = relationship(lazy="joined")


class ArchiveLoan(Base):
    """One line of the consult/borrow register (DOMAIN-RULES "Archive consult and borrow
    register"): borrower, department, file, purpose, approver, date out, due date, date
    returned, condition on return, remarks; the borrower's signature is `slip_object_id` (the
    signed loan slip in the vault) and `confirmed_at`."""

    __tablename__ = "archive_loan"
    # A paper file is out on one loan at a time, also when two desks lend it at once: the
    # database refuses a second open borrowing of the same file (policy R-ARC).
    __table_args__ = (Index("uq_archive_loan_open_borrow", "file_id", unique=True,
                            sqlite_where=text("returned_at IS NULL AND kind = 'borrow'"),
                            postgresql_where=text("returned_at IS NULL AND kind = 'borrow'")),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Compare-and-set (DESIGN "One request, one transaction"): every UPDATE of the row says
    # which version it changes; of two people acting on the same row at once, the second
    # finds it changed (StaleDataError → 409), and nothing of theirs is stored.
    row_version: Mapped[int] = mapped_column(Integer, server_default="1")
    __mapper_args__ = {"version_id_col": row_version}

    number: Mapped[str] = mapped_column(String(20), unique=True)  # JY-2026-0001
    file_id: Mapped[int] = mapped_column(ForeignKey("archive_file.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    borrower_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    borrower_dept: Mapped[str] = mapped_column(String(8))
    purpose: Mapped[str] = mapped_column(String(16))  # one of PURPOSES
    purpose_note: Mapped[str | None] = mapped_column(EncryptedText("archive.loan_purpose"))
    approver_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    copy_allowed: Mapped[bool] = mapped_column(Boolean, default=False)
    copy_note: Mapped[str | None] = mapped_column(EncryptedText("archive.loan_copy"))
    out_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_on: Mapped[date] = mapped_column(Date, index=True)
    renewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    return_condition: Mapped[str | None] = mapped_column(String(16))
    remarks: Mapped[str | None] = mapped_column(EncryptedText("archive.loan_remarks"))
    confirmed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    slip_object_id: Mapped[str | None] = mapped_column(String(64))
    registered_by: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    received_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))

    file: Mapped[ArchiveFile] = relationship(lazy="joined")
    borrower: Mapped[Staff] = relationship(foreign_keys=[borrower_id], lazy="joined")
    approver: Mapped[Staff | None] = relationship(foreign_keys=[approver_id], lazy="joined")

    @property
    def is_open(self) -> bool:
        return self.returned_at is None

    def overdue_on(self, today: date) -> bool:
        """Still out after its due day (the due day itself is not overdue)."""
        return self.returned_at is None and today > self.due_on
