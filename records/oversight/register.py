"""The register of commendations and sanctions (奖惩登记, policy S3): commendation for good
work; for violations that caused wrong information, teaching delays or parent complaints,
criticism, bonus deduction or reassignment by severity. Each entry is decided by management,
names its evidence (handover, notice and complaint numbers) and its reason (ciphertext). Never
edited or deleted: a correction is a new entry that cites the one it corrects."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from records.clock import utcnow
from records.db import Base, UTCDateTime
from records.departments import Department
from records.errors import NotFound, ValidationFailed
from records.oversight.complaint_model import COMPLAINT_PREFIX, ParentComplaint
from records.oversight.evidence import Checker, join, serial, serial_id, unjoin
from records.oversight.notice_model import NOTICE_PREFIX, RectificationNotice
from records.oversight.steps import deny
from records.staff import Staff
from vault import EncryptedText, Ledger

__all__ = ["ENTRY_PREFIX", "EntryKind", "Register", "RegisterEntry", "may_decide",
           "sees_register"]

ENTRY_PREFIX = "JC"


class EntryKind(StrEnum):
    COMMENDATION = "commendation"
    CRITICISM = "criticism"
    BONUS_DEDUCTION = "bonus_deduction"
    REASSIGNMENT = "reassignment"

    @property
    def label_zh(self) -> str:
        return {"commendation": "表彰", "criticism": "批评", "bonus_deduction": "扣发奖金",
                "reassignment": "调岗"}[self.value]


class RegisterEntry(Base):
    __tablename__ = "merit_register_entry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decider_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    """The person concerned, who sees the entry."""
    kind: Mapped[str] = mapped_column(String(20))
    handover_numbers: Mapped[str] = mapped_column(String(1000), default="")
    notice_numbers: Mapped[str] = mapped_column(String(500), default="")
    complaint_numbers: Mapped[str] = mapped_column(String(500), default="")
    reason: Mapped[str] = mapped_column(EncryptedText("register.reason"))
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("merit_register_entry.id"),
                                                    index=True)
    """The entry this one corrects (that one stays as it was)."""

    decider: Mapped[Staff] = relationship(foreign_keys=[decider_id], lazy="joined")
    staff: Mapped[Staff] = relationship(foreign_keys=[staff_id], lazy="joined")
    corrects: Mapped[RegisterEntry | None] = relationship(remote_side=[id])

    @property
    def number(self) -> str:
        return serial(ENTRY_PREFIX, self.decided_at, self.id)

    @property
    def kind_zh(self) -> str:
        return EntryKind(self.kind).label_zh

    def evidence(self) -> list[str]:
        return unjoin(self.handover_numbers) + unjoin(self.notice_numbers) \
            + unjoin(self.complaint_numbers)


def may_decide(staff: Staff) -> bool:
    """Commendations and sanctions are management's decision."""
    return staff.active and staff.belongs_to(Department.MGT)  # policy S3


def sees_register(staff: Staff) -> bool:
    """Management and the supervision group see every entry; others their own."""
    return staff.active and (staff.belongs_to(Department.MGT)
                             or staff.belongs_to(Department.SUP))


class Register:
    def __init__(self, session: Session, *, audit: Ledger,
                 clock: Callable[[], datetime] = utcnow):
        self.session, self.audit, self.clock = session, audit, clock

    def decide(self, actor: Staff, *, person: str, kind: str, reason: str,
               handovers: str = "", notices: str = "", complaints: str = "",
               corrects: str = "") -> RegisterEntry:
        if not may_decide(actor):
            deny(self.audit, actor, "register.decide", None, "奖惩由管理层决定并登记。")
        check = Checker(self.session)
        people = check.staff("person", person, required=True)
        if len(people) > 1:
            check.problem("person", "每条奖惩登记只涉及一人。")
        try:
            kind = EntryKind(kind)
        except ValueError:
            check.problem("kind", "请选择奖惩类别。")
        text = check.text("reason", reason, "理由")
        cited = {
            "handovers": check.handovers("handovers", handovers),
            "notices": check.numbers("notices", notices, RectificationNotice, NOTICE_PREFIX,
                                     "整改通知"),
            "complaints": check.numbers("complaints", complaints, ParentComplaint,
                                        COMPLAINT_PREFIX, "家长投诉"),
        }
        old = None
        if corrects.strip():
            old_id = serial_id(ENTRY_PREFIX, corrects)
            old = self.session.get(RegisterEntry, old_id) if old_id else None
            if old is None:
                check.problem("corrects", "要更正的登记编号不存在。")
            elif people and old.staff_id != people[0].id:
                check.problem("corrects", "更正的登记须是同一人的。")
        if check.problems:
            raise ValidationFailed(check.problems)
        entry = RegisterEntry(
            decided_at=self.clock(), decider_id=actor.id, staff_id=people[0].id, kind=kind,
            handover_numbers=join(cited["handovers"]), notice_numbers=join(cited["notices"]),
            complaint_numbers=join(cited["complaints"]), reason=text,
            corrects_id=old.id if old else None)
        self.session.add(entry)
        self.session.flush()
        self.audit.append(actor=actor.login, action="register.decide",
                          subject=f"register:{entry.number}",
                          context={"staff": entry.staff_id, "kind": entry.kind,
                                   "corrects": old.number if old else None, **cited})
        return entry

    def get(self, actor: Staff, number: str) -> RegisterEntry:
        row_id = serial_id(ENTRY_PREFIX, number)
        entry = self.session.get(RegisterEntry, row_id) if row_id else None
        if entry is None or entry.number != number.strip().upper() or not (
                sees_register(actor) or entry.staff_id == actor.id):
            raise NotFound("奖惩登记", number if row_id else "")
        return entry

    def all(self, actor: Staff) -> list[RegisterEntry]:
        if not sees_register(actor):
            return []
        return list(self.session.scalars(select(RegisterEntry)
                                         .order_by(RegisterEntry.id.desc()).limit(200)))

    def of(self, staff: Staff) -> list[RegisterEntry]:
        """The person's own entries (policy S3: they see what was decided about them)."""
        return list(self.session.scalars(select(RegisterEntry).where(
            RegisterEntry.staff_id == staff.id).order_by(RegisterEntry.id.desc())))

    def corrected_ids(self, entries: list[RegisterEntry]) -> dict[int, str]:
        """id of each entry among `entries` that a later one corrects -> that one's number."""
        later = self.session.scalars(select(RegisterEntry).where(
            RegisterEntry.corrects_id.in_([e.id for e in entries] or [-1])))
        return {e.corrects_id: e.number for e in later}
