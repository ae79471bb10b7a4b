"""The archive office's rules in one place: who may do what with the register and its loans,
how long a loan runs, and the refusals, each with its data and a Chinese message (policy R-ARC;
DOMAIN-RULES "Archive consult and borrow register")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from records.archive import ArchiveFile, ArchiveLoan, Retention, Security
from records.deadlines import WorkingCalendar
from records.departments import Department
from records.errors import Conflict
from records.staff import Staff
from records.visibility import sees_all_metadata

__all__ = ["DEFAULT_TERMS", "LoanOverdue", "LoanTerms", "NotLendable", "loan_due_on", "may_approve",
           "may_manage", "review_on", "sees_overdue"]

MANAGE_DENIED = "只有档案室工作人员可以管理档案登记和借阅（制度 R-ARC）。"


# -- who ------------------------------------------------------------------------------------

def may_manage(staff: Staff) -> bool:
    """# policy R-ARC: the archive office registers, files and lends. The administrator runs
    the system and reads no student content (policy C1): a file's page names its students.
    Everyone else sees only their own loans."""
    return staff.active and not staff.is_admin and staff.belongs_to(Department.ARC)


def sees_overdue(staff: Staff) -> bool:
    """# policy S1: the supervision group checks the overdue loans (numbers and dates only)."""
    return staff.active and (may_manage(staff) or sees_all_metadata(staff))


def may_approve(staff: Staff) -> bool:
    """Who may approve a loan or a copy: the archive office, management, a department head,
    or the administrator (policy R-ARC: the register names its approver)."""
    return staff.active and (staff.is_admin or staff.belongs_to(Department.ARC)
                             or staff.belongs_to(Department.MGT) or bool(staff.headed))


def may_see_loan(staff: Staff, loan: ArchiveLoan) -> bool:
    return may_manage(staff) or (staff.active and loan.borrower_id == staff.id)


# -- refusals -------------------------------------------------------------------------------

class NotLendable(Conflict):
    """# policy R-ARC: confidential and precious files are consulted on site only."""

    def __init__(self, number: str, security: Security):
        self.number, self.security = number, security
        super().__init__(f"档案 {number} 为{security.label_zh}档案，只能在档案室现场查阅，"
                         "不得借出（制度 R-ARC）。")


class LoanOverdue(Conflict):
    """An overdue loan blocks the borrower's next one until it is returned."""

    def __init__(self, login: str, overdue: list[tuple[str, date]]):
        self.login, self.overdue = login, overdue
        listed = "、".join(f"{number}（应还 {due.isoformat()}）" for number, due in overdue)
        super().__init__(f"借阅人有逾期未还的档案：{listed}。归还后才能再次借阅。")


# -- how long -------------------------------------------------------------------------------

@dataclass(frozen=True)
class LoanTerms:
    """School settings of the consult/borrow register (docs/configuration.md)."""

    loan_days: int = 7
    """Calendar days a loan runs before its due day is adjusted (7 is common practice)."""
    renewal_days: int = 5
    """At most this many days more, once."""
    default_retention: Retention = Retention.YEARS_30
    """Retention of a newly registered learning archive (the archivist may change it)."""


def loan_due_on(calendar: WorkingCalendar, out: date, days: int) -> date:
    """The due day of a loan out on `out` for `days` calendar days. A due day off work moves
    to the next working day; but files are returned before holidays (DOMAIN-RULES): if a
    statutory day off (not a weekend) falls in the loan, it is due on the last working day
    before that day. Out on 2026-09-28 for 7 days: due 2026-09-30, before National Day."""
    due = calendar.next_workday(out + timedelta(days=days))
    day = out + timedelta(days=1)
    while day <= due:
        if day.weekday() < 5 and not calendar.is_workday(day):  # a holiday, not a weekend
            before = day - timedelta(days=1)
            while before > out and not calendar.is_workday(before):
                before -= timedelta(days=1)
            return before
        day += timedelta(days=1)
    return due


DEFAULT_TERMS = LoanTerms()


def review_on(filed_on: date, retention: Retention) -> date | None:
    """When the retention period ends and the file is appraised again; None when permanent."""
    years = retention.years
    if years is None:
        return None
    try:
        return filed_on.replace(year=filed_on.year + years)
    except ValueError:  # 29 February
        return filed_on.replace(year=filed_on.year + years, day=28)


def check_lendable(file: ArchiveFile) -> None:
    if not file.lendable:
        raise NotLendable(file.number, Security(file.security))
