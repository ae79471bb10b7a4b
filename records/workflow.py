"""The handover lifecycle (policy F1-F13, M, T). policy G1: information passes accurately
between departments, so that teaching continues and the rights of school, students and parents
are kept; every step has a named person (policy G3).

    draft → submitted (signed by the sender) → completed (countersigned by the receiver)
                 ↘ returned (with a reason) → corrected new version, submitted again
    draft / submitted → withdrawn by the sender, with a reason (before receipt)

Every step writes an event and a ledger entry; versions, signed PDFs and decisions are never
overwritten or deleted. A schedule change (F3) is a corrected version with its reason."""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from records.catalogue import (
    PAPER_SCAN,
    HandoverKind,
    Method,
    get_kind,
)
from records.clock import utcnow
from records.counters import next_in_series
from records.credentials import Credentials
from records.deadlines import WorkingCalendar
from records.errors import Conflict, FieldProblem, NotFound, PermissionDenied, ValidationFailed
from records.forms import AttachmentRef, render_form_html
from records.handovers import (
    Attachment,
    Handover,
    HandoverEvent,
    HandoverStudent,
    HandoverVersion,
    Status,
)
from records.intake import Intake, Upload, dumps, meeting_json, meeting_problems
from records.obligations import Obligations
from records.paperwork import FormDesk
from records.staff import Staff
from records.timeliness import Timeliness
from records.unit_of_work import after_commit, discard_on_rollback, record_change
from records.validation import validate_values
from records.visibility import Access, access_to, may_countersign, reading_approval
from vault import Ledger, Vault

__all__ = ["MAX_REASON", "FormRules", "Upload", "Workflow"]

MAX_REASON = 500
DONE_ZH = {"submitted": "提交", "countersigned": "签收", "returned": "退回", "withdrawn": "撤回",
           "corrected": "修改", "edited": "修改", "reassigned": "改派接收人",
           "transferred": "转交"}


class FormRules(Protocol):
    """Values the system adds to a form, and checks beyond the catalogue's, before signing."""

    def complete(self, handover: Handover, values: dict[str, Any]) -> dict[str, Any]: ...

    def problems(self, handover: Handover, values: Mapping[str, Any]) -> list[FieldProblem]: ...


def exactly_once(step):
    """A step on a handover is compare-and-set on the row version it started from (render
    and sign run before, outside any write): of two people acting at once, the second is
    told who acted first, and nothing of theirs is stored (their transaction is rolled back,
    their vault objects discarded, their ledger entries never written)."""

    @functools.wraps(step)
    def run(self: Workflow, actor: Staff, handover: Handover, *args, **kwargs):
        number = handover.number
        try:
            return step(self, actor, handover, *args, **kwargs)
        except StaleDataError:
            raise self._raced(number) from None

    return run



