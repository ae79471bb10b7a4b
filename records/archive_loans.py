"""Use cases of the consult/borrow register (查阅、借阅登记, policy R-ARC; DOMAIN-RULES "Archive
consult and borrow register"): lend, return, renew, the overdue list, and the digital consult.

The borrower signs: their own password unlocks their signing key, which signs a loan slip
(借阅单) rendered like a handover form and kept in the vault. The password is first checked as
a sign-in is (records.accounts): the same throttle and lock, so the desk is no way to guess a
colleague's password; a wrong one writes only the failure count and a ledger entry. Ledger
entries carry numbers, ids and the purpose chosen from `PURPOSES`; the free-text notes stay
encrypted in the database (policy C2)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from records.accounts import Accounts
from records.archive import (
    PURPOSES,
    RETURN_CONDITIONS,
    ArchiveFile,
    ArchiveLoan,
    LoanKind,
    Security,
)
from records.archive_register import next_number
from records.archive_rules import (
    DEFAULT_TERMS,
    MANAGE_DENIED,
    LoanOverdue,
    LoanTerms,
    check_lendable,
    loan_due_on,
    may_approve,
    may_manage,
    may_see_loan,
    sees_overdue,
)
from records.clock import utcnow
from records.credentials import Credentials
from records.deadlines import SCHOOL_TZ, WorkingCalendar
from records.departments import Department
from records.errors import Conflict, FieldProblem, NotFound, PermissionDenied, ValidationFailed
from records.forms import form_environment
from records.handovers import Handover
from records.paperwork import FormDesk
from records.staff import Staff
from records.unit_of_work import discard_on_rollback, record_change
from records.visibility import Access, access_to, reading_approval
from vault import Ledger, Vault

__all__ = ["Loans"]

NOTE_MAX = 200


ADMIN_NO_CONTENT = ("系统管理员负责账户和设置，不查看学生信息；"
                    "电子查阅档案须由相关工作人员办理（制度 C1）。")
CONSULT_DENIED = "电子查阅须先在档案室办理查阅登记，或依据已批准的查看审批（制度 R-ARC、C3）。"


class Loans:
    def __init__(self, session: Session, *, audit: Ledger, vault: Vault, desk: FormDesk,
                 credentials: Credentials, accounts: Accounts, calendar: WorkingCalendar,
                 terms: LoanTerms = DEFAULT_TERMS, clock: Callable[[], datetime] = utcnow):
        self.session, self.audit, self.vault, self.desk = session, audit, vault, desk
        self.credentials, self.accounts = credentials, accounts
        self.calendar, self.terms = calendar, terms
        self.clock = clock

    def today(self) -> date:
        return self.clock().astimezone(SCHOOL_TZ).date()

    def _require_manager(self, actor: Staff, action: str) -> None:
        if not may_manage(actor):
            raise PermissionDenied(actor.login, action, MANAGE_DENIED)

    # -- lending --------------------------------------------------------------------------

    def lend(self, actor: Staff, file: ArchiveFile, *, borrower: Staff, password: str,
             kind: str = LoanKind.BORROW, purpose: str, purpose_note: str = "",
             approver: Staff | None = None, copy_allowed: bool = False,
             copy_note: str = "") -> ArchiveLoan:
        """Register a loan (or an on-site or digital consult) at the archive office's desk;
        the borrower confirms it with their own password, which signs the loan slip."""
        self._require_manager(actor, "archive.lend")
        problems = self._problems(kind, purpose, purpose_note, copy_note)
        if approver is None:
            problems.append(FieldProblem("approver", "请选择批准人。"))
        elif approver.id == borrower.id or not may_approve(approver):
            problems.append(FieldProblem(
                "approver", "批准人须为档案室、管理层人员或部门负责人，且不能是借阅人本人。"))
        if copy_allowed and not copy_note.strip():
            # policy R-ARC: copying or excerpting needs an approval noted on the entry
            problems.append(FieldProblem("copy_note", "允许复制或摘录时，请注明批准的范围。"))
        if not borrower.active or not borrower.department_codes:
            # the register names the borrower's department (DOMAIN-RULES, policy R-ARC)
            problems.append(FieldProblem("borrower", "借阅人须为在职且属于某个部门的工作人员。"))
        if problems:
            raise ValidationFailed(problems)
        kind = LoanKind(kind)
        if kind is LoanKind.BORROW:
            check_lendable(file)
        if kind is LoanKind.DIGITAL and file.handover_id is None:
            raise Conflict(f"档案 {file.number} 为纸质档案，没有可供电子查阅的签章文件。")
        self._check_not_overdue(borrower)
        now = self.clock()
        today = self.today()
        due = (loan_due_on(self.calendar, today, self.terms.loan_days)
               if kind is LoanKind.BORROW else today)
        loan = ArchiveLoan(
            number=next_number(self.session, ArchiveLoan.number, f"JY-{now.year}-"),
            file_id=file.id, kind=kind.value, borrower_id=borrower.id,
            borrower_dept=borrower.department_codes[0].value,
            purpose=purpose, purpose_note=purpose_note.strip() or None,
            approver_id=approver.id, copy_allowed=copy_allowed,
            copy_note=copy_note.strip() or None, out_at=now, due_on=due, confirmed_at=now,
            registered_by=actor.id)
        # throttled like a sign-in, recorded as this step
        self.accounts.confirm_password(borrower, password, action="archive.loan_confirm")
        loan.file, loan.borrower, loan.approver = file, borrower, approver
        with self.session.no_autoflush:  # the loan is written below, in one place
            slip = self._signed_slip(actor, loan, borrower, password)
        self.session.add(loan)
        try:
            self.session.flush()
        except IntegrityError:  # another desk lent it a moment ago (policy R-ARC)
            self.session.rollback()
            raise Conflict(f"档案 {file.number} 刚刚已被借出，请刷新后查看。") from None
        loan.slip_object_id = self.vault.put(
            slip, actor=actor.login, reason="借阅人签名确认",
            context={"archive": file.number, "loan": loan.number})
        discard_on_rollback(self.session, self.vault, loan.slip_object_id)
        record_change(self.session, self.audit, actor=actor.login, action="archive.lend",
                      subject=f"archive:{file.number}", reason=purpose, context={
                          "loan": loan.number, "kind": kind.value,
                          "borrower": borrower.login, "approver": approver.login,
                          "due": due.isoformat(), "copy": copy_allowed})
        return loan

    def _problems(self, kind: str, purpose: str, *notes: str) -> list[FieldProblem]:
        problems = []
        if kind not in set(LoanKind):
            problems.append(FieldProblem("kind", "请选择借阅、现场查阅或电子查阅。"))
        if purpose not in PURPOSES:
            problems.append(FieldProblem("purpose", "请从列表中选择用途。"))
        for name, note in zip(("purpose_note", "copy_note"), notes, strict=False):
            if len(note.strip()) > NOTE_MAX:
                problems.append(FieldProblem(name, f"说明不能超过 {NOTE_MAX} 字。"))
        return problems

    def _check_not_overdue(self, borrower: Staff) -> None:
        """An overdue loan blocks the borrower's next one until it is returned."""
        today = self.today()
        overdue = [(loan.number, loan.due_on) for loan in self.session.scalars(
            select(ArchiveLoan).where(ArchiveLoan.borrower_id == borrower.id,
                                      ArchiveLoan.returned_at.is_(None),
                                      ArchiveLoan.due_on < today)
            .order_by(ArchiveLoan.due_on))]
        if overdue:
            raise LoanOverdue(borrower.login, overdue)

    def _signed_slip(self, actor: Staff, loan: ArchiveLoan, borrower: Staff,
                     password: str) -> bytes:
        from signing import SigningError, StampText, prepare, sign_sender

        file = loan.file
        html = form_environment().get_template("loan_slip.html").render(
            school_name=self.desk.school_name, loan=loan, file=file,
            kind_label=LoanKind(loan.kind).label_zh,
            security_label=Security(file.security).label_zh, borrower=borrower,
            department=Department(loan.borrower_dept).label_zh,
            approver=loan.approver.display_name if loan.approver else "",
            out_day=self.today().isoformat(), registrar=actor,
            registered_at=loan.out_at.astimezone(SCHOOL_TZ).strftime("%Y-%m-%d %H:%M"),
            handover_number=self.session.scalar(select(Handover.number).where(
                Handover.id == file.handover_id)) if file.handover_id else None)
        rendered = self.desk.renderer.render(html)
        stamp = StampText(role="借阅人", name=borrower.display_name,
                          department=Department(loan.borrower_dept).label_zh,
                          font=self.desk.stamp_font)
        try:
            return sign_sender(prepare(rendered.pdf, rendered.boxes, roles=("sender",)),
                               self.credentials.require(borrower), password, stamp=stamp,
                               pki=self.desk.pki, tsa=self.desk.timestamper)
        except SigningError:
            self.audit.append(actor=actor.login, action="archive.lend",
                              subject=f"archive:{file.number}", outcome="denied",
                              context={"borrower": borrower.login, "why": "signature"})
            raise

    # -- returning and renewing -----------------------------------------------------------

    def return_(self, actor: Staff, loan: ArchiveLoan, *, condition: str,
                remarks: str = "") -> ArchiveLoan:
        self._require_manager(actor, "archive.return")
        if not loan.is_open:
            raise Conflict(f"借阅登记 {loan.number} 已归还。")
        problems = []
        if condition not in RETURN_CONDITIONS:
            problems.append(FieldProblem("condition", "请选择归还时档案的状况。"))
        if len(remarks.strip()) > NOTE_MAX:
            problems.append(FieldProblem("remarks", f"备注不能超过 {NOTE_MAX} 字。"))
        if condition == RETURN_CONDITIONS[-1] and not remarks.strip():
            problems.append(FieldProblem("remarks", "请在备注中说明档案的状况。"))
        if problems:
            raise ValidationFailed(problems)
        loan.returned_at, loan.received_by = self.clock(), actor.id
        loan.return_condition, loan.remarks = condition, remarks.strip() or None
        self.session.flush()
        record_change(self.session, self.audit, actor=actor.login, action="archive.return",
                      subject=f"archive:{loan.file.number}",
                      context={"loan": loan.number, "condition": condition,
                               "late": loan.returned_at.astimezone(SCHOOL_TZ).date()
                               > loan.due_on})
        return loan

    def renew(self, actor: Staff, loan: ArchiveLoan, days: int | None = None) -> ArchiveLoan:
        """Once, by up to `terms.renewal_days` days from the current due day, before it has
        passed; the holiday rule of `loan_due_on` applies again."""
        self._require_manager(actor, "archive.renew")
        most = self.terms.renewal_days
        days = most if days is None else days
        if not loan.is_open or loan.kind != LoanKind.BORROW:
            raise Conflict(f"借阅登记 {loan.number} 不是未归还的借阅，不能续借。")
        if loan.renewed_at is not None:
            raise Conflict(f"借阅登记 {loan.number} 已续借过一次，不能再续借。")
        if loan.overdue_on(self.today()):
            raise Conflict(f"借阅登记 {loan.number} 已逾期，请先归还。")
        if not 1 <= days <= most:
            raise ValidationFailed([FieldProblem("days", f"续借天数应为 1 到 {most} 天。")])
        old = loan.due_on
        loan.due_on = max(old, loan_due_on(self.calendar, old, days))
        loan.renewed_at = self.clock()
        self.session.flush()
        self.audit.append(actor=actor.login, action="archive.renew",
                          subject=f"archive:{loan.file.number}",
                          context={"loan": loan.number, "from": old.isoformat(),
                                   "to": loan.due_on.isoformat()})
        return loan

    # -- finding --------------------------------------------------------------------------

    def get(self, actor: Staff, number: str) -> ArchiveLoan:
        loan = self.session.scalar(select(ArchiveLoan).where(ArchiveLoan.number == number))
        if loan is None or not may_see_loan(actor, loan):
            raise NotFound("借阅登记", number if len(number) <= 20 else "")
        return loan

    def of_file(self, file: ArchiveFile) -> list[ArchiveLoan]:
        return list(self.session.scalars(select(ArchiveLoan).where(
            ArchiveLoan.file_id == file.id).order_by(ArchiveLoan.id.desc())))

    def files_out(self) -> set[int]:
        """Ids of the files with an open register entry (lent or being consulted)."""
        return set(self.session.scalars(select(ArchiveLoan.file_id).where(
            ArchiveLoan.returned_at.is_(None))))

    def mine(self, actor: Staff) -> list[ArchiveLoan]:
        """The loans of `actor` as borrower: all anyone but the archive office sees."""
        return list(self.session.scalars(select(ArchiveLoan).where(
            ArchiveLoan.borrower_id == actor.id).order_by(ArchiveLoan.id.desc())))

    def overdue(self, actor: Staff) -> list[ArchiveLoan]:
        """Open loans past their due day, oldest first (policy S1: the supervision group sees
        them; pages show it numbers and dates only)."""
        if not sees_overdue(actor):
            raise PermissionDenied(actor.login, "archive.overdue",
                                   "只有档案室、监督小组和管理员可以查看逾期借阅。")
        return list(self.session.scalars(select(ArchiveLoan).where(
            ArchiveLoan.returned_at.is_(None), ArchiveLoan.due_on < self.today())
            .order_by(ArchiveLoan.due_on, ArchiveLoan.id)))

    def slip(self, actor: Staff, loan: ArchiveLoan) -> bytes:
        """The signed loan slip, a recorded vault read."""
        if not may_see_loan(actor, loan) or loan.slip_object_id is None:
            raise NotFound("借阅单", loan.number)
        return self.vault.get(loan.slip_object_id, actor=actor.login, reason="查看借阅单")

    # -- the digital consult --------------------------------------------------------------

    def consult(self, actor: Staff, file: ArchiveFile, *, purpose: str,
                loan: ArchiveLoan | None = None) -> bytes:
        """A watermarked copy of the file's signed F8 form (viewer, time and purpose on every
        page), recorded in the ledger with its purpose. The archive office consults directly;
        anyone else needs an open digital-consult entry of the register in their name."""
        if purpose not in PURPOSES:
            raise ValidationFailed([FieldProblem("purpose", "请从列表中选择用途。")])
        if actor.is_admin or not actor.active:  # policy C1: the administrator reads no student
            self._refuse(actor, file, ADMIN_NO_CONTENT)
        handover = self.session.get(Handover, file.handover_id) if file.handover_id else None
        if handover is None:
            raise Conflict(f"档案 {file.number} 为纸质档案，没有可供电子查阅的签章文件。")
        on_loan = (loan is not None and loan.borrower_id == actor.id and loan.file_id == file.id
                   and loan.kind == LoanKind.DIGITAL and loan.is_open
                   and loan.due_on >= self.today())
        # policy R-ARC, C1, C3: a loan in the register, or the reader's own relation to the
        # archived form (its receiver, the archive office's head or deputy), or an approval.
        if not on_loan and access_to(actor, handover) < Access.CONTENT:
            self._refuse(actor, file, CONSULT_DENIED)
        approval = None if on_loan else reading_approval(actor, handover)
        version = handover.current
        signed = self.vault.get(version.final_object_id or version.signed_object_id,
                                actor=actor.login, reason=f"档案电子查阅：{purpose}")
        stamp = self.clock().astimezone(SCHOOL_TZ).strftime("%Y-%m-%d %H:%M")
        lines = [f"查阅人：{actor.display_name}（{actor.login}）", f"时间：{stamp}",
                 f"用途：{purpose}", f"档案 {file.number} · 仅供查阅，非签章原件"]
        from signing import watermark

        copy = watermark(signed, lines, self.desk.renderer)
        self.audit.append(actor=actor.login, action="archive.consult",
                          subject=f"archive:{file.number}", reason=purpose,
                          context={"loan": loan.number if loan else None,
                                   "handover": handover.number, "approval": approval})
        return copy

    def _refuse(self, actor: Staff, file: ArchiveFile, why: str) -> None:
        """A refused consult is recorded (policy C3) and raised; nothing else is written."""
        self.audit.append(actor=actor.login, action="archive.consult",
                          subject=f"archive:{file.number}", outcome="denied")
        raise PermissionDenied(actor.login, "archive.consult", why)

    @staticmethod
    def days_overdue(loan: ArchiveLoan, today: date) -> int:
        return max(0, (today - loan.due_on).days)
