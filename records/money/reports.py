"""The school's payment ledger as lists (缴费台账, policy R-FIN), for finance and management: a
page of entries filtered and paged in SQL, monthly totals, and the rows of an export.

Amounts are ciphertext (policy C2), so SQL cannot sum them: every sum here is made in Python
over the rows it covers, and only those rows are decrypted. A page's sums cover that page, the
monthly totals the year asked for, an export its filtered rows (at most EXPORT_MAX). Every read
is recorded with its filters and the students' ids, never an amount (policy C3); an export also
with the purpose its reader gave."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from records.errors import FieldProblem, ValidationFailed
from records.money.entries import EntryKind, PaymentEntry
from records.money.payments import ENROLMENT_MAX, require_reader
from records.staff import Staff
from records.students import Student
from records.text_rules import bad_characters
from vault import Ledger

__all__ = ["EXPORT_MAX", "LedgerFilter", "LedgerPage", "LedgerReports", "sums_by_kind"]

EXPORT_MAX = 20_000  # rows one export decrypts; more must be narrowed by the filters
PURPOSE_MAX = 200
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
STUDENT_NO = re.compile(r"^[A-Za-z0-9-]{1,32}$")


@dataclass(frozen=True)
class LedgerFilter:
    """What a list of the ledger is narrowed to; every part is optional and not private."""

    kind: str = ""
    enrolment: str = ""
    month: str = ""
    """YYYY-MM: entries that happened in that month."""
    student_no: str = ""

    def problems(self) -> list[FieldProblem]:
        out = []
        if self.kind and self.kind not in {k.value for k in EntryKind}:
            out.append(FieldProblem("kind", "请选择记账类型。"))
        if len(self.enrolment) > ENROLMENT_MAX or bad_characters(self.enrolment):
            out.append(FieldProblem("enrolment", "课程或班级名称不能超过 100 字。"))
        if self.month and not MONTH.match(self.month):
            out.append(FieldProblem("month", "月份应为 YYYY-MM，例如 2026-03。"))
        if self.student_no and not STUDENT_NO.match(self.student_no):
            out.append(FieldProblem("student_no", "学号只含字母、数字和连字符（32 位以内）。"))
        return out

    def query(self) -> Select:
        """The entries this filter keeps (refused with the fields' problems when invalid)."""
        problems = self.problems()
        if problems:
            raise ValidationFailed(problems)
        query = select(PaymentEntry)
        if self.kind:
            query = query.where(PaymentEntry.kind == self.kind)
        if self.enrolment:
            query = query.where(PaymentEntry.enrolment == self.enrolment)
        if self.month:
            start = date.fromisoformat(f"{self.month}-01")
            end = date(start.year + start.month // 12, start.month % 12 + 1, 1)
            query = query.where(PaymentEntry.occurred_on >= start, PaymentEntry.occurred_on < end)
        if self.student_no:
            query = query.where(PaymentEntry.student_id.in_(
                select(Student.id).where(Student.student_no == self.student_no)))
        return query


def sums_by_kind(rows: Iterable[PaymentEntry]) -> dict[str, int]:
    """Fen per entry kind over `rows` (decrypting each row's amount)."""
    sums: dict[str, int] = defaultdict(int)
    for row in rows:
        sums[row.kind] += row.fen
    return dict(sums)


@dataclass(frozen=True)
class LedgerPage:
    rows: list[PaymentEntry]
    total: int
    number: int
    pages: int
    student_nos: dict[int, str] = field(default_factory=dict)

    @property
    def sums(self) -> dict[str, int]:
        """Fen per kind over this page's rows only (see the module docstring)."""
        return sums_by_kind(self.rows)


class LedgerReports:
    def __init__(self, session: Session, *, audit: Ledger):
        self.session, self.audit = session, audit

    def _ordered(self, filters: LedgerFilter) -> Select:
        return filters.query().order_by(PaymentEntry.occurred_on.desc(), PaymentEntry.id.desc())

    def page(self, actor: Staff, filters: LedgerFilter, number: int = 1,
             per_page: int = 50) -> LedgerPage:
        """The school's ledger, newest first, filtered and paged in SQL."""
        require_reader(self.audit, actor, "ledger.list")
        query = filters.query()
        total = self.session.scalar(select(func.count()).select_from(query.subquery())) or 0
        pages = max(1, -(-total // per_page))
        number = min(max(number, 1), pages)
        rows = list(self.session.scalars(self._ordered(filters)
                                         .offset((number - 1) * per_page).limit(per_page)))
        self.audit.append(actor=actor.login, action="ledger.list", context={
            **asdict(filters), "page": number, "ids": sorted({r.student_id for r in rows})})
        return LedgerPage(rows, total, number, pages, self.students_of(rows))

    def monthly_totals(self, actor: Staff, year: int) -> dict[str, dict[str, int]]:
        """Fen per month (YYYY-MM) and entry kind in `year`: the year's rows are decrypted and
        summed here (a school's year is thousands of rows)."""
        require_reader(self.audit, actor, "ledger.totals")
        rows = self.session.execute(select(
            PaymentEntry.occurred_on, PaymentEntry.kind, PaymentEntry.amount).where(
            PaymentEntry.occurred_on >= date(year, 1, 1),
            PaymentEntry.occurred_on < date(year + 1, 1, 1)))
        totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for day, kind, amount in rows:
            totals[day.strftime("%Y-%m")][kind] += int(amount)
        self.audit.append(actor=actor.login, action="ledger.totals", context={"year": year})
        return {m: dict(k) for m, k in sorted(totals.items())}

    def export(self, actor: Staff, filters: LedgerFilter, purpose: str
               ) -> tuple[list[PaymentEntry], dict[int, str]]:
        """Every entry `filters` keep (newest first) and their students' numbers, for a file
        that leaves the system: recorded with its purpose, which is required."""
        require_reader(self.audit, actor, "ledger.export")
        purpose = (purpose or "").strip()
        problems = filters.problems()
        if not purpose or len(purpose) > PURPOSE_MAX or bad_characters(purpose):
            problems.append(FieldProblem("purpose", "请填写导出用途（200 字以内）。"))
        if problems:
            raise ValidationFailed(problems)
        rows = list(self.session.scalars(self._ordered(filters).limit(EXPORT_MAX + 1)))
        if len(rows) > EXPORT_MAX:
            raise ValidationFailed([FieldProblem(
                "month", f"一次最多导出 {EXPORT_MAX} 条记录，请按月份或类型缩小范围。")])
        self.audit.append(actor=actor.login, action="ledger.export", reason=purpose, context={
            **asdict(filters), "rows": len(rows), "ids": sorted({r.student_id for r in rows})})
        return rows, self.students_of(rows)

    def students_of(self, entries: Iterable[PaymentEntry]) -> dict[int, str]:
        """Student numbers (not private) of `entries`, for lists and exports."""
        ids = {e.student_id for e in entries}
        if not ids:
            return {}
        return dict(self.session.execute(
            select(Student.id, Student.student_no).where(Student.id.in_(ids))).all())
