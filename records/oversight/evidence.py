"""What oversight records cite and whom they name, checked before anything is saved: handover
numbers, obligation ids, notice and complaint numbers, staff by login, departments. Problems
come back as FieldProblems for the form field they belong to; nothing private is echoed (a
number or login is no private value, policy C2). Also the numbering of the series."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from records.deadlines import SCHOOL_TZ
from records.departments import Department
from records.errors import FieldProblem
from records.handovers import Handover, Status
from records.obligation_model import Obligation
from records.staff import Staff

__all__ = ["MAX_REFS", "MAX_TEXT", "Checker", "join", "school_day", "serial", "serial_id",
           "split_refs", "unjoin"]

MAX_REFS = 30  # one record cites the findings it is about, not a whole term's work
MAX_TEXT = 2000
_SEP = re.compile(r"[\s,，、;；]+")


def split_refs(raw: str | Iterable[str] | None) -> list[str]:
    """The distinct references in a box of text (spaces, commas or 、 between), upper-cased."""
    if raw is None:
        return []
    parts = _SEP.split(raw) if isinstance(raw, str) else [p for r in raw for p in _SEP.split(r)]
    return list(dict.fromkeys(p.strip().upper() for p in parts if p.strip()))


def join(values: Iterable[object]) -> str:
    return ",".join(str(v) for v in values)


def unjoin(raw: str | None) -> list[str]:
    return [v for v in (raw or "").split(",") if v]


def serial(prefix: str, at: datetime, row_id: int) -> str:
    """A number such as ZG-2026-000123: taken from the primary key, so two requests at the same
    moment can never make the same one (no max + 1)."""
    return f"{prefix}-{at.astimezone(SCHOOL_TZ).year}-{row_id:06d}"


def serial_id(prefix: str, number: str) -> int | None:
    """The row id in a number of the series `prefix`; None when it is not one."""
    found = re.fullmatch(rf"{prefix}-\d{{4}}-(\d{{6,}})", (number or "").strip().upper())
    return int(found.group(1)) if found else None


def school_day(moment: datetime) -> date:
    return moment.astimezone(SCHOOL_TZ).date()


class Checker:
    """Collects the problems of one form; each method returns what it found."""

    def __init__(self, session: Session):
        self.session = session
        self.problems: list[FieldProblem] = []

    def problem(self, field: str, message_zh: str) -> None:
        self.problems.append(FieldProblem(field, message_zh))

    def text(self, field: str, raw: str | None, what: str, *, required: bool = True,
             limit: int = MAX_TEXT) -> str:
        value = (raw or "").strip()
        if required and not value:
            self.problem(field, f"请填写{what}。")
        elif len(value) > limit:
            self.problem(field, f"{what}不能超过 {limit} 字。")
        return value

    def _refs(self, field: str, raw) -> list[str]:
        refs = split_refs(raw)
        if len(refs) > MAX_REFS:
            self.problem(field, f"一次最多引用 {MAX_REFS} 项。")
            return []
        return refs

    def handovers(self, field: str, raw) -> list[str]:
        """Numbers of submitted handovers (drafts are their author's alone: unknown here)."""
        numbers = self._refs(field, raw)
        found = set(self.session.scalars(select(Handover.number).where(
            Handover.number.in_(numbers or ["-"]), Handover.status != Status.DRAFT)))
        missing = [n for n in numbers if n not in found]
        if missing:
            self.problem(field, f"交接单编号不存在：{'、'.join(missing)}")
        return [n for n in numbers if n in found]

    def obligations(self, field: str, raw) -> list[int]:
        refs = self._refs(field, raw)
        ids = [int(r) for r in refs if r.isdigit()]
        found = set(self.session.scalars(select(Obligation.id).where(
            Obligation.id.in_(ids or [-1]))))
        missing = [r for r in refs if not r.isdigit() or int(r) not in found]
        if missing:
            self.problem(field, f"应交事项编号不存在：{'、'.join(missing)}")
        return [i for i in ids if i in found]

    def numbers(self, field: str, raw, model, prefix: str, what: str) -> list[str]:
        """Numbers of the series `prefix` whose rows exist in `model`'s table."""
        refs = self._refs(field, raw)
        ids = {r: serial_id(prefix, r) for r in refs}
        found = set(self.session.scalars(select(model.id).where(
            model.id.in_([i for i in ids.values() if i is not None] or [-1]))))
        missing = [r for r, i in ids.items() if i not in found]
        if missing:
            self.problem(field, f"{what}编号不存在：{'、'.join(missing)}")
        return [r for r, i in ids.items() if i in found]

    def staff(self, field: str, raw, *, required: bool = False) -> list[Staff]:
        """Active staff by login name."""
        logins = [r.lower() for r in self._refs(field, raw)]
        if not logins:
            if required:
                self.problem(field, "请填写人员的登录名。")
            return []
        found = {s.login: s for s in self.session.scalars(select(Staff).where(
            Staff.login.in_(logins), Staff.active.is_(True)))}
        missing = [n for n in logins if n not in found]
        if missing:
            self.problem(field, f"不是在职工作人员：{'、'.join(missing)}")
        return [found[n] for n in logins if n in found]

    def department(self, field: str, raw: str | None, *, required: bool = False
                   ) -> Department | None:
        if not (raw or "").strip():
            if required:
                self.problem(field, "请选择部门。")
            return None
        try:
            return Department.parse(raw)
        except ValueError as exc:
            self.problem(field, str(exc))
            return None

    def day(self, field: str, raw: date | str | None, what: str) -> date | None:
        if isinstance(raw, date):
            return raw
        try:
            return date.fromisoformat((raw or "").strip())
        except ValueError:
            self.problem(field, f"{what}的格式应为 YYYY-MM-DD。")
            return None
