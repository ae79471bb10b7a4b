"""Use cases of the payment ledger (缴费台账, policy R-FIN): finance's own entries (a correction
is a new entry with its reason, never an edit), a management override of a prepayment cap, a
student's accounts, the school's ledger paged and filtered in SQL, and monthly totals.

Who sees it: finance and management (policy C1: need to know). Every read of a student's
money is a ledger entry (policy C3), with ids only, never an amount (policy C2)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from records.clock import utcnow
from records.departments import Department
from records.errors import FieldProblem, NotFound, PermissionDenied, ValidationFailed
from records.intake import ALLOWED_UPLOADS, Upload
from records.money.account import Account, summed
from records.money.amounts import fen_or_problem
from records.money.entries import METHODS, EntryKind, PaymentEntry
from records.staff import Staff
from records.students import Student
from records.text_rules import bad_characters
from records.unit_of_work import discard_on_rollback, record_change
from vault import Ledger, Vault

__all__ = ["READ_DENIED", "EntryInput", "LedgerPage", "PaymentLedger", "may_read_ledger"]

READ_DENIED = "只有财务部门和管理层可以查看缴费台账。"
REASON_MAX, ENROLMENT_MAX = 500, 100
# Kinds finance enters by hand; a refund case is opened and closed by its handovers only.
BY_HAND = (EntryKind.CHARGE, EntryKind.PAYMENT, EntryKind.DELIVERED, EntryKind.REFUND)


def may_read_ledger(staff: Staff) -> bool:
    """policy R-FIN, C1: finance keeps the ledger; management oversees it."""
    return staff.active and (staff.belongs_to(Department.FIN) or staff.belongs_to(Department.MGT))


@dataclass(frozen=True)
class EntryInput:
    """What finance types for one entry; amounts in yuan as typed."""

    student_id: int
    enrolment: str
    kind: str
    amount: str = "0"
    hours: int | str = 0
    method: str = ""
    occurred_on: str = ""
    reason: str = ""
    corrects_id: int | None = None


@dataclass(frozen=True)
class LedgerPage:
    rows: list[PaymentEntry]
    total: int
    number: int
    pages: int


class PaymentLedger:
    def __init__(self, session: Session, *, audit: Ledger, vault: Vault | None = None,
                 clock: Callable[[], datetime] = utcnow):
        self.session, self.audit, self.vault, self.clock = session, audit, vault, clock

    # -- writing ----------------------------------------------------------------------------

    def add(self, *, student_id: int, enrolment: str, kind: EntryKind, fen: int = 0,
            hours: int = 0, method: str | None = None, occurred_on: date,
            actor: Staff | None, handover_id: int | None = None, reason: str | None = None,
            corrects_id: int | None = None, voucher_object_id: str | None = None,
            override_id: int | None = None) -> PaymentEntry:
        """Append one entry (append-only: nothing here updates or deletes a row)."""
        entry = PaymentEntry(
            student_id=student_id, enrolment=enrolment, kind=kind.value, amount=str(fen),
            hours=hours, method=method, occurred_on=occurred_on, handover_id=handover_id,
            voucher_object_id=voucher_object_id, reason=reason, corrects_id=corrects_id,
            override_id=override_id, recorded_by=actor.id if actor else None,
            recorded_at=self.clock())
        self.session.add(entry)
        self.session.flush()
        record_change(self.session, self.audit, actor=actor.login if actor else "system",
                      action="ledger.record", subject=f"student:{student_id}",
                      context={"entry": entry.id, "kind": kind.value,
                               "handover": handover_id, "corrects": corrects_id})
        return entry

    def record(self, actor: Staff, data: EntryInput,
               voucher: Upload | None = None) -> PaymentEntry:
        """Finance's own entry. A correction names the entry it corrects, has the same kind
        and enrolment, may be negative, and must give its reason."""
        if not (actor.active and actor.belongs_to(Department.FIN)):
            raise PermissionDenied(actor.login, "ledger.record", "只有财务部门可以记账。")
        problems, fields = self._problems(data)
        if voucher is not None and not voucher.data.startswith(tuple(ALLOWED_UPLOADS)):
            problems.append(FieldProblem("voucher", "凭证只能是 PDF、PNG 或 JPEG 文件。"))
        if problems:
            raise ValidationFailed(problems)
        object_id = None
        if voucher is not None and self.vault is not None:
            object_id = self.vault.put(voucher.data, actor=actor.login, reason="上传缴费凭证",
                                       context={"student": data.student_id})
            discard_on_rollback(self.session, self.vault, object_id)
        return self.add(actor=actor, voucher_object_id=object_id, **fields)

    def _problems(self, data: EntryInput) -> tuple[list[FieldProblem], dict]:
        problems: list[FieldProblem] = []
        if self.session.get(Student, data.student_id) is None:
            problems.append(FieldProblem("student", "请从学生名册中选择学生。"))
        enrolment = (data.enrolment or "").strip()
        if not 0 < len(enrolment) <= ENROLMENT_MAX or bad_characters(enrolment):
            problems.append(FieldProblem("enrolment", "请填写报名课程或班级（100 字以内）。"))
        if data.kind not in {k.value for k in BY_HAND}:
            problems.append(FieldProblem("kind", "请选择记账类型：收费、缴费、已上课时或退费。"))
        corrected = self.session.get(PaymentEntry, data.corrects_id) if data.corrects_id else None
        if data.corrects_id and (corrected is None or corrected.student_id != data.student_id
                                 or corrected.kind != data.kind
                                 or corrected.enrolment != enrolment):
            problems.append(FieldProblem("corrects",
                                         "被更正的记录不存在，或学生、类型、课程不一致。"))
        fen = fen_or_problem(data.amount or "0", "amount", "金额", signed=bool(corrected))
        if isinstance(fen, FieldProblem):
            problems.append(fen)
        hours = str(data.hours).strip().lstrip("-" if corrected else "")
        if not hours.isdecimal() or int(hours) > 10_000:
            problems.append(FieldProblem("hours", "「课时」应为 0 至 10000 的整数。"))
        if data.method and data.method not in METHODS:
            problems.append(FieldProblem("method", "不是可选的缴费方式。"))
        try:
            occurred_on = date.fromisoformat(data.occurred_on)
        except ValueError:
            occurred_on = None
            problems.append(FieldProblem("occurred_on", "日期应为 YYYY-MM-DD。"))
        reason = (data.reason or "").strip()
        if corrected is not None and not reason:
            problems.append(FieldProblem("reason", "更正必须填写原因。"))
        if len(reason) > REASON_MAX or bad_characters(reason, multiline=True):
            problems.append(FieldProblem("reason", f"原因不能超过 {REASON_MAX} 字。"))
        if problems:
            return problems, {}
        return [], dict(student_id=data.student_id, enrolment=enrolment,
                        kind=EntryKind(data.kind), fen=fen, hours=int(str(data.hours).strip()),
                        method=data.method or None, occurred_on=occurred_on,
                        reason=reason or None, corrects_id=data.corrects_id)

    def grant_override(self, actor: Staff, *, student_id: int, enrolment: str, amount: str,
                       hours: int, reason: str) -> PaymentEntry:
        """Management lets one charge over a prepayment cap through, with its reason; the F2
        that uses it prints the reason, and the ledger keeps it (see records.money.caps)."""
        if not (actor.active and actor.belongs_to(Department.MGT)):
            raise PermissionDenied(actor.login, "ledger.override",
                                   "只有管理层可以批准超出预收费上限。")
        reason = (reason or "").strip()
        problems = []
        fen = fen_or_problem(amount, "amount", "批准金额")
        if isinstance(fen, FieldProblem):
            problems.append(fen)
        if not reason or len(reason) > REASON_MAX:
            problems.append(FieldProblem("reason", "请填写批准理由（500 字以内）。"))
        if self.session.get(Student, student_id) is None:
            problems.append(FieldProblem("student", "请从学生名册中选择学生。"))
        if problems:
            raise ValidationFailed(problems)
        return self.add(student_id=student_id, enrolment=enrolment.strip(),
                        kind=EntryKind.CAP_OVERRIDE, fen=fen, hours=int(hours),
                        occurred_on=self.clock().date(), actor=actor, reason=reason)

    # -- reading (no audit: for the system's own checks) -----------------------------------

    def entries(self, student_id: int, enrolment: str | None = None) -> list[PaymentEntry]:
        query = select(PaymentEntry).where(PaymentEntry.student_id == student_id)
        if enrolment is not None:
            query = query.where(PaymentEntry.enrolment == enrolment)
        return list(self.session.scalars(query.order_by(PaymentEntry.occurred_on,
                                                        PaymentEntry.id)))

    def unused_override(self, student_id: int, fen: int, hours: int) -> PaymentEntry | None:
        """Management's newest override for this student that covers a charge of `fen` and
        `hours` and that no charge has used yet."""
        used = select(PaymentEntry.override_id).where(PaymentEntry.override_id.is_not(None))
        for entry in self.session.scalars(select(PaymentEntry).where(
                PaymentEntry.student_id == student_id,
                PaymentEntry.kind == EntryKind.CAP_OVERRIDE.value,
                PaymentEntry.id.not_in(used)).order_by(PaymentEntry.id.desc())):
            if entry.fen >= fen and entry.hours >= hours:
                return entry
        return None

    def accounts(self, student_id: int) -> list[Account]:
        by_enrolment: dict[str, list[PaymentEntry]] = defaultdict(list)
        for e in self.entries(student_id):
            by_enrolment[e.enrolment].append(e)
        return [summed(name, rows) for name, rows in by_enrolment.items()]

    def account(self, student_id: int, enrolment: str) -> Account:
        return summed(enrolment, self.entries(student_id, enrolment))

    # -- reading (recorded) -----------------------------------------------------------------

    def _require_reader(self, actor: Staff, what: str) -> None:
        if not may_read_ledger(actor):
            self.audit.append(actor=actor.login, action=what, outcome="denied")
            raise PermissionDenied(actor.login, what, READ_DENIED)

    def student_view(self, actor: Staff, student_id: int, *, reason: str = "查看学生缴费台账"
                     ) -> tuple[list[Account], list[PaymentEntry]]:
        """A student's accounts and entries, a recorded read of family finances (C2, C3)."""
        self._require_reader(actor, "ledger.view")
        if self.session.get(Student, student_id) is None:
            raise NotFound("学生", str(student_id))
        self.audit.append(actor=actor.login, action="ledger.view",
                          subject=f"student:{student_id}", reason=reason)
        return self.accounts(student_id), self.entries(student_id)

    def page(self, actor: Staff, *, kind: str = "", enrolment: str = "", month: str = "",
             student_no: str = "", number: int = 1, per_page: int = 50) -> LedgerPage:
        """The school's ledger, newest first, filtered and paged in SQL; only the page's rows
        are decrypted, and the read is recorded with its filters (ids only)."""
        self._require_reader(actor, "ledger.list")
        query = select(PaymentEntry)
        if kind:
            query = query.where(PaymentEntry.kind == kind)
        if enrolment:
            query = query.where(PaymentEntry.enrolment == enrolment)
        if month:
            start, end = _month_range(month)
            query = query.where(PaymentEntry.occurred_on >= start, PaymentEntry.occurred_on < end)
        if student_no:
            query = query.where(PaymentEntry.student_id.in_(
                select(Student.id).where(Student.student_no == student_no)))
        total = self.session.scalar(select(func.count()).select_from(query.subquery())) or 0
        pages = max(1, -(-total // per_page))
        number = min(max(number, 1), pages)
        rows = list(self.session.scalars(query.order_by(
            PaymentEntry.occurred_on.desc(), PaymentEntry.id.desc())
            .offset((number - 1) * per_page).limit(per_page)))
        self.audit.append(actor=actor.login, action="ledger.list", context={
            "kind": kind, "month": month, "page": number, "ids": sorted({r.student_id
                                                                         for r in rows})})
        return LedgerPage(rows, total, number, pages)

    def monthly_totals(self, actor: Staff, year: int) -> dict[str, dict[str, int]]:
        """Fen per month (YYYY-MM) and entry kind in `year`. Amounts are ciphertext, so the
        year's rows are decrypted and summed here: a school's year is thousands of rows."""
        self._require_reader(actor, "ledger.totals")
        rows = self.session.execute(select(
            PaymentEntry.occurred_on, PaymentEntry.kind, PaymentEntry.amount).where(
            PaymentEntry.occurred_on >= date(year, 1, 1),
            PaymentEntry.occurred_on < date(year + 1, 1, 1)))
        totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for day, kind, amount in rows:
            totals[day.strftime("%Y-%m")][kind] += int(amount)
        self.audit.append(actor=actor.login, action="ledger.totals", context={"year": year})
        return {m: dict(k) for m, k in sorted(totals.items())}

    def students_of(self, entries: Iterable[PaymentEntry]) -> dict[int, str]:
        """Student numbers (not private) of `entries`, for lists and exports."""
        ids = {e.student_id for e in entries}
        return dict(self.session.execute(
            select(Student.id, Student.student_no).where(Student.id.in_(ids)))) if ids else {}


def _month_range(month: str) -> tuple[date, date]:
    try:
        start = date.fromisoformat(f"{month}-01")
    except ValueError:
        raise ValidationFailed([FieldProblem("month", "月份应为 YYYY-MM。")]) from None
    end = date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return start, end
