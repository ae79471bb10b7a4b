"""What a sender hands in, checked before anything is kept: field values against the catalogue
(students resolved from the registry), the method (policy M1-M3) and its meeting record, the
named receiver, the previous step of a chain, and attachments (type recognised by content, each
stored encrypted in the vault)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from records.catalogue import (
    METHOD_DOCUMENTS,
    PAPER_SCAN,
    FieldType,
    HandoverKind,
    Method,
    get_kind,
)
from records.errors import FieldProblem, ValidationFailed
from records.handovers import Attachment, Handover, HandoverVersion
from records.staff import Staff
from records.students import Student
from records.unit_of_work import discard_on_rollback
from records.validation import validate_values
from vault import Vault

__all__ = ["ALLOWED_UPLOADS", "Intake", "Upload", "dumps", "is_missing", "meeting_json",
           "meeting_problems"]

# File types accepted as attachments, recognised by their first bytes, not their names.
ALLOWED_UPLOADS = {
    b"%PDF-": "application/pdf",
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
}


@dataclass(frozen=True)
class Upload:
    code: str
    """The attachment slot (catalogue AttachmentSpec.code), or "other"."""
    filename: str
    """As the user named it (private: stored encrypted)."""
    data: bytes
    """The file's bytes."""


NOT_STORED_YET = ""
"""object_id of an attachment between `Intake.attach` and `Intake.store` (one transaction)."""


def _sniff(data: bytes) -> str | None:
    return next((t for magic, t in ALLOWED_UPLOADS.items() if data.startswith(magic)), None)