class Workflow:
    def __init__(self, session: Session, *, vault: Vault, audit: Ledger, desk: FormDesk,
                 credentials: Credentials, calendar: WorkingCalendar,
                 deadline_settings: Mapping[str, int],
                 on_change: Sequence[Callable[[Handover], None]] = (),
                 clock: Callable[[], datetime] = utcnow, form_rules: FormRules | None = None):
        """`form_rules` completes and checks a form's values before it is signed (the money:
        records.money.form_rules)."""
        self.session, self.vault, self.audit, self.desk = session, vault, audit, desk
        self.form_rules = form_rules
        self.credentials, self.calendar = credentials, calendar
        self.deadline_settings = deadline_settings
        self.on_change = list(on_change)
        self.clock = clock
        self.intake = Intake(session, vault)
        self.timeliness = Timeliness(session, calendar=calendar, settings=deadline_settings,
                                     clock=clock)
        self.obligations = Obligations(session, timeliness=self.timeliness, audit=audit)

    # -- finding ----------------------------------------------------------------------------

    def get(self, actor: Staff, number: str, *, need: Access = Access.METADATA) -> Handover:
        """The handover if `actor` may see it at level `need`. Someone who may not see it
        gets NotFound, never a hint that it exists (policy C1)."""
        handover = self.session.scalar(select(Handover).where(Handover.number == number))
        if handover is None or access_to(actor, handover) < need:
            raise NotFound("交接单", number if re.fullmatch(r"JJ-\d{4}-\d{6}", number) else "")
        return handover

    def values_of(self, actor: Staff, handover: Handover, version: int | None = None) -> dict:
        """Decrypted field values; a recorded view of private information (policy C3)."""
        self.get(actor, handover.number, need=Access.CONTENT)
        v = self._version(handover, version)
        self.audit.append(actor=actor.login, action="handover.view",
                          subject=f"handover:{handover.number}", context={"version": v.version})
        return json.loads(v.values_json)

    def meeting_of(self, actor: Staff, handover: Handover,
                   version: int | None = None) -> dict | None:
        """The decrypted meeting record of a face-to-face handover (policy M3), or None; a
        recorded view like `values_of` (policy C3)."""
        self.get(actor, handover.number, need=Access.CONTENT)
        v = self._version(handover, version)
        if v.meeting_json is None:
            return None
        self.audit.append(actor=actor.login, action="handover.view",
                          subject=f"handover:{handover.number}",
                          context={"version": v.version, "document": "meeting"})
        return json.loads(v.meeting_json)

    def pdf(self, actor: Staff, handover: Handover, *, reason: str,
            version: int | None = None, document: str = "form") -> bytes:
        """The signed PDF of a version (countersigned if it is), read from the vault; the read
        is recorded with `reason` before the bytes are returned. `document="meeting"` gives
        the meeting record of a face-to-face handover (policy M3) instead of the form."""
        self.get(actor, handover.number, need=Access.CONTENT)
        v = self._version(handover, version)
        if document not in ("form", "meeting"):
            raise NotFound("文件", "")
        object_id = (v.meeting_final_object_id or v.meeting_signed_object_id
                     if document == "meeting" else v.final_object_id or v.signed_object_id)
        if object_id is None:
            raise Conflict("该版本尚未签名，没有可查看的 PDF。")
        return self.vault.get(object_id, actor=actor.login, reason=reason,
                              context=self._cited_approval(actor, handover))

    @staticmethod
    def _cited_approval(actor: Staff, handover: Handover) -> dict | None:
        """policy C3: a read made only under an approval cites it in the ledger."""
        approval = reading_approval(actor, handover)
        return None if approval is None else {"approval": approval}

    def attachment(self, actor: Staff, handover: Handover, attachment_id: int) -> Attachment:
        self.get(actor, handover.number, need=Access.CONTENT)
        att = self.session.get(Attachment, attachment_id)
        if att is None or att.version_id not in {v.id for v in handover.versions}:
            raise NotFound("附件", str(attachment_id))
        return att

    # -- creating and signing ---------------------------------------------------------------

    def create(self, actor: Staff, kind_code: str, values: Mapping[str, Any], *,
               uploads: Iterable[Upload] = (), receiver_id: int | None = None,
               parent_number: str | None = None, method: str | None = None,
               meeting: Mapping[str, Any] | None = None,
               obligation_id: int | None = None) -> Handover:
        """A draft of kind `kind_code` by `actor`, who must belong to its sending department.
        `method` is the kind's own method (the default) or M3: any important matter may be
        handed over face to face, with a `meeting` record (policy M3). `obligation_id` names
        what it is made to answer (from the owed list): same kind, same student."""
        kind = get_kind(kind_code)
        if not actor.belongs_to(kind.sender):
            raise PermissionDenied(actor.login, f"create {kind.code}")
        method = self.intake.method(kind, method, meeting)
        parent = self.intake.parent(actor, kind, parent_number)
        if receiver_id is not None:
            self.intake.check_receiver(kind, receiver_id)
        now = self.clock()
        handover = Handover(
            number=self._next_number(now), kind=kind.code, method=method,
            status=Status.DRAFT, sender_id=actor.id, sender_dept=kind.sender.value,
            receiver_dept=kind.receiver.value, receiver_id=receiver_id,
            parent_id=parent.id if parent else None, current_version=1, created_at=now)
        self.session.add(handover)
        self.session.flush()
        resolved, student_ids = self.intake.resolve(kind, values, draft=True)
        self._check_trigger(kind, resolved, student_ids)
        if obligation_id is not None:
            handover.answers_obligation_id = self.obligations.check_claim(
                obligation_id, kind.code, student_ids).id
        version = self._new_version(handover, 1, resolved, actor, now,
                                    meeting_json(meeting, draft=True))
        self.intake.store_uploads(actor, handover, version, uploads)
        self._link_students(handover, student_ids)
        self._schedule(handover, kind, resolved)
        self._event(handover, "created", actor, now)
        self._changed_entry(actor=actor.login, action="handover.create",
                          subject=f"handover:{handover.number}", context={"kind": kind.code})
        return handover

    @exactly_once
    def edit_draft(self, actor: Staff, handover: Handover, values: Mapping[str, Any], *,
                   uploads: Iterable[Upload] = (),
                   meeting: Mapping[str, Any] | None = None,
                   remove: Iterable[int] = ()) -> Handover:
        """Change one's own unsigned draft. Nothing of a draft has been signed or sent, so it
        is a working copy: its one version takes the new values (and, face to face, the new
        meeting record), the students it concerns follow them, and a new file for an
        attachment slot takes the place of the draft's earlier one (whose vault object stays,
        immutable), and the attachments `remove` names (ids) leave it. The event list and the
        ledger record every edit."""
        if handover.sender_id != actor.id:
            raise PermissionDenied(actor.login, "edit")
        if handover.status != Status.DRAFT:
            raise Conflict("只有草稿可以修改；已提交的交接单被退回后可修改重新提交。")
        kind = get_kind(handover.kind)
        resolved, student_ids = self.intake.resolve(kind, values, draft=True)
        self._check_trigger(kind, resolved, student_ids)
        self.intake.method(kind, handover.method, meeting)
        draft = handover.current
        draft.values_json = dumps(resolved)
        if meeting is not None:
            draft.meeting_json = meeting_json(meeting, draft=True)
        self._file_into(actor, handover, uploads, remove)
        keep = set(student_ids)
        for link in [s for s in handover.students if s.student_id not in keep]:
            handover.students.remove(link)
            self.session.delete(link)
        self._link_students(handover, student_ids)
        self._schedule(handover, kind, resolved)
        self._event(handover, "edited", actor, self.clock())
        self._changed_entry(actor=actor.login, action="handover.edit",
                          subject=f"handover:{handover.number}",
                          context={"version": draft.version})
        return handover

    @exactly_once
    def attach(self, actor: Staff, handover: Handover, uploads: Iterable[Upload]) -> Handover:
        """Files added to one's own draft on their own (chosen beside its 签名并提交): they
        stay with the draft whatever the signature then says (issue 14)."""
        if handover.sender_id != actor.id:
            raise PermissionDenied(actor.login, "edit")
        if handover.status != Status.DRAFT:
            raise Conflict("只有草稿可以修改；已提交的交接单被退回后可修改重新提交。")
        self._file_into(actor, handover, uploads, ())
        self._event(handover, "edited", actor, self.clock())
        self._changed_entry(actor=actor.login, action="handover.edit",
                            subject=f"handover:{handover.number}",
                            context={"version": handover.current_version})
        return handover

    def _file_into(self, actor: Staff, handover: Handover, uploads: Iterable[Upload],
                   remove: Iterable[int]) -> None:
        """A draft's files: a new file for a slot takes the place of the earlier one (whose
        vault object stays, immutable); `remove` (attachment ids of the draft) leave it."""
        draft = handover.current
        uploads, remove = list(uploads), set(remove)
        if remove - {a.id for a in draft.attachments}:
            raise NotFound("附件", "")
        replaced = {up.code for up in uploads} - {"other"}
        for old in [a for a in draft.attachments if a.code in replaced or a.id in remove]:
            draft.attachments.remove(old)
            self.session.delete(old)
        self.intake.store_uploads(actor, handover, draft, uploads)

    @exactly_once
    def submit(self, actor: Staff, handover: Handover, password: str, *,
               uploads: Iterable[Upload] = ()) -> Handover:
        """Validate, render, sign as sender (certifying) and store; it meets the obligations it
        answers, and the receiver's own clock starts. `uploads` adds files to the draft first
        (e.g. the scan of a paper checklist, M1)."""
        if handover.sender_id != actor.id:
            raise PermissionDenied(actor.login, "submit")
        if handover.status != Status.DRAFT:
            raise Conflict(f"交接单状态为「{Status(handover.status).label_zh}」，不能提交。")
        pending = self.intake.attach(handover, handover.current, uploads)
        # The deadline printed on the signed form is the one kept: counted from the trigger
        # before signing (policy T), never from the moment of signing.
        answered = self._sign_current(actor, handover, password)
        self.intake.store(actor, handover, pending)  # files only once the signature holds
        now = self.clock()
        handover.status, handover.submitted_at = Status.SUBMITTED, now
        handover.receive_due_at = self.timeliness.receive_deadline(now)
        self.obligations.answer(handover, answered)
        self._event(handover, "submitted", actor, now)
        self._changed_entry(actor=actor.login, action="handover.submit",
                          subject=f"handover:{handover.number}",
                          context={"version": handover.current_version})
        self._changed(handover)
        return handover

    @exactly_once
    def countersign(self, actor: Staff, handover: Handover, password: str) -> Handover:
        """The receiver's approval signature, added to the sender's signed PDF (policy M2)."""
        why_not = may_countersign(actor, handover)
        if why_not:
            self.audit.append(actor=actor.login, action="handover.countersign",
                              subject=f"handover:{handover.number}", outcome="denied")
            if handover.status != Status.SUBMITTED:
                raise self._acted_first(handover.number)
            raise PermissionDenied(actor.login, "countersign", why_not)
        v = handover.current
        final = self._countersign_pdf(actor, v.signed_object_id, password)
        # policy M3: the meeting record is countersigned with the form, in the same action.
        meeting = (self._countersign_pdf(actor, v.meeting_signed_object_id, password)
                   if v.meeting_signed_object_id else None)
        now = self.clock()
        context = {"handover": handover.number, "version": v.version}
        v.final_object_id = self._put(final, actor=actor.login, reason="接收人签收",
                                           context=context)
        if meeting is not None:
            v.meeting_final_object_id = self._put(
                meeting, actor=actor.login, reason="接收人签收沟通记录",
                context={**context, "document": "meeting"})
        v.status, v.countersigned_by, v.countersigned_at = Status.COMPLETED, actor.id, now
        handover.status, handover.completed_at = Status.COMPLETED, now
        if handover.receiver_id is None:
            handover.receiver_id = actor.id
        self.obligations.on_received(handover)  # policy T2, T4a, T5a, T5b: what follows
        self._event(handover, "countersigned", actor, now)
        self._changed_entry(actor=actor.login, action="handover.countersign",
                          subject=f"handover:{handover.number}",
                          context={"version": v.version, "on_time": handover.on_time,
                                   "received_on_time": handover.received_on_time})
        self._changed(handover)
        return handover

    def _countersign_pdf(self, actor: Staff, object_id: str, password: str) -> bytes:
        signed = self.vault.get(object_id, actor=actor.login, reason="签收前核对")
        return self.desk.countersign(signed, actor, self.credentials.require(actor), password)

    @exactly_once
    def return_(self, actor: Staff, handover: Handover, reason: str) -> Handover:
        """The receiver sends it back with a reason; the sender corrects it."""
        why_not = may_countersign(actor, handover)
        if why_not and handover.status != Status.SUBMITTED:
            raise self._acted_first(handover.number)
        if why_not:
            raise PermissionDenied(actor.login, "return", why_not)
        return self._stop(actor, handover, Status.RETURNED, "return", reason)

    @exactly_once
    def correct(self, actor: Staff, handover: Handover, values: Mapping[str, Any], *,
                reason: str, password: str, uploads: Iterable[Upload] = (),
                keep_attachments: bool = True,
                meeting: Mapping[str, Any] | None = None) -> Handover:
        """A corrected new version that supersedes the current one, signed and submitted.
        Also how a schedule change (policy F3) is made: with its reason. A face-to-face
        handover keeps its meeting record unless `meeting` replaces it (policy M3)."""
        if handover.sender_id != actor.id:
            raise PermissionDenied(actor.login, "correct")
        changeable = {Status.RETURNED} | ({Status.SUBMITTED, Status.COMPLETED}
                                          if handover.kind == "F3" else set())
        if handover.status not in changeable:
            raise Conflict("只有被退回的交接单（或课程安排的调整）可以提交新版本。")
        reason = self._reason(reason)
        kind = get_kind(handover.kind)
        resolved, student_ids = self.intake.resolve(kind, values, draft=False)
        self.intake.method(kind, handover.method, meeting)
        now = self.clock()
        old = handover.current
        old.status = Status.SUPERSEDED
        new = self._new_version(
            handover, old.version + 1, resolved, actor, now,
            old.meeting_json if meeting is None else meeting_json(meeting, draft=False))
        if keep_attachments:
            new.attachments.extend(Attachment(
                code=att.code, filename=att.filename, content_type=att.content_type,
                size=att.size, sha256=att.sha256, object_id=att.object_id)
                for att in old.attachments)
        self._link_students(handover, student_ids)
        handover.current_version = new.version
        handover.status, handover.completed_at = Status.DRAFT, None
        self._event(handover, "corrected", actor, now, reason)
        return self.submit(actor, handover, password, uploads=uploads)

    @exactly_once
    def withdraw(self, actor: Staff, handover: Handover, reason: str) -> Handover:
        if handover.sender_id != actor.id:
            raise PermissionDenied(actor.login, "withdraw")
        if handover.status not in (Status.DRAFT, Status.SUBMITTED, Status.RETURNED):
            raise Conflict("已签收或已撤回的交接单不能撤回。")
        self.obligations.reopen(handover)  # what it answered is owed again
        return self._stop(actor, handover, Status.WITHDRAWN, "withdraw", reason)

    def _stop(self, actor: Staff, handover: Handover, status: Status, action: str,
              reason: str) -> Handover:
        """A decision that stops the handover where it is (returned or withdrawn), its reason
        kept encrypted in the event; the ledger gets the action, never the reason's text."""
        reason = self._reason(reason)
        handover.status = handover.current.status = status
        self._event(handover, status.value, actor, self.clock(), reason)
        self._changed_entry(actor=actor.login, action=f"handover.{action}",
                          subject=f"handover:{handover.number}")
        self._changed(handover)
        return handover

    # -- internals --------------------------------------------------------------------------

    def _sign_current(self, actor: Staff, handover: Handover, password: str) -> list:
        """Validate, render and sign the current version as sender, with its deadline counted
        from the trigger; returns the obligations it answers."""
        kind = get_kind(handover.kind)
        v = handover.current
        values = json.loads(v.values_json)
        if self.form_rules is not None:  # the system's own values go on the signed form
            values = self.form_rules.complete(handover, values)
            v.values_json = dumps(values)
        face_to_face = handover.method == Method.FACE_TO_FACE.value
        meeting = json.loads(v.meeting_json or "{}")
        problems = validate_values(kind, values) + self.intake.missing_attachments(
            kind, v, paper=handover.method == Method.PAPER.value)
        if face_to_face:  # policy M3: no face-to-face handover without its meeting record
            problems += meeting_problems(meeting)
        problems += self.timeliness.trigger_problems(kind, values, handover.student_ids)
        if self.form_rules is not None and not problems:
            problems += self.form_rules.problems(handover, values)
        if problems:
            raise ValidationFailed(problems)
        answered = self._schedule(handover, kind, values)
        due = handover.due_at
        doc = self._form_document(handover, actor, values)
        context = {"handover": handover.number, "version": v.version}
        unsigned = self._unsigned_form(actor, v, doc)
        v.signed_object_id = self._put(
            self.desk.sign_as_sender(unsigned, actor, self.credentials.require(actor),
                                     password),
            actor=actor.login, reason="移交人签名提交", context=context)
        self._drop_unsigned(v)
        if face_to_face:
            record = self._document(handover, actor, Method.FACE_TO_FACE.value, meeting, due)
            v.meeting_signed_object_id = self._put(
                self._sign_document(record, actor, password), actor=actor.login,
                reason="移交人签名沟通记录", context={**context, "document": "meeting"})
        v.content_sha256 = doc.content_sha256()
        v.status, v.signed_at = Status.SUBMITTED, self.clock()
        return answered

    # -- the preview (issue 14: see before you sign) ---------------------------------------

    def preview(self, actor: Staff, handover: Handover) -> bytes:
        """The form as signing it now would sign it: the same values (with what the system
        adds), deadline, attachments and renderer, watermarked 预览. The unsigned PDF is kept
        with the draft under the digest of its HTML, so that `submit` signs exactly these
        bytes unless the draft has changed since. Its author's own unsigned draft only."""
        self.get(actor, handover.number, need=Access.CONTENT)
        if handover.sender_id != actor.id:
            raise NotFound("预览", "")
        if handover.status != Status.DRAFT:
            raise Conflict("只有草稿可以预览；已签名的交接单请查看其 PDF。")
        v = handover.current
        values = json.loads(v.values_json)
        if self.form_rules is not None:
            try:  # an incomplete draft is previewed as it stands
                values = self.form_rules.complete(handover, values)
            except ValidationFailed:
                pass
        unsigned = self._unsigned_form(actor, v, self._form_document(handover, actor, values))
        from signing import watermark

        return watermark(unsigned, ["预览 · 尚未签名，不作为交接凭证"], self.desk.renderer)

    def _form_document(self, handover: Handover, actor: Staff, values: Mapping[str, Any]):
        return self._document(handover, actor, handover.kind, values, handover.due_at, tuple(
            AttachmentRef(a.filename, a.sha256, a.code) for a in handover.current.attachments))

    def _unsigned_form(self, actor: Staff, v: HandoverVersion, doc) -> bytes:
        """The unsigned PDF of `doc`: the one kept with the draft if it was rendered from the
        same HTML, otherwise rendered now and kept (the previous one discarded)."""
        html = render_form_html(doc)
        digest = hashlib.sha256(html.encode("utf-8")).hexdigest()
        if v.unsigned_object_id and v.unsigned_html_sha256 == digest:
            return self.vault.get(v.unsigned_object_id, actor=actor.login, reason="签名前核对预览")
        unsigned = self.desk.unsigned_pdf_of(html)
        self._drop_unsigned(v)
        v.unsigned_object_id = self._put(unsigned, actor=actor.login, reason="生成预览",
                                         context={"handover": v.handover.number,
                                                  "version": v.version, "document": "preview"})
        v.unsigned_html_sha256 = digest
        return unsigned

    def _drop_unsigned(self, v: HandoverVersion) -> None:
        """Forget the kept preview; its vault object goes once that is committed."""
        old, v.unsigned_object_id, v.unsigned_html_sha256 = v.unsigned_object_id, None, None
        if old:
            after_commit(self.session, lambda: self.vault.discard(
                old, actor="system", reason="预览已被新版本或签名取代"))

    def _document(self, handover: Handover, actor: Staff, kind_code: str,
                  values: Mapping[str, Any], due: datetime | None,
                  attachments: tuple[AttachmentRef, ...] = ()):
        receiver = handover.receiver.display_name if handover.receiver else "（待签收）"
        return self.desk.document(
            number=handover.number, version=handover.current_version, kind=kind_code,
            method=handover.method, sender=actor, sender_dept=handover.sender_dept,
            receiver_name=receiver, receiver_dept=handover.receiver_dept, values=values,
            attachments=attachments, due_at=due)

    def _sign_document(self, doc, actor: Staff, password: str) -> bytes:
        return self.desk.sign_as_sender(self.desk.unsigned_pdf(doc), actor,
                                        self.credentials.require(actor), password)

    def _check_trigger(self, kind: HandoverKind, values: Mapping[str, Any],
                       student_ids: Iterable[int]) -> None:
        problems = self.timeliness.trigger_problems(kind, values, student_ids)
        if problems:
            raise ValidationFailed(problems)

    def _schedule(self, handover: Handover, kind: HandoverKind, values: Mapping[str, Any]):
        """Set the sender's trigger and deadline (policy T) from the form's trigger date, the
        parent's receipt, or the obligations it answers; returns those obligations. A draft
        whose deadline has passed shows late from the start."""
        answered = self.obligations.matching(handover, values)
        parent = self.session.get(Handover, handover.parent_id) if handover.parent_id else None
        handover.trigger_at, handover.due_at = self.timeliness.sender_deadline(
            kind, values, min((o.due_at for o in answered), default=None),
            parent.completed_at if parent is not None else None)
        return answered

    def checklist_pdf(self, actor: Staff, handover: Handover) -> bytes:
        """The paper handover checklist (交接清单, policy M1) to print, sign by hand, scan and
        upload: it lists the form and its attachments by title only (no student data)."""
        self.get(actor, handover.number, need=Access.CONTENT)
        kind = get_kind(handover.kind)
        receiver = handover.receiver.display_name if handover.receiver else "（接收人）"
        pdf = self._checklist(
            kind, f"{kind.name_zh}（{handover.number} 第 {handover.current_version} 版）",
            number=handover.number, version=handover.current_version, sender=handover.sender,
            receiver=receiver, due=handover.due_at)
        self.audit.append(actor=actor.login, action="handover.print_checklist",
                          subject=f"handover:{handover.number}")
        return pdf

    def blank_checklist_pdf(self, actor: Staff, kind_code: str) -> bytes:
        """The checklist of a kind before its handover is saved (issue 14: it is needed to
        fill the form's scan slot): the number is left to write in by hand."""
        kind = get_kind(kind_code)
        if not actor.belongs_to(kind.sender):
            raise PermissionDenied(actor.login, f"checklist {kind.code}")
        return self._checklist(kind, f"{kind.name_zh}（交接编号保存后生成，请手写）",
                               number="（保存后生成）", version=1, sender=actor,
                               receiver="（接收人）", due=None)

    def _checklist(self, kind: HandoverKind, title: str, *, number: str, version: int,
                   sender: Staff, receiver: str, due: datetime | None) -> bytes:
        items = [{"item": title, "copies": 1}]
        items += [{"item": a.label_zh, "copies": 1} for a in kind.attachments
                  if a.code != PAPER_SCAN.code]
        doc = self.desk.document(
            number=number, version=version, kind="M1", method=Method.PAPER.value,
            sender=sender, sender_dept=kind.sender.value, receiver_name=receiver,
            receiver_dept=kind.receiver.value,
            values={"handover_date": self.clock().date().isoformat(), "items": items},
            attachments=(), due_at=due)
        return self.desk.renderer.render(render_form_html(doc)).pdf

    def _next_number(self, now: datetime) -> str:
        return next_in_series(self.session, Handover.number, f"JJ-{now.year}-", 6)

    def _new_version(self, handover: Handover, number: int, values: Mapping[str, Any],
                     actor: Staff, now: datetime,
                     meeting_json: str | None = None) -> HandoverVersion:
        version = HandoverVersion(
            version=number, status=Status.DRAFT, values_json=dumps(values),
            meeting_json=meeting_json, created_by=actor.id, created_at=now)
        handover.versions.append(version)
        self.session.flush()
        return version

    def _link_students(self, handover: Handover, student_ids: Iterable[int]) -> None:
        have = set(handover.student_ids)
        handover.students.extend(HandoverStudent(student_id=sid)
                                 for sid in dict.fromkeys(student_ids) if sid not in have)
        self.session.flush()

    def _event(self, handover: Handover, action: str, actor: Staff, at: datetime,
               note: str | None = None) -> None:
        handover.events.append(HandoverEvent(version=handover.current_version, action=action,
                                             actor_id=actor.id, at=at, note=note))
        self.session.flush()

    def _reason(self, reason: str) -> str:
        reason = (reason or "").strip()
        if not reason:
            raise ValidationFailed([FieldProblem("reason", "请填写原因。")])
        if len(reason) > MAX_REASON:
            raise ValidationFailed([FieldProblem("reason", f"原因不能超过 {MAX_REASON} 字。")])
        return reason

    def _version(self, handover: Handover, version: int | None) -> HandoverVersion:
        number = version or handover.current_version
        for v in handover.versions:
            if v.version == number:
                return v
        raise NotFound("版本", str(number))

    def _raced(self, number: str) -> Conflict:
        self.session.rollback()
        return self._acted_first(number)

    def _acted_first(self, number: str) -> Conflict:
        """409 naming who acted on the handover last, and what they did."""
        last = self.session.scalar(
            select(HandoverEvent).join(Handover, Handover.id == HandoverEvent.handover_id)
            .where(Handover.number == number).order_by(HandoverEvent.id.desc()).limit(1))
        if last is None:
            return Conflict(f"交接单 {number} 刚刚被其他人处理，您的操作没有保存。")
        return Conflict(f"交接单 {number} 已由{last.actor.display_name}"
                        f"{DONE_ZH.get(last.action, '处理')}，您的操作没有保存。")

    def _changed_entry(self, **entry) -> None:
        """A state change's ledger entry, written once the change is committed (an entry never
        claims an effect the database does not have)."""
        record_change(self.session, self.audit, **entry)

    def _put(self, data: bytes, **kw) -> str:
        """Store `data` in the vault; discarded again if this request is rolled back."""
        object_id = self.vault.put(data, **kw)
        discard_on_rollback(self.session, self.vault, object_id)
        return object_id

    def _changed(self, handover: Handover) -> None:
        self.session.flush()
        for hook in self.on_change:
            hook(handover)
