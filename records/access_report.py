"""Who saw a student's information: the answer a guardian may ask for (个人信息保护法; policy
C1-C3). Built from the ledger alone, so it is exactly as trustworthy as the ledger's chain."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from records.handovers import Attachment, Handover, HandoverStudent

__all__ = ["Access", "accesses_to_student"]

# Ledger actions that show a student's information to someone (reads, not writes).
VIEW_ACTIONS = {"student.view", "handover.view", "vault.get", "student.list", "export.roster"}
LIST_ACTIONS = {"student.list", "export.roster"}  # name their students by id in the context

@dataclass(frozen=True)
class Access:
    time: str
    """UTC time of the ledger entry."""
    actor: str
    """Login of the person (or "system")."""
    action: str
    """What they did, e.g. vault.get (a PDF or attachment read)."""
    subject: str
    """What was read: student:<id>, handover:<number> or a vault object id."""
    reason: str
    """The reason given."""
    seq: int
    """Ledger sequence number, to look the entry up."""
    approval: int | None = None
    """The approval (policy C3) the read was made under, when it was not the reader's own
    work."""

def _subjects(session: Session, student_id: int) -> set[str]:
    """Everything whose reading shows this student: the record, the handovers concerning the
    student, and their PDFs and attachments in the vault."""
    handovers = list(session.scalars(select(Handover).join(
        HandoverStudent, HandoverStudent.handover_id == Handover.id).where(
        HandoverStudent.student_id == student_id)))
    subjects = {f"student:{student_id}"} | {f"handover:{h.number}" for h in handovers}
    versions = [v for h in handovers for v in h.versions]
    subjects |= {o for v in versions for o in (v.signed_object_id, v.final_object_id,
                                               v.meeting_signed_object_id,
                                               v.meeting_final_object_id) if o}
    ids = [v.id for v in versions]
    if ids:
        subjects |= set(session.scalars(select(Attachment.object_id).where(
            Attachment.version_id.in_(ids))))
    return subjects

def accesses_to_student(session: Session, ledger, student_id: int) -> list[Access]:
    subjects = _subjects(session, student_id)
    return [
        Access(e.time, e.actor, e.action, e.subject or "", e.reason, e.seq,
               (e.context or {}).get("approval"))
        for e in ledger.entries()
        if e.action in VIEW_ACTIONS and e.outcome == "ok" and _concerns(e, subjects, student_id)
    ]

def _concerns(entry, subjects: set[str], student_id: int) -> bool:
    if entry.subject in subjects:
        return True
    # A list page names the students it showed by id in the entry's context.
    return entry.action in LIST_ACTIONS and student_id in (entry.context or {}).get("ids", ())
