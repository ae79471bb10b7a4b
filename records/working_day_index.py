"""Working days as numbers (DESIGN.md): the ordinal of every date in a window of whole years.

`ordinal(day)` is the number of working days from the window's anchor up to and including
`day`, so "working days in (a, b]" is `ordinal(b) - ordinal(a)` and "the n-th working day after
a" is a list lookup: no loop over dates per row. The window starts with the first year asked
for and grows a year at a time in either direction; ordinals already handed out never change
(growing backwards lowers the base instead). One index belongs to one `WorkingCalendar`, which
supplies each year's table, so a supplement or a stand-in source never shares a cache.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date

__all__ = ["WorkingDayIndex"]


class WorkingDayIndex:
    """Per-day ordinals over the years `year_days` returns tables for (1 = working day)."""

    def __init__(self, year_days: Callable[[int], bytes]):
        self._year_days = year_days
        self._lock = threading.Lock()  # one calendar serves every thread of a process
        self._first_year = self._last_year = 0
        self._start = 0  # date.toordinal() of the window's first day
        self._on: list[int] = []  # 1 on a working day, per day of the window
        self._cum: list[int] = []  # working days from the window's start through each day
        self._work: list[int] = []  # window position of each working day, in order
        self._base = 0  # ordinal(day) = _cum[position] + _base

    # -- public, under the lock -------------------------------------------------------------

    def ordinal(self, day: date) -> int:
        with self._lock:
            return self._cum[self._position(day)] + self._base

    def is_workday(self, day: date) -> bool:
        with self._lock:
            return bool(self._on[self._position(day)])

    def nth_after(self, day: date, n: int) -> date:
        """The `n`-th working day after `day` (n >= 1; `day` itself is not counted)."""
        with self._lock:
            wanted = self._cum[self._position(day)] + n  # 1-based count within the window
            while len(self._work) < wanted:
                self._append(self._last_year + 1)
            return date.fromordinal(self._start + self._work[wanted - 1])

    # -- the window ---------------------------------------------------------------------------

    def _position(self, day: date) -> int:
        if not self._on:
            self._append(day.year)
        while day.year < self._first_year:
            self._prepend(self._first_year - 1)
        while day.year > self._last_year:
            self._append(self._last_year + 1)
        return day.toordinal() - self._start

    def _table(self, year: int) -> bytes:
        table = self._year_days(year)
        if not any(table):  # no official holiday is that long: a broken source, not a year
            raise ValueError(f"the working-day calendar has no working day in {year}")
        return table

    def _append(self, year: int) -> None:
        table = self._table(year)
        if not self._on:
            self._first_year = year
            self._start = date(year, 1, 1).toordinal()
        offset, count = len(self._on), self._cum[-1] if self._cum else 0
        for i, on in enumerate(table):
            count += on
            self._cum.append(count)
            if on:
                self._work.append(offset + i)
        self._on.extend(table)
        self._last_year = year

    def _prepend(self, year: int) -> None:
        table = self._table(year)
        size, total = len(table), sum(table)
        cum, count = [], 0
        for on in table:
            count += on
            cum.append(count)
        self._cum = cum + [c + total for c in self._cum]
        self._work = [i for i, on in enumerate(table) if on] + [p + size for p in self._work]
        self._on = list(table) + self._on
        self._base -= total
        self._start -= size
        self._first_year = year
