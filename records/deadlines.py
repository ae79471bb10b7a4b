"""Deadlines in working days (工作日, policy T1a-T5b).

Working days follow the official calendar of the State Council: weekends and statutory
holidays are off, make-up working days (调休, e.g. Sunday 2026-09-20 and Saturday 2026-10-10)
are on. The State Council announces each year's arrangement around November, and the packages
learn it in a later release, so the calendar asks in order (records.calendar_sources): the
operator's supplement (records.calendar_supplement) for the days it lists, chinese-calendar,
the `holidays` package's copy of the notices, a year the supplement declares, and last a
fallback that never fails: Monday to Friday minus the holidays fixed in law, without 调休.
A deadline in a year only the fallback knows is provisional (临时, `is_provisional`), and
`check_coverage` warns the administrator 60 days before such a year is reached. Counting uses
working-day ordinals (records.working_day_index), not loops over dates.

How a deadline is counted (readings of the policy, each documented here once):
- "within N working days" (T1a, T2, T3b, T4a, T4b, T5a, T5b): the trigger day is not counted
  (as for any period counted in days in Chinese law); the deadline is the end of the N-th
  working day after the trigger's date.
- "the same day" (T1b, or N = 0): the end of the trigger's working day; triggered on a day off
  or after the end of the working day, the end of the next working day.
- a fixed weekly time (T3a): the next configured weekday at the configured hour after the
  trigger; on a day off, the same hour on the next working day.
All times are timezone-aware and computed in the school's zone (Asia/Shanghai). Every number
is a school setting (`settings` mapping) with the catalogue's default as fallback.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from records.calendar_sources import (
    HolidaysPackage,
    chinese_calendar_year,
    from_is_workday,
    weekdays,
)
from records.calendar_supplement import CalendarSupplement
from records.catalogue import DeadlineBasis, DeadlineRule
from records.working_day_index import WorkingDayIndex

__all__ = [
    "COVERAGE_DAYS",
    "DAY_END_HOUR_KEY",
    "DAY_END_MINUTE_KEY",
    "SCHOOL_TZ",
    "WorkingCalendar",
]

SCHOOL_TZ = ZoneInfo("Asia/Shanghai")
DAY_END_HOUR_KEY = "deadline.workday_end_hour"
"""Setting: hour at which a working day ends (default 18)."""
DAY_END_MINUTE_KEY = "deadline.workday_end_minute"
"""Setting: minute at which a working day ends (default 0)."""
DEFAULT_DAY_END = time(18, 0)
DEFAULT_REPORT_WEEKDAY = 5  # Friday (ISO weekday), policy T3a "e.g. Friday [X] pm"
DEFAULT_REPORT_HOUR = 16
COVERAGE_DAYS = 60
"""How far ahead `check_coverage` looks for provisional years (the administrator's warning)."""
MAX_DAYS_OFF_IN_A_ROW = 31  # longer than any official holiday: a broken calendar, not a holiday


def _setting(settings: Mapping[str, int], key: str, default: int, low: int, high: int) -> int:
    value = settings.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ValueError(f"setting {key} must be an integer in [{low}, {high}], got {value!r}")
    return value


class WorkingCalendar:
    """Working days of the official calendar and the deadlines counted in them (policy T).

    `is_workday` stands in for chinese-calendar (raising NotImplementedError for a year it has
    no data for) and `package` for the holidays package; tests pass them to fix which years
    are known. Each instance keeps its own working-day index."""

    def __init__(self, is_workday: Callable[[date], bool] | None = None, *,
                 supplement: CalendarSupplement | None = None,
                 package: HolidaysPackage | None = None, zone: ZoneInfo = SCHOOL_TZ):
        self._first_source = from_is_workday(is_workday) if is_workday else chinese_calendar_year
        self.supplement = supplement or CalendarSupplement()
        self.package = package or HolidaysPackage()
        self.zone = zone
        self._provisional: set[int] = set()
        self._index = WorkingDayIndex(self._year_days)

    # -- days ------------------------------------------------------------------------------

    def _year_days(self, year: int) -> bytes:
        """The year's table from the first source that knows it (records.calendar_sources),
        with the supplement's listed days on top."""
        days = self._first_source(year)
        if days is None:
            days = self.package.official(year)
        if days is None and self.supplement.knows_year(year):
            days = weekdays(year)
        if days is None:
            days = self.package.statutory(year)
            self._provisional.add(year)
        table = bytearray(days)
        for listed, on in ((self.supplement.workdays, 1), (self.supplement.holidays, 0)):
            for day in listed:
                if day.year == year:
                    table[day.timetuple().tm_yday - 1] = on
        return bytes(table)

    def is_workday(self, day: date) -> bool:
        """True on a working day (make-up working days included)."""
        return self._index.is_workday(day)

    def is_provisional(self, day: date) -> bool:
        """True when `day`'s year is counted by the statutory fallback: no source has the State
        Council's arrangement for it and the supplement does not declare it. Deadlines in
        such a year are provisional (临时期限)."""
        self._index.is_workday(day)  # builds the year's table
        return day.year in self._provisional

    def ordinal(self, day: date) -> int:
        """Working days from this calendar's anchor up to and including `day`: only
        differences between two ordinals mean anything."""
        return self._index.ordinal(day)

    def check_coverage(self, today: date) -> list[int]:
        """The provisional years among those the next `COVERAGE_DAYS` days touch, next year
        included once December 31 is that close: what the administrator must look after (an
        empty list means every deadline counted until then follows the official calendar)."""
        years = {today.year, (today + timedelta(days=COVERAGE_DAYS)).year}
        if (date(today.year, 12, 31) - today).days <= COVERAGE_DAYS:
            years.add(today.year + 1)
        return [year for year in sorted(years) if self.is_provisional(date(year, 1, 1))]

    def next_workday(self, day: date) -> date:
        """`day` itself when it is a working day, else the first working day after it."""
        if self.is_workday(day):
            return day
        found = self._index.nth_after(day, 1)
        if (found - day).days > MAX_DAYS_OFF_IN_A_ROW:
            raise ValueError(f"no working day within {MAX_DAYS_OFF_IN_A_ROW} days of {day}")
        return found

    def _local(self, moment: datetime) -> datetime:
        if moment.tzinfo is None:
            raise ValueError("deadline times must be timezone-aware")
        return moment.astimezone(self.zone)

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """The same local time on the `days`-th working day after `start`'s date (the start day
        is not counted); with `days` = 0, on `start`'s date if a working day, else the next."""
        if days < 0:
            raise ValueError("days must not be negative")
        local = self._local(start)
        if days == 0:
            return datetime.combine(self.next_workday(local.date()), local.timetz())
        return datetime.combine(self._index.nth_after(local.date(), days), local.timetz())

    # -- deadlines -------------------------------------------------------------------------

    def day_end(self, day: date, settings: Mapping[str, int]) -> datetime:
        """End of the working day `day` in the school's zone (setting, default 18:00)."""
        hour = _setting(settings, DAY_END_HOUR_KEY, DEFAULT_DAY_END.hour, 0, 23)
        minute = _setting(settings, DAY_END_MINUTE_KEY, DEFAULT_DAY_END.minute, 0, 59)
        return datetime.combine(day, time(hour, minute), tzinfo=self.zone)

    def due_time(self, trigger: datetime, rule: DeadlineRule,
                 settings: Mapping[str, int]) -> datetime:
        """When a handover triggered at `trigger` is due under `rule` (policy T)."""
        local = self._local(trigger)
        if rule.basis is DeadlineBasis.PERIODIC:  # policy T3a
            return self._next_report_time(local, rule, settings)
        days = 0
        if rule.basis is DeadlineBasis.WORKING_DAYS:
            days = _setting(settings, rule.setting_key, rule.default_days, 0, 365)
        if days == 0:  # policy T1b: the same working day
            day = self.next_workday(local.date())
            if day == local.date() and local >= self.day_end(day, settings):
                day = self.next_workday(day + timedelta(days=1))
            return self.day_end(day, settings)
        return self.day_end(self.add_working_days(local, days).date(), settings)

    def _next_report_time(self, local: datetime, rule: DeadlineRule,
                          settings: Mapping[str, int]) -> datetime:
        weekday = _setting(settings, f"deadline.{rule.clause}_weekday",
                           DEFAULT_REPORT_WEEKDAY, 1, 7)
        hour = _setting(settings, f"deadline.{rule.clause}_hour", DEFAULT_REPORT_HOUR, 0, 23)
        day = local.date() + timedelta(days=(weekday - local.isoweekday()) % 7)
        if datetime.combine(day, time(hour), tzinfo=self.zone) <= local:
            day += timedelta(days=7)
        return datetime.combine(self.next_workday(day), time(hour), tzinfo=self.zone)

    @staticmethod
    def is_overdue(due: datetime, now: datetime) -> bool:
        """True once `now` is past `due`."""
        return now > due

    def working_days_left(self, due: datetime, now: datetime) -> int:
        """Working days after today up to and including the due day: 0 = due today (or overdue
        today). Once overdue, minus the working days passed since the due day."""
        today, due_day = self._local(now).date(), self._local(due).date()
        return self.ordinal(due_day) - self.ordinal(today)
