"""What a person asks of a handover list: kind, status, department, a range of creation dates
and an order. Read from the query string (these are codes and dates, never a private value,
policy C2), checked here, and turned into SQL (records.listing filters and sorts in the
database). Saved filters (records.saved_filters) keep the same arguments."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, or_

from records.catalogue import KINDS
from records.departments import Department
from records.errors import FieldProblem, ValidationFailed
from records.handovers import Handover, Status

__all__ = ["ARGS", "LISTED_STATUSES", "SORTS", "ListFilter"]

# sort name -> (label, ORDER BY); the id makes every order total, so pages neither repeat
# nor skip a row. "due" is records.listing.URGENT_FIRST (chosen there, it needs RUNNING_DUE).
SORTS = {
    "due": "期限最紧在前",
    "created": "最新创建在前",
    "number": "编号顺序",
}
ARGS = ("kind", "status", "dept", "from", "to", "sort")
"""The query-string names of a filter, in the order a URL carries them."""
LISTED_STATUSES = tuple(s for s in Status if s != Status.SUPERSEDED)


@dataclass(frozen=True)
class ListFilter:
    kind: str = ""
    status: str = ""
    dept: str = ""
    """Sending or receiving department."""
    since: date | None = None
    """Created on or after this school-local date."""
    until: date | None = None
    """Created on or before this school-local date."""
    sort: str = "due"

    @classmethod
    def parse(cls, args: Mapping[str, str]) -> ListFilter:
        """The filter of a query string; unknown codes and bad dates are the user's to correct
        (ValidationFailed, in Chinese), an empty argument means "any"."""
        get = lambda name: (args.get(name) or "").strip()  # noqa: E731
        problems = []
        kind, status, dept, sort = get("kind"), get("status"), get("dept").upper(), get("sort")
        if kind and kind not in KINDS:
            problems.append(FieldProblem("kind", "交接类型无效，请从列表中选择。"))
        if status and status not in {s.value for s in LISTED_STATUSES}:
            problems.append(FieldProblem("status", "状态无效，请从列表中选择。"))
        if dept and dept not in {d.value for d in Department}:
            problems.append(FieldProblem("dept", "部门无效，请从列表中选择。"))
        if sort and sort not in SORTS:
            problems.append(FieldProblem("sort", "排序方式无效，请从列表中选择。"))
        since, until = _day(get("from"), "from", problems), _day(get("to"), "to", problems)
        if since and until and since > until:
            problems.append(FieldProblem("to", "结束日期不能早于开始日期。"))
        if problems:
            raise ValidationFailed(problems)
        return cls(kind, status, dept, since, until, sort or "due")

    def where(self, zone: ZoneInfo) -> tuple[ColumnElement[bool], ...]:
        """The filter as WHERE clauses on Handover; dates are the school's (`zone`) days."""
        out = []
        if self.kind:
            out.append(Handover.kind == self.kind)
        if self.status:
            out.append(Handover.status == self.status)
        if self.dept:
            out.append(or_(Handover.sender_dept == self.dept, Handover.receiver_dept == self.dept))
        if self.since:
            out.append(Handover.created_at >= datetime.combine(self.since, time(), zone))
        if self.until:
            out.append(Handover.created_at < datetime.combine(
                self.until + timedelta(days=1), time(), zone))
        return tuple(out)

    def args(self) -> dict[str, str]:
        """The query-string arguments that give this filter back (empty ones left out)."""
        shown = {"kind": self.kind, "status": self.status, "dept": self.dept,
                 "from": self.since.isoformat() if self.since else "",
                 "to": self.until.isoformat() if self.until else "",
                 "sort": "" if self.sort == "due" else self.sort}
        return {k: v for k, v in shown.items() if v}

    @property
    def empty(self) -> bool:
        return not self.args()


def _day(raw: str, name: str, problems: list[FieldProblem]) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        problems.append(FieldProblem(name, "日期格式应为 年-月-日，例如 2026-03-01。"))
        return None