class Intake:
    """Checks of a sender's input, bound to a database session and the vault."""

    def __init__(self, session: Session, vault: Vault):
        self.session, self.vault = session, vault

    def method(self, kind: HandoverKind, method: str | None,
               meeting: Mapping[str, Any] | None) -> str:
        """The handover's method: the kind's own, or M3 for an important matter; a meeting
        record belongs only to a face-to-face handover (policy M3)."""
        method = method or kind.method.value
        if method not in (kind.method.value, Method.FACE_TO_FACE.value):
            raise ValidationFailed([FieldProblem(
                "method", f"交接方式只能是{kind.method.value}或 M3（面对面沟通交接）。")])
        if meeting is not None and method != Method.FACE_TO_FACE.value:
            raise ValidationFailed([FieldProblem(
                "method", "只有面对面沟通交接（M3）需要填写沟通记录。")])
        return method

    def missing_attachments(self, kind: HandoverKind, v: HandoverVersion, *,
                            paper: bool) -> list:
        """Required attachments not uploaded; the scan of the paper checklist only when the
        handover is on paper (policy M1): face to face, the meeting record replaces it (M3)."""
        have = {a.code for a in v.attachments}
        return [FieldProblem(f"attachment:{a.code}", f"缺少必需的附件「{a.label_zh}」。")
                for a in kind.attachments if a.required and a.code not in have
                and (paper or a.code != PAPER_SCAN.code)]

    def resolve(self, kind: HandoverKind, values: Mapping[str, Any], *, draft: bool):
        """Student fields arrive as registry ids and are printed as {number, name}; returns the
        values to store and the ids to link. Drafts may still miss required fields."""
        resolved, ids = dict(values), []
        for spec in kind.fields:
            raw = values.get(spec.name)
            if spec.type is FieldType.STUDENT and raw not in (None, ""):
                resolved[spec.name], sid = self.student_ref(raw, spec.name)
                ids.append(sid)
            elif spec.type is FieldType.STUDENTS and raw:
                refs = [self.student_ref(r, spec.name) for r in raw]
                resolved[spec.name] = [r for r, _ in refs]
                ids += [sid for _, sid in refs]
        problems = validate_values(kind, resolved)
        if draft:
            problems = [p for p in problems if not is_missing(resolved, p)]
        if problems:
            raise ValidationFailed(problems)
        return resolved, ids

    def student_ref(self, raw: Any, field: str) -> tuple[dict, int]:
        if isinstance(raw, Mapping) and "id" in raw:
            raw = raw["id"]
        try:
            student = self.session.get(Student, int(raw))
        except (TypeError, ValueError):
            student = None
        if student is None:
            raise ValidationFailed([FieldProblem(field, "请从学生名册中选择学生。")])
        return {"number": student.student_no, "name": student.name}, student.id

    def parent(self, actor: Staff, kind: HandoverKind, number: str | None) -> Handover | None:
        """The previous step of a chain (F6 → F6b, F10 → F11 → F12 → F13). Its sender need not
        be visible to `actor` (teaching answers F11 without seeing the refund application),
        so nothing of it is revealed: one message for "no such number" and "wrong chain"."""
        if number is None:
            return None
        parent = self.session.scalar(select(Handover).where(Handover.number == number))
        if parent is None or kind.code not in get_kind(parent.kind).next_kinds:
            raise ValidationFailed([FieldProblem(
                "parent", f"上一环节的交接单编号无效，或按制度流程不能接续为 {kind.code}。")])
        return parent

    def check_receiver(self, kind: HandoverKind, receiver_id: int) -> None:
        receiver = self.session.get(Staff, receiver_id)
        if receiver is None or not receiver.active or not receiver.belongs_to(kind.receiver):
            raise ValidationFailed([FieldProblem(
                "receiver", f"接收人必须是{kind.receiver.label_zh}的在职工作人员。")])

    def store_uploads(self, actor: Staff, handover: Handover, version: HandoverVersion,
                      uploads: Iterable[Upload]) -> None:
        """Check and store the uploads of a step that signs nothing (a draft)."""
        self.store(actor, handover, self.attach(handover, version, uploads))

    def attach(self, handover: Handover, version: HandoverVersion,
               uploads: Iterable[Upload]) -> list[tuple[Attachment, bytes]]:
        """Check every upload and add its attachment to `version`, its file not yet stored:
        `store` writes the files once nothing else can fail (a refused file, a wrong
        password), so that a failed request leaves no object in the vault that no record
        refers to."""
        kind = get_kind(handover.kind)
        slots = {a.code for a in kind.attachments} | {"other"}
        pending = []
        for up in uploads:
            if up.code not in slots:
                raise ValidationFailed([FieldProblem("attachment", "未知的附件类型。")])
            content_type = _sniff(up.data)
            if content_type is None:
                raise ValidationFailed([FieldProblem(
                    f"attachment:{up.code}", "附件只能是 PDF、PNG 或 JPEG 文件。")])
            attachment = Attachment(
                code=up.code, filename=up.filename[:200] or "附件",
                content_type=content_type, size=len(up.data),
                sha256=hashlib.sha256(up.data).hexdigest(), object_id=NOT_STORED_YET)
            version.attachments.append(attachment)
            pending.append((attachment, up.data))
        return pending

    def store(self, actor: Staff, handover: Handover,
              pending: Iterable[tuple[Attachment, bytes]]) -> None:
        """Write the files of `attach` to the vault (each a recorded write)."""
        for attachment, data in pending:
            attachment.object_id = self.vault.put(data, actor=actor.login, reason="上传附件",
                                                  context={"handover": handover.number})
            discard_on_rollback(self.session, self.vault, attachment.object_id)
        self.session.flush()


def is_missing(values: Mapping[str, Any], problem: FieldProblem) -> bool:
    value = values.get(problem.field)
    return value is None or value == "" or value == []


def dumps(values: Mapping[str, Any]) -> str:
    return json.dumps(values, ensure_ascii=False, sort_keys=True, default=str)


def meeting_problems(meeting: Mapping[str, Any], *, draft: bool = False) -> list[FieldProblem]:
    """Problems of a meeting record (policy M3), named "meeting.<field>" so that they never
    collide with the form's own fields; a draft may still miss fields, like the form's own."""
    return [FieldProblem(f"meeting.{p.field}", p.message_zh)
            for p in validate_values(METHOD_DOCUMENTS["M3"], meeting)
            if not (draft and is_missing(meeting, p))]


def meeting_json(meeting: Mapping[str, Any] | None, *, draft: bool) -> str | None:
    """The meeting record as stored (ciphertext in the column, policy C2)."""
    if meeting is None:
        return None
    problems = meeting_problems(meeting, draft=draft)
    if problems:
        raise ValidationFailed(problems)
    return dumps(meeting)
