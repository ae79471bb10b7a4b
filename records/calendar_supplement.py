"""The operator's supplement to the official working-day calendar (policy T).

The packages (`chinese-calendar`, `holidays`) learn each year's statutory holidays and make-up
working days only from a new release after the State Council's notice; until then deadlines in
that year are provisional (records.calendar_sources: counted by law, without 调休; a handover
submitted on 2026-12-28 is due in 2027). The operator can enter the notice's days sooner in a
small TOML file, one table per year:

    # 国务院办公厅关于2027年部分节假日安排的通知
    [2027]
    holidays = ["2027-01-01", "2027-02-06..2027-02-12"]
    workdays = ["2027-02-20"]

A year with a table is known: its listed holidays are off, its listed workdays on (make-up
working days, 调休), every other day follows Monday to Friday. Listed days also win over the
packages' data for years they know, so a correction never waits for a release either.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from records.errors import DomainError

__all__ = ["CalendarFileError", "CalendarSupplement"]

MAX_RANGE_DAYS = 31  # longer than any official holiday: a typing error, not a holiday


class CalendarFileError(DomainError):
    """The supplement file cannot be used; `problem` says where and why."""

    def __init__(self, path: Path | str, problem: str):
        self.path, self.problem = str(path), problem
        super().__init__(f"节假日补充文件 {path} 有误：{problem}")


@dataclass(frozen=True)
class CalendarSupplement:
    """Days off and make-up working days by year, as the operator entered them."""

    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()
    years: frozenset[int] = frozenset()
    """Years with a table: known, even when the package has no data for them."""

    def says(self, day: date) -> bool | None:
        """True or False when the supplement decides `day`, None when it leaves it to the
        package."""
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return None

    def knows_year(self, year: int) -> bool:
        return year in self.years

    @classmethod
    def load(cls, path: Path) -> CalendarSupplement:
        """Read and check the file; a missing file is an empty supplement."""
        if not path.exists():
            return cls()
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise CalendarFileError(path, f"不是有效的 TOML 文件（{exc}）") from None
        return cls.parse(data, source=path)

    @classmethod
    def parse(cls, data: dict, *, source: Path | str = "<配置>") -> CalendarSupplement:
        holidays: set[date] = set()
        workdays: set[date] = set()
        years: set[int] = set()
        for key, table in data.items():
            if not (key.isdigit() and len(key) == 4) or not isinstance(table, dict):
                raise CalendarFileError(source, f"「{key}」应是年份表，例如 [2027]。")
            year = int(key)
            unknown = set(table) - {"holidays", "workdays"}
            if unknown:
                names = ", ".join(sorted(unknown))
                raise CalendarFileError(
                    source, f"[{key}] 中只能有 holidays 和 workdays，不认识：{names}。")
            off = _days(table.get("holidays", []), year, f"[{key}] holidays", source)
            on = _days(table.get("workdays", []), year, f"[{key}] workdays", source)
            both = off & on
            if both:
                raise CalendarFileError(
                    source, f"{min(both).isoformat()} 同时列为放假和上班。")
            holidays |= off
            workdays |= on
            years.add(year)
        return cls(frozenset(holidays), frozenset(workdays), frozenset(years))


def _days(entries: object, year: int, where: str, source: Path | str) -> set[date]:
    if not isinstance(entries, list):
        raise CalendarFileError(source, f"{where} 应是日期列表。")
    days: set[date] = set()
    for entry in entries:
        first, last = _range(entry, where, source)
        if first.year != year or last.year != year:
            raise CalendarFileError(source, f"{where} 中的 {entry} 不在 {year} 年。")
        if last < first or (last - first).days >= MAX_RANGE_DAYS:
            raise CalendarFileError(source, f"{where} 中的区间 {entry} 不合理。")
        days.update(first + timedelta(days=n) for n in range((last - first).days + 1))
    return days


def _range(entry: object, where: str, source: Path | str) -> tuple[date, date]:
    """A TOML date, "YYYY-MM-DD", or a range "YYYY-MM-DD..YYYY-MM-DD" (both ends included)."""
    if isinstance(entry, date) and not isinstance(entry, datetime):
        return entry, entry
    if isinstance(entry, str):
        first, _, last = entry.partition("..")
        try:
            return date.fromisoformat(first.strip()), date.fromisoformat((last or first).strip())
        except ValueError:
            pass
    raise CalendarFileError(
        source, f"{where} 中的 {entry!r} 不是日期（格式 2027-01-01 或 2027-02-06..2027-02-12）。")
